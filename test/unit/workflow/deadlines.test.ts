import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateMultipartUploadCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpstreamTimeoutError, UpstreamUnavailableError, VideoDownloadError } from '../../../lambdas/core/errors';
import type { PollSettings } from '../../../lambdas/core/pollPlan';
import type { PollingState } from '../../../lambdas/core/workflowState';
import { type CheckStatusDeps, checkStatus } from '../../../lambdas/workflow/steps/checkStatus';
import { copyVideo } from '../../../lambdas/workflow/steps/copyVideo';
import { type SubmitDeps, submitJob } from '../../../lambdas/workflow/steps/submitJob';
import { serveJobsTable, jobStore as store, storedJob, TABLE_NAME, updatesSent } from '../fakeJobsTable';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';
import { openGate } from './openGate';

/**
 * Deadlines count from the execution's start, and every upstream call takes its
 * time from what remains of the Lambda invocation, not a fixed 20 s.
 */

// A Segmind that accepts connections and never answers: only a call's own timeout ends it.
const silentSegmind: Server = createServer(() => undefined);
await new Promise<void>((resolve) => silentSegmind.listen(0, '127.0.0.1', resolve));
// A video host that sends the MP4's first bytes, then nothing more.
const slowVideoHost: Server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '100000' });
  response.write(Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom', 'latin1'), Buffer.alloc(1000)]));
});
await new Promise<void>((resolve) => slowVideoHost.listen(0, '127.0.0.1', resolve));
const slowVideoUrl = `http://127.0.0.1:${(slowVideoHost.address() as AddressInfo).port}`;
stubLambdaEnv({
  JOBS_TABLE_NAME: TABLE_NAME,
  SEGMIND_BASE_URL: `http://127.0.0.1:${(silentSegmind.address() as AddressInfo).port}`,
  SEGMIND_API_KEY: 'sk-test',
});

const ddb = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);
const { handler: checkStatusHandler } = await import('../../../lambdas/workflow/checkStatus');

const JOB_ID = '01JQ0000000000000000000088';
const UPSTREAM_ID = 'sg-deadline-1';
const STARTED_AT = '2025-03-01T09:00:00.000Z';
/** Submit took 500 s of retries: the job was accepted 500 s after the execution started. */
const SUBMITTED_AT = '2025-03-01T09:08:20.000Z';
const settings: PollSettings = { deadlineSeconds: 600 };

let rows: Map<string, Record<string, unknown>>;
const afterStart = (seconds: number) => () => new Date(Date.parse(STARTED_AT) + seconds * 1000);

beforeEach(() => {
  ddb.reset();
  rows = serveJobsTable(ddb);
  rows.set(
    JOB_ID,
    storedJob(JOB_ID, {}, { phase: 'generating', status: 'PROCESSING', upstreamRequestId: UPSTREAM_ID }),
  );
});

afterAll(async () => {
  for (const server of [silentSegmind, slowVideoHost]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('Function: checkStatus deadline', () => {
  const state: PollingState = {
    jobId: JOB_ID,
    executionStartedAt: STARTED_AT,
    upstreamRequestId: UPSTREAM_ID,
    submittedAt: SUBMITTED_AT,
    pollCount: 3,
    waitSeconds: 5,
  };
  const deps = (overrides: Partial<CheckStatusDeps> = {}): CheckStatusDeps => ({
    store,
    segmind: { status: vi.fn(async () => ({ status: 'PROCESSING' as const })), result: vi.fn() },
    pollSettings: settings,
    gate: openGate(),
    remainingMs: () => 30_000,
    ...overrides,
  });

  it('fails upstream_timeout once the deadline from the execution start has passed, however recent the submit', async () => {
    // Act: 101 s after the submit, 601 s after the start
    const run = checkStatus(state, deps({ now: afterStart(601) }));

    // Assert
    await expect(run).rejects.toBeInstanceOf(UpstreamTimeoutError);
    await expect(run).rejects.toThrow(/within 600 s of its start/);
  });

  it('never plans a wait past the deadline from the execution start', async () => {
    // Act
    const next = await checkStatus(state, deps({ now: afterStart(597) }));

    // Assert: the short interval (the job is 97 s past its submit), cut to the 3 s left
    expect(next).toMatchObject({ status: 'PROCESSING', waitSeconds: 3, executionStartedAt: STARTED_AT });
  });

  it('counts from the submit for a state that does not carry the start (an execution older than this code)', async () => {
    // Arrange
    const { executionStartedAt: _, ...olderState } = state;

    // Act
    const next = await checkStatus(olderState, deps({ now: afterStart(601) }));

    // Assert: only 101 s after its submit
    expect(next).toMatchObject({ status: 'PROCESSING', waitSeconds: 5 });
  });
});

describe('Function: submitJob deadline', () => {
  it('counts the deadlines from the admission, not from an execution start that waited for capacity', async () => {
    // Arrange: the execution started 580 s ago and is admitted only now
    rows.set(JOB_ID, storedJob(JOB_ID));
    const startedAt = new Date(Date.now() - 580_000).toISOString();
    const deps: SubmitDeps = {
      store,
      segmind: { submit: vi.fn(async () => ({ requestId: UPSTREAM_ID, status: 'QUEUED' as const })) },
      presignFrame: vi.fn(),
      pollSettings: settings,
      gate: openGate(),
      capacityWaitSeconds: 3600,
      remainingMs: () => 55_000,
    };

    // Act
    const polling = await submitJob({ jobId: JOB_ID, executionStartedAt: startedAt }, deps);

    // Assert: counted from the execution's start only 20 s would be left; from the admission the plan's 69 s are
    expect(polling).toMatchObject({ executionStartedAt: startedAt, upstreamRequestId: UPSTREAM_ID });
    expect(polling.admittedAt).toBe(rows.get(JOB_ID)?.admittedAt);
    expect(Date.parse(String(polling.admittedAt))).toBeGreaterThan(Date.parse(startedAt) + 579_000);
    expect(polling.waitSeconds).toBe(69);
  });
});

describe('Function: upstream calls timed from the invocation’s remaining time', () => {
  const state: PollingState = {
    jobId: JOB_ID,
    executionStartedAt: new Date().toISOString(),
    upstreamRequestId: UPSTREAM_ID,
    submittedAt: new Date().toISOString(),
    pollCount: 1,
    waitSeconds: 5,
  };

  it('gives the status read half of what remains less 5 s (a result read may follow) and the result read the rest', async () => {
    // Arrange: the status read takes 10 of the 45 s left
    let remaining = 45_000;
    const segmind = {
      status: vi.fn(async () => {
        remaining -= 10_000;
        return { status: 'COMPLETED' as const };
      }),
      result: vi.fn(async () => ({ status: 'COMPLETED' as const, videoUrl: 'https://cdn.segmind.com/v.mp4' })),
    };

    // Act
    await checkStatus(state, {
      store,
      segmind,
      pollSettings: settings,
      gate: openGate(),
      remainingMs: () => remaining,
    });

    // Assert
    expect(segmind.status).toHaveBeenCalledWith(UPSTREAM_ID, { timeoutMs: 20_000 });
    expect(segmind.result).toHaveBeenCalledWith(UPSTREAM_ID, { timeoutMs: 30_000 });
  });

  it('fails retryably, without calling, when too little time is left for a read', async () => {
    // Arrange
    const segmind = { status: vi.fn(), result: vi.fn() };

    // Act
    const run = checkStatus(state, {
      store,
      segmind,
      pollSettings: settings,
      gate: openGate(),
      remainingMs: () => 8_000,
    });

    // Assert
    await expect(run).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(segmind.status).not.toHaveBeenCalled();
  });

  it('gives the submit what remains less 5 s', async () => {
    // Arrange
    rows.set(JOB_ID, storedJob(JOB_ID));
    const submit = vi.fn(async () => ({ requestId: UPSTREAM_ID, status: 'QUEUED' as const }));

    // Act
    await submitJob(
      { jobId: JOB_ID, executionStartedAt: new Date().toISOString() },
      {
        store,
        segmind: { submit },
        presignFrame: vi.fn(),
        pollSettings: settings,
        gate: openGate(),
        capacityWaitSeconds: 3600,
        remainingMs: () => 52_000,
      },
    );

    // Assert
    expect(submit).toHaveBeenCalledWith(expect.any(Object), { timeoutMs: 47_000 });
  });

  it('sends no submit with less than 20 s to answer, and gives the claim back for the retry', async () => {
    // Arrange
    rows.set(JOB_ID, storedJob(JOB_ID));
    const submit = vi.fn();

    // Act
    const run = submitJob(
      { jobId: JOB_ID, executionStartedAt: new Date().toISOString() },
      {
        store,
        segmind: { submit },
        presignFrame: vi.fn(),
        pollSettings: settings,
        gate: openGate(),
        capacityWaitSeconds: 3600,
        remainingMs: () => 24_000,
      },
    );

    // Assert
    await expect(run).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(submit).not.toHaveBeenCalled();
    expect(rows.get(JOB_ID)).not.toHaveProperty('submitClaimedAt');
    expect(updatesSent(ddb).at(-1)?.UpdateExpression).toMatch(/REMOVE #submitClaimedAt$/);
  });
});

describe('Function: copyVideo against the invocation’s remaining time', () => {
  const copy = (remainingMs: number) =>
    copyVideo(
      {
        jobId: JOB_ID,
        upstreamRequestId: UPSTREAM_ID,
        submittedAt: SUBMITTED_AT,
        pollCount: 2,
        waitSeconds: 5,
        status: 'COMPLETED',
        videoUrl: `${slowVideoUrl}/video.mp4`,
      },
      {
        store,
        s3: new S3Client({ region: 'us-east-1' }),
        bucket: 'framebridge-test',
        allowedHosts: [new URL(slowVideoUrl).host],
        segmindBaseUrl: slowVideoUrl,
        maxBytes: 1_000_000,
        idleTimeoutMs: 5_000,
        remainingMs: () => remainingMs,
      },
    );

  it.each([
    ['only the 30 s kept to finish are left', 30_000],
    ['the download would outlast the invocation', 30_300],
  ])('stops a download too slow to finish in time when %s, storing nothing, retryably', async (_case, remaining) => {
    // Arrange
    s3Mock.reset();
    const started = Date.now();

    // Act
    const run = copy(remaining);

    // Assert: well before the 5 s stall timeout
    await expect(run).rejects.toBeInstanceOf(VideoDownloadError);
    await expect(run).rejects.toThrow(/too slow to finish in time .* sized for 1 MiB\/s/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'PROCESSING' });
  });
});

describe('Handler: checkStatus task', () => {
  it('times its status read from the Lambda context, not a fixed 20 s', async () => {
    // Arrange: 9 s left in the invocation, so the read gets (9 − 5) / 2 = 2 s
    const context = { ...lambdaContext('checkStatus'), getRemainingTimeInMillis: () => 9_000 };
    const input = {
      jobId: JOB_ID,
      executionStartedAt: new Date().toISOString(),
      upstreamRequestId: UPSTREAM_ID,
      submittedAt: new Date().toISOString(),
      pollCount: 1,
      waitSeconds: 5,
    };
    const started = Date.now();

    // Act
    const run = checkStatusHandler(input, context);

    // Assert
    await expect(run).rejects.toMatchObject({
      name: 'UpstreamUnavailableError',
      message: expect.stringContaining('no answer within 2000 ms'),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
