import { describe, expect, it, vi } from 'vitest';
import { apiEvent, bodyOf } from '../apiEvent';
import { storedJob } from '../fakeJobsTable';
import { lambdaContext } from '../lambdaContext';
import { BUCKET, fakeJobsBackend, stubJobsEnv } from './fakeJobsBackend';

stubJobsEnv();
const { putRow } = fakeJobsBackend();
const { handler: getResult } = await import('../../../lambdas/jobs/getResult');

const JOB_ID = '01JQ0000000000000000000042';

const resultEvent = (id: string, owner?: string | null) =>
  apiEvent({ method: 'GET', path: `/v2/requests/${id}`, resource: '/v2/requests/{id}', id, owner });

describe('Handler: GET /v2/requests/{id}', () => {
  const completed = () =>
    storedJob(
      JOB_ID,
      {},
      {
        status: 'COMPLETED',
        phase: 'completed',
        completedAt: '2025-03-01T09:01:30.000Z',
        output: {
          s3Bucket: BUCKET,
          videoKey: `jobs/${JOB_ID}/video.mp4`,
          resultKey: `jobs/${JOB_ID}/result.json`,
          bytes: 1_234_567,
          contentType: 'video/mp4',
        },
        metrics: { predict_time: 71.3 },
      },
    );

  it('answers a COMPLETED job with a freshly presigned video URL, its expiry and the S3 URI', async () => {
    // Arrange
    putRow(completed());
    const before = Date.now();

    // Act
    const response = await getResult(resultEvent(JOB_ID), lambdaContext('getResult'));

    // Assert
    expect(response.statusCode).toBe(200);
    const body = bodyOf(response) as {
      output: { video_url: string; expires_at: string; s3_uri: string };
      metrics: unknown;
    };
    const url = new URL(body.output.video_url);
    expect(url.protocol).toBe('https:');
    expect(`${url.host}${url.pathname}`).toContain(`jobs/${JOB_ID}/video.mp4`);
    expect(url.host).toContain(BUCKET);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    const expiresIn = Date.parse(body.output.expires_at) - before;
    expect(expiresIn).toBeGreaterThan(3_590_000);
    expect(expiresIn).toBeLessThanOrEqual(3_600_000 + 5_000);
    expect(body.output.s3_uri).toBe(`s3://${BUCKET}/jobs/${JOB_ID}/video.mp4`);
    expect(body).toMatchObject({ request_id: JOB_ID, status: 'COMPLETED', metrics: { predict_time: 71.3 } });
  });

  it('mints a new URL on every read', async () => {
    // Arrange
    putRow(completed());
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });

    // Act
    const first = bodyOf(await getResult(resultEvent(JOB_ID), lambdaContext('getResult')));
    vi.setSystemTime(Date.now() + 2_000);
    const second = bodyOf(await getResult(resultEvent(JOB_ID), lambdaContext('getResult')));
    vi.useRealTimers();

    // Assert
    expect((first.output as { video_url: string }).video_url).not.toBe(
      (second.output as { video_url: string }).video_url,
    );
  });

  it('answers 422 with the error for a FAILED job', async () => {
    // Arrange
    putRow(
      storedJob(
        JOB_ID,
        {},
        { status: 'FAILED', phase: 'failed', error: { code: 'video_rejected', message: 'not an MP4' } },
      ),
    );

    // Act
    const response = await getResult(resultEvent(JOB_ID), lambdaContext('getResult'));

    // Assert
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toEqual({
      request_id: JOB_ID,
      status: 'FAILED',
      error: 'not an MP4',
      error_code: 'video_rejected',
    });
  });

  it('answers a job in progress with a null output', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'copying' }));

    // Act
    const response = await getResult(resultEvent(JOB_ID), lambdaContext('getResult'));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ request_id: JOB_ID, status: 'PROCESSING', output: null, phase: 'copying' });
  });

  it("answers 404 for another owner's job", async () => {
    // Arrange
    putRow(completed());

    // Act
    const response = await getResult(resultEvent(JOB_ID, 'another-key'), lambdaContext('getResult'));

    // Assert
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('X-Amz-Signature');
  });
});
