import { describe, expect, it } from 'vitest';
import { apiEvent, bodyOf, errorOf } from '../apiEvent';
import { storedJob } from '../fakeJobsTable';
import { lambdaContext } from '../lambdaContext';
import { fakeJobsBackend, stubJobsEnv } from './fakeJobsBackend';

stubJobsEnv();
const { ddb, putRow } = fakeJobsBackend();
const { handler: getStatus } = await import('../../../lambdas/jobs/getStatus');

const JOB_ID = '01JQ0000000000000000000042';

const statusEvent = (id: string, owner?: string | null) =>
  apiEvent({ method: 'GET', path: `/v2/requests/${id}/status`, resource: '/v2/requests/{id}/status', id, owner });

describe('Handler: GET /v2/requests/{id}/status', () => {
  it("answers the owner's job with its status and phase", async () => {
    // Arrange
    putRow(
      storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'generating', submittedAt: '2025-03-01T09:00:05.000Z' }),
    );

    // Act
    const response = await getStatus(statusEvent(JOB_ID), lambdaContext('getStatus'));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({
      request_id: JOB_ID,
      status: 'PROCESSING',
      phase: 'generating',
      created_at: '2025-03-01T09:00:00.000Z',
      updated_at: '2025-03-01T09:00:00.000Z',
      submitted_at: '2025-03-01T09:00:05.000Z',
    });
  });

  it("answers 404 for another owner's job, as for an unknown id", async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const otherOwner = await getStatus(statusEvent(JOB_ID, 'another-key'), lambdaContext('getStatus'));
    const unknown = await getStatus(statusEvent('01JQ00000000000000000000ZZ'), lambdaContext('getStatus'));

    // Assert
    expect(otherOwner.statusCode).toBe(404);
    expect(errorOf(otherOwner)).toMatchObject({ error_code: 'not_found' });
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(otherOwner)).toEqual({ ...errorOf(unknown), error: expect.any(String) });
  });

  it('answers 422 with the error and its code for a FAILED job', async () => {
    // Arrange
    putRow(
      storedJob(
        JOB_ID,
        {},
        {
          status: 'FAILED',
          phase: 'failed',
          error: {
            code: 'upstream_insufficient_credits',
            message: 'Segmind rejected the request (HTTP 406): no credits',
          },
        },
      ),
    );

    // Act
    const response = await getStatus(statusEvent(JOB_ID), lambdaContext('getStatus'));

    // Assert
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toMatchObject({
      request_id: JOB_ID,
      status: 'FAILED',
      error: 'Segmind rejected the request (HTTP 406): no credits',
      error_code: 'upstream_insufficient_credits',
    });
  });

  it('answers 400 for an id that is not a request id', async () => {
    // Act
    const response = await getStatus(statusEvent('..%2F..%2Fetc'), lambdaContext('getStatus'));

    // Assert
    expect(response.statusCode).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 401 without an API key id', async () => {
    // Act
    const response = await getStatus(statusEvent(JOB_ID, null), lambdaContext('getStatus'));

    // Assert
    expect(response.statusCode).toBe(401);
  });
});

describe('Handler: GET /v2/requests/{id}/status with a webhook', () => {
  it('shows the delivery outcome recorded on the job', async () => {
    // Arrange
    const id = '01JQ0000000000000000000077';
    putRow(
      storedJob(
        id,
        { callback_url: 'https://hooks.example.com/framebridge' },
        {
          status: 'COMPLETED',
          phase: 'completed',
          webhook: {
            id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
            status: 'failed',
            attempts: 9,
            lastStatus: 503,
            lastError: 'HTTP 503',
            lastAttemptAt: '2025-03-01T10:05:00.000Z',
          },
        },
      ),
    );

    // Act
    const response = await getStatus(statusEvent(id), lambdaContext('getStatus'));

    // Assert
    expect(bodyOf(response).webhook).toEqual({
      id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      status: 'failed',
      attempts: 9,
      last_status: 503,
      last_error: 'HTTP 503',
      last_attempt_at: '2025-03-01T10:05:00.000Z',
    });
  });
});
