import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lambdas/core/job';
import { apiEvent, bodyOf, errorOf } from '../apiEvent';
import { OTHER_OWNER, storedJob } from '../fakeJobsTable';
import { lambdaContext } from '../lambdaContext';
import { EXECUTION_PREFIX, fakeJobsBackend, stubJobsEnv } from './fakeJobsBackend';

stubJobsEnv();
const { ddb, sfnMock, rows, putRow } = fakeJobsBackend();
const { handler: cancelRequest } = await import('../../../lambdas/jobs/cancelRequest');

const cancel = (id: string, owner?: string) =>
  cancelRequest(
    apiEvent({ method: 'DELETE', path: `/v2/requests/${id}`, resource: '/v2/requests/{id}', id, owner }),
    lambdaContext('cancelRequest'),
  );

describe('Handler: DELETE /v2/requests/{id}', () => {
  const JOB_ID = '01JQ0000000000000000000042';
  const stopsSent = () => sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input);

  it('stops the execution, records the job FAILED with code cancelled and says the upstream job may still be billed', async () => {
    // Arrange
    putRow(
      storedJob(
        JOB_ID,
        {},
        {
          status: 'PROCESSING',
          phase: 'generating',
          submitClaimedAt: '2025-03-01T09:00:01.000Z',
          upstreamRequestId: 'seg-123',
        },
      ),
    );

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(stopsSent()).toEqual([
      { executionArn: `${EXECUTION_PREFIX}:${JOB_ID}`, error: 'cancelled', cause: expect.stringMatching(/Cancelled/) },
    ]);
    const body = bodyOf(response);
    expect(body).toMatchObject({ request_id: JOB_ID, status: 'FAILED', phase: 'failed', error_code: 'cancelled' });
    expect(body.note).toMatch(/seg-123.*cannot be cancelled at Segmind and may still be billed/);
    expect(body.error).toMatch(/^Cancelled by its owner\. .*may still be billed/);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
  });

  it('says nothing is billed when nothing was submitted', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const body = bodyOf(await cancel(JOB_ID));

    // Assert
    expect(body.note).toBe('Nothing had been submitted to Segmind, so nothing is billed.');
  });

  it('says the submit may have reached Segmind when it was claimed but not answered', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { phase: 'submitting', submitClaimedAt: '2025-03-01T09:00:01.000Z' }));

    // Act
    const body = bodyOf(await cancel(JOB_ID));

    // Assert
    expect(body.note).toMatch(/being submitted.*may still be billed/);
  });

  it('bases the note on the job as it was once stopped, not as first read', async () => {
    // Arrange: the submit is answered while the execution is being stopped.
    putRow(storedJob(JOB_ID));
    sfnMock.on(StopExecutionCommand).callsFake(async () => {
      Object.assign(rows.get(JOB_ID) ?? {}, { phase: 'submitted', upstreamRequestId: 'seg-late' });
      return { stopDate: new Date() };
    });

    // Act
    const body = bodyOf(await cancel(JOB_ID));

    // Assert
    expect(body.note).toMatch(/seg-late.*may still be billed/);
  });

  it('never records "nothing is billed" for a job whose submit was claimed meanwhile', async () => {
    // Arrange: the in-flight Submit step claims the submit right after the cancel has read the job.
    putRow(storedJob(JOB_ID));
    let reads = 0;
    ddb.on(GetCommand).callsFake(async (input: { Key?: { id?: string } }) => {
      const row = rows.get(String(input.Key?.id));
      const answer = { Item: row ? structuredClone(row) : undefined };
      // Read 1: the owner check; read 2: after the stop, just before the claim lands.
      if (++reads === 2 && row) row.submitClaimedAt = '2025-03-01T09:00:02.000Z';
      return answer;
    });

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response).note).toMatch(/being submitted.*may still be billed/);
    expect(rows.get(JOB_ID)).toMatchObject({
      status: 'FAILED',
      error: { code: 'cancelled', message: expect.stringMatching(/may still be billed/) },
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('cancels a job whose execution does not exist', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    sfnMock
      .on(StopExecutionCommand)
      .rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
  });

  it.each<[string, Partial<Job>, RegExp]>([
    ['COMPLETED', { status: 'COMPLETED', phase: 'completed' }, /already COMPLETED/],
    [
      'FAILED',
      { status: 'FAILED', phase: 'failed', error: { code: 'upstream_failed', message: 'x' } },
      /already FAILED;/,
    ],
    [
      'cancelled',
      { status: 'FAILED', phase: 'failed', error: { code: 'cancelled', message: 'Cancelled by its owner.' } },
      /already FAILED \(cancelled\)/,
    ],
  ])('answers 409 conflict for a %s job, stopping nothing', async (_case, fields, message) => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, fields));
    const before = structuredClone(rows.get(JOB_ID));

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(409);
    expect(errorOf(response)).toEqual({ error_code: 'conflict', error: expect.stringMatching(message), details: [] });
    expect(stopsSent()).toEqual([]);
    expect(rows.get(JOB_ID)).toEqual(before);
  });

  it('answers 409 when the job completes while it is being stopped: the finish wins', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'copying' }));
    sfnMock.on(StopExecutionCommand).callsFake(async () => {
      Object.assign(rows.get(JOB_ID) ?? {}, { status: 'COMPLETED', phase: 'completed' });
      return { stopDate: new Date() };
    });

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(409);
    expect(errorOf(response).error).toMatch(/already COMPLETED/);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'COMPLETED' });
  });

  it("answers 404 for another owner's job, stopping nothing", async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const response = await cancel(JOB_ID, OTHER_OWNER);

    // Assert
    expect(response.statusCode).toBe(404);
    expect(errorOf(response).error_code).toBe('not_found');
    expect(stopsSent()).toEqual([]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers 500 and leaves the job as it was when the execution cannot be stopped', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    sfnMock.on(StopExecutionCommand).rejects(new Error('ThrottlingException: Rate exceeded'));

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('Throttling');
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'QUEUED' });
  });
});
