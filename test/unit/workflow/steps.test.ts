import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  UploadPartCommand,
  type UploadPartCommandInput,
} from '@aws-sdk/client-s3';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobStore } from '../../../lambdas/adapters/jobStore';
import {
  statusesLeadingTo,
  UPSTREAM_STATUS_TABLE,
  type UpstreamStatus,
  upstreamStatuses,
} from '../../../lambdas/core/contract/upstreamStatus';
import {
  SubmitOutcomeUnknownError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  VideoDownloadError,
  VideoRejectedError,
} from '../../../lambdas/core/errors';
import type { Job } from '../../../lambdas/core/job';
import { allowedOutputHosts } from '../../../lambdas/core/outputHosts';
import { defaultPollSettings } from '../../../lambdas/core/pollPlan';
import type { TenantUsage } from '../../../lambdas/core/spendLimits';
import type { CheckedState, PollingState } from '../../../lambdas/core/workflowState';
import { cancelOwnedJob } from '../../../lambdas/jobs/cancelJob';
import { checkStatus } from '../../../lambdas/workflow/steps/checkStatus';
import { type CopyVideoDeps, copyVideo } from '../../../lambdas/workflow/steps/copyVideo';
import { recordFailure } from '../../../lambdas/workflow/steps/recordFailure';
import { type SubmitDeps, submitJob } from '../../../lambdas/workflow/steps/submitJob';
import { failureOf } from '../failureOf';
import { OWNER, serveJobsTable, storedJob, TABLE_NAME, updatesSent } from '../fakeJobsTable';
import { serveTenantUsage } from '../fakeTenantUsage';
import { openGate } from './openGate';

const ddb = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);
const store: JobStore = {
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  tableName: TABLE_NAME,
};
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });

const JOB_ID = '01JQ0000000000000000000001';
const UPSTREAM_ID = 'sg-4f1c2a9e-7b3d';
const MIB = 1024 * 1024;

let rows: Map<string, Record<string, unknown>>;
let usage: Map<string, TenantUsage>;

function putRow(job: Job): void {
  rows.set(job.id, structuredClone(job));
}
/** A job that holds one of its owner's active slots, as createTransitionJob stores it, among `active` counted. */
function putRowHoldingSlot(job: Job, active = 2): void {
  rows.set(job.id, { ...structuredClone(job), holdsActiveSlot: true });
  usage.set(OWNER, { activeCount: active, day: '2025-03-01', dayCount: active });
}
const row = (id = JOB_ID) => rows.get(id) ?? {};
const isClaim = (input: { ConditionExpression?: string }) =>
  input.ConditionExpression?.includes('attribute_not_exists(submitClaimedAt)') ?? false;

beforeEach(() => {
  ddb.reset();
  s3Mock.reset();
  rows = serveJobsTable(ddb);
  usage = serveTenantUsage(ddb, rows);
});

describe('Function: submitJob', () => {
  const events: string[] = [];
  let segmind: { submit: ReturnType<typeof vi.fn<SubmitDeps['segmind']['submit']>> };
  let presignFrame: ReturnType<typeof vi.fn<SubmitDeps['presignFrame']>>;
  let sleep: ReturnType<typeof vi.fn<(ms: number) => Promise<void>>>;
  /** The invocation's remaining time: 60 s at the start, less whatever the step sleeps. */
  let remaining: number;

  const deps = (): SubmitDeps => ({
    store,
    segmind,
    presignFrame,
    pollSettings: defaultPollSettings,
    gate: openGate(),
    capacityWaitSeconds: 3600,
    remainingMs: () => remaining,
    sleep,
  });
  const input = () => ({ jobId: JOB_ID, executionStartedAt: new Date().toISOString() });

  beforeEach(() => {
    events.length = 0;
    segmind = {
      submit: vi.fn(async () => {
        events.push('submit');
        return { requestId: UPSTREAM_ID, status: 'QUEUED' as const };
      }),
    };
    presignFrame = vi.fn(
      async (bucket: string, key: string) => `https://${bucket}.s3.amazonaws.com/${key}?X-Amz-Signature=f00`,
    );
    remaining = 60_000;
    sleep = vi.fn(async (ms: number) => {
      remaining -= ms;
    });
  });

  it('claims the submit, submits once and records the upstream request id', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    const claimedBeforeSubmit = vi.fn();
    segmind.submit.mockImplementationOnce(async () => {
      claimedBeforeSubmit(row().submitClaimedAt);
      return { requestId: UPSTREAM_ID, status: 'QUEUED' };
    });

    // Act
    const state = await submitJob(input(), deps());

    // Assert
    expect(segmind.submit).toHaveBeenCalledTimes(1);
    expect(claimedBeforeSubmit).toHaveBeenCalledWith(expect.any(String));
    expect(state).toEqual<PollingState>({
      jobId: JOB_ID,
      executionStartedAt: expect.any(String),
      admittedAt: expect.any(String),
      upstreamRequestId: UPSTREAM_ID,
      submittedAt: expect.any(String),
      pollCount: 0,
      waitSeconds: 69,
    });
    expect(row()).toMatchObject({
      upstreamRequestId: UPSTREAM_ID,
      phase: 'submitted',
      status: 'QUEUED',
      upstreamStatus: 'QUEUED',
    });
    expect(row().submittedAt).toEqual(expect.any(String));
    const updates = updatesSent(ddb);
    expect(updates).toHaveLength(2);
    expect(isClaim(updates[0] ?? {})).toBe(true);
    expect(updates[1]?.ExpressionAttributeValues).toMatchObject({ ':upstreamRequestId': UPSTREAM_ID });
  });

  it('sends Segmind our request with defaults, without callback_url, frames presigned from s3://', async () => {
    // Arrange
    putRow(
      storedJob(JOB_ID, {
        first_frame_url: 's3://framebridge-bucket/uploads/first.png',
        callback_url: 'https://hooks.example.com/framebridge',
        quality: '720p',
      }),
    );

    // Act
    await submitJob(input(), deps());

    // Assert
    expect(presignFrame).toHaveBeenCalledTimes(1);
    expect(presignFrame).toHaveBeenCalledWith('framebridge-bucket', 'uploads/first.png');
    const body = segmind.submit.mock.calls[0]?.[0];
    expect(body).toEqual({
      prompt: 'The sunrise street melts into the same street at night',
      first_frame_url: 'https://framebridge-bucket.s3.amazonaws.com/uploads/first.png?X-Amz-Signature=f00',
      last_frame_url: 'https://cdn.example.com/frames/last.png',
      duration: 5,
      quality: '720p',
      motion_mode: 'normal',
      seed: 12345,
      sound_effect_switch: true,
      lip_sync_switch: false,
    });
    expect(body).not.toHaveProperty('callback_url');
  });

  it('resumes a retried submit that finds the claim and an upstream id, without submitting', async () => {
    // Arrange: the first attempt submitted, but its answer to the state machine was lost.
    putRow(storedJob(JOB_ID));
    const first = await submitJob(input(), deps());
    segmind.submit.mockClear();

    // Act
    const retried = await submitJob({ ...input(), executionStartedAt: first.executionStartedAt ?? '' }, deps());

    // Assert
    expect(segmind.submit).not.toHaveBeenCalled();
    expect(retried).toEqual({ ...first, submittedAt: row().submittedAt });
  });

  it('fails SubmitOutcomeUnknownError without submitting when a claim holds no upstream id', async () => {
    // Arrange: an earlier attempt claimed, then died without an answer.
    putRow(storedJob(JOB_ID, {}, { phase: 'submitting', submitClaimedAt: '2025-03-01T09:00:01.000Z' }));

    // Act
    const error = await failureOf(submitJob(input(), deps()));

    // Assert
    expect(error).toBeInstanceOf(SubmitOutcomeUnknownError);
    expect(segmind.submit).not.toHaveBeenCalled();
    expect(row().submitClaimedAt).toBe('2025-03-01T09:00:01.000Z');
  });

  it.each([
    ['UpstreamUnavailableError', () => new UpstreamUnavailableError('connect ECONNREFUSED', { httpStatus: 503 })],
    ['UpstreamThrottledError without a reset time', () => new UpstreamThrottledError('HTTP 429')],
    [
      'UpstreamThrottledError resetting in a minute',
      () => new UpstreamThrottledError('HTTP 429', new Date(Date.now() + 60_000)),
    ],
  ])('releases the claim and rethrows on %s', async (_case, makeError) => {
    // Arrange
    putRow(storedJob(JOB_ID));
    const thrown = makeError();
    segmind.submit.mockRejectedValueOnce(thrown);

    // Act
    const error = await failureOf(submitJob(input(), deps()));

    // Assert
    expect(error).toBe(thrown);
    expect(sleep).not.toHaveBeenCalled();
    const release = updatesSent(ddb).at(-1);
    expect(release?.UpdateExpression).toMatch(/REMOVE #submitClaimedAt$/);
    expect(release?.ExpressionAttributeNames).toMatchObject({ '#submitClaimedAt': 'submitClaimedAt' });
    expect(row()).not.toHaveProperty('submitClaimedAt');
    expect(row()).toMatchObject({ phase: 'queued', status: 'QUEUED' });
  });

  it('submits again on the state machine retry after a released claim', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    segmind.submit.mockRejectedValueOnce(new UpstreamUnavailableError('HTTP 502', { httpStatus: 502 }));
    await failureOf(submitJob(input(), deps()));

    // Act
    const state = await submitJob(input(), deps());

    // Assert
    expect(segmind.submit).toHaveBeenCalledTimes(2);
    expect(state.upstreamRequestId).toBe(UPSTREAM_ID);
  });

  it.each([
    ['SubmitOutcomeUnknownError', () => new SubmitOutcomeUnknownError('socket hang up after send')],
    ['UpstreamRejectedError', () => new UpstreamRejectedError(406, 'insufficient credits')],
  ])('keeps the claim on %s', async (_case, makeError) => {
    // Arrange
    putRow(storedJob(JOB_ID));
    const thrown = makeError();
    segmind.submit.mockRejectedValueOnce(thrown);

    // Act
    const error = await failureOf(submitJob(input(), deps()));

    // Assert
    expect(error).toBe(thrown);
    expect(updatesSent(ddb)).toHaveLength(1);
    // The only write was the claim: nothing gave it back.
    expect(updatesSent(ddb).some((update) => /REMOVE.*#submitClaimedAt/.test(update.UpdateExpression ?? ''))).toBe(
      false,
    );
    expect(row().submitClaimedAt).toEqual(expect.any(String));
  });

  it('waits out a 429 that resets within 15 s (plus up to 1 s of jitter) and retries in the step', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    segmind.submit.mockRejectedValueOnce(new UpstreamThrottledError('HTTP 429', new Date(Date.now() + 4_000)));

    // Act
    const state = await submitJob(input(), deps());

    // Assert
    expect(sleep).toHaveBeenCalledTimes(1);
    const waited = sleep.mock.calls[0]?.[0] ?? 0;
    expect(waited).toBeGreaterThan(3_000);
    expect(waited).toBeLessThanOrEqual(5_000);
    expect(segmind.submit).toHaveBeenCalledTimes(2);
    expect(state.upstreamRequestId).toBe(UPSTREAM_ID);
  });

  it('keeps waiting out short 429s while a submit after the wait still gets 20 s, then releases the claim', async () => {
    // Arrange: every answer is a 429 resetting 10 s later
    putRow(storedJob(JOB_ID));
    segmind.submit.mockImplementation(async () => {
      throw new UpstreamThrottledError('HTTP 429', new Date(Date.now() + 10_000));
    });

    // Act
    const error = await failureOf(submitJob(input(), deps()));

    // Assert: of 60 s, three waits of 10–11 s leave ≥ 20 s (+ 5 s margin) for the next submit, a fourth does not
    expect(error).toBeInstanceOf(UpstreamThrottledError);
    expect(sleep).toHaveBeenCalledTimes(3);
    expect(segmind.submit).toHaveBeenCalledTimes(4);
    expect(row()).not.toHaveProperty('submitClaimedAt');
  });

  it('does not wait in the step for a 429 whose reset is far away', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    segmind.submit.mockRejectedValueOnce(new UpstreamThrottledError('HTTP 429', new Date(Date.now() + 60_000)));

    // Act
    const error = await failureOf(submitJob(input(), deps()));

    // Assert
    expect(error).toBeInstanceOf(UpstreamThrottledError);
    expect(sleep).not.toHaveBeenCalled();
    expect(segmind.submit).toHaveBeenCalledTimes(1);
  });

  it('refuses a job that already finished, without claiming', async () => {
    // Arrange
    putRow(
      storedJob(JOB_ID, {}, { status: 'FAILED', phase: 'failed', error: { code: 'cancelled', message: 'Cancelled' } }),
    );

    // Act
    const error = await failureOf(submitJob(input(), deps()));

    // Assert
    expect(error).toBeInstanceOf(Error);
    expect(segmind.submit).not.toHaveBeenCalled();
    expect(updatesSent(ddb)).toHaveLength(0);
  });
});

describe('Function: checkStatus', () => {
  const submittedAt = '2025-03-01T09:00:10.000Z';
  const pollingState: PollingState = {
    jobId: JOB_ID,
    upstreamRequestId: UPSTREAM_ID,
    submittedAt,
    pollCount: 1,
    waitSeconds: 69,
  };
  const at = (secondsAfterSubmit: number) => () => new Date(Date.parse(submittedAt) + secondsAfterSubmit * 1000);

  let segmind: {
    status: ReturnType<typeof vi.fn<(id: string) => Promise<{ status: UpstreamStatus; error?: string }>>>;
    result: ReturnType<
      typeof vi.fn<
        (id: string) => Promise<{
          status: UpstreamStatus;
          videoUrl?: string;
          metrics?: Record<string, unknown>;
          error?: string;
        }>
      >
    >;
  };

  /** Each read gets its time from the invocation's: 30 s left here. */
  const remainingMs = () => 30_000;

  beforeEach(() => {
    segmind = { status: vi.fn(), result: vi.fn() };
    putRow(
      storedJob(
        JOB_ID,
        {},
        { phase: 'submitted', upstreamRequestId: UPSTREAM_ID, upstreamStatus: 'QUEUED', submittedAt },
      ),
    );
  });

  it('waits the poll plan interval while the job is QUEUED and counts the poll', async () => {
    // Arrange
    segmind.status.mockResolvedValue({ status: 'QUEUED' });

    // Act
    const next = await checkStatus(pollingState, {
      store,
      segmind,
      pollSettings: defaultPollSettings,
      gate: openGate(),
      remainingMs,
      now: at(70),
    });

    // Assert
    expect(segmind.status).toHaveBeenCalledWith(UPSTREAM_ID, { timeoutMs: 12_500 });
    expect(next).toEqual<CheckedState>({
      ...pollingState,
      status: 'QUEUED',
      pollCount: 2,
      waitSeconds: 5,
      lastPendingAt: at(70)().toISOString(),
    });
    expect(segmind.result).not.toHaveBeenCalled();
    expect(updatesSent(ddb)).toHaveLength(0);
  });

  it('records PROCESSING as the generating phase and uses the configured interval', async () => {
    // Arrange
    segmind.status.mockResolvedValue({ status: 'PROCESSING' });
    const pollSettings = { ...defaultPollSettings, intervalSeconds: 3 };

    // Act
    const next = await checkStatus(pollingState, {
      store,
      segmind,
      pollSettings,
      gate: openGate(),
      remainingMs,
      now: at(72),
    });

    // Assert
    expect(next).toMatchObject({ status: 'PROCESSING', pollCount: 2, waitSeconds: 3 });
    expect(row()).toMatchObject({ phase: 'generating', status: 'PROCESSING', upstreamStatus: 'PROCESSING' });
  });

  it('polls slower once the job is far past its expected time', async () => {
    // Arrange
    segmind.status.mockResolvedValue({ status: 'PROCESSING' });

    // Act
    const next = await checkStatus(pollingState, {
      store,
      segmind,
      pollSettings: defaultPollSettings,
      gate: openGate(),
      remainingMs,
      now: at(400),
    });

    // Assert
    expect(next).toMatchObject({ waitSeconds: 15 });
  });

  it('fetches the result when COMPLETED and hands the video URL on', async () => {
    // Arrange
    segmind.status.mockResolvedValue({ status: 'COMPLETED' });
    segmind.result.mockResolvedValue({
      status: 'COMPLETED',
      videoUrl: 'https://cdn.segmind.com/out/video.mp4',
      metrics: { predict_time: 70.1 },
    });

    // Act
    const next = await checkStatus(pollingState, {
      store,
      segmind,
      pollSettings: defaultPollSettings,
      gate: openGate(),
      remainingMs,
      now: at(75),
    });

    // Assert
    expect(segmind.status).toHaveBeenCalledWith(UPSTREAM_ID, { timeoutMs: 12_500 });
    expect(segmind.result).toHaveBeenCalledWith(UPSTREAM_ID, { timeoutMs: 25_000 });
    expect(next).toEqual<CheckedState>({
      ...pollingState,
      status: 'COMPLETED',
      videoUrl: 'https://cdn.segmind.com/out/video.mp4',
    });
    expect(row()).toMatchObject({ phase: 'copying', status: 'PROCESSING', metrics: { predict_time: 70.1 } });
  });

  it('turns a COMPLETED status whose result holds no video into FAILED', async () => {
    // Arrange
    segmind.status.mockResolvedValue({ status: 'COMPLETED' });
    segmind.result.mockResolvedValue({ status: 'COMPLETED' });

    // Act
    const next = await checkStatus(pollingState, {
      store,
      segmind,
      pollSettings: defaultPollSettings,
      gate: openGate(),
      remainingMs,
      now: at(75),
    });

    // Assert
    expect(next).toMatchObject({ status: 'FAILED', upstreamError: expect.stringContaining('without a video') });
  });

  it("returns FAILED with the upstream's error", async () => {
    // Arrange
    segmind.status.mockResolvedValue({ status: 'FAILED', error: 'Frame could not be downloaded' });

    // Act
    const next = await checkStatus(pollingState, {
      store,
      segmind,
      pollSettings: defaultPollSettings,
      gate: openGate(),
      remainingMs,
      now: at(75),
    });

    // Assert
    expect(next).toEqual<CheckedState>({
      ...pollingState,
      status: 'FAILED',
      upstreamError: 'Frame could not be downloaded',
    });
    expect(segmind.result).not.toHaveBeenCalled();
  });

  /** Where a checked state sends the state machine next. */
  const nextStepOf = (checked: CheckedState) =>
    checked.videoUrl !== undefined ? 'copy' : checked.upstreamError !== undefined ? 'fail' : 'wait';

  it.each(upstreamStatuses)('goes where the status table says after %s', async (status) => {
    // Arrange
    segmind.status.mockResolvedValue({ status, error: 'Segmind said no' });
    segmind.result.mockResolvedValue({ status, videoUrl: 'https://cdn.segmind.com/out/video.mp4' });

    // Act
    const checked = await checkStatus(pollingState, {
      store,
      segmind,
      pollSettings: defaultPollSettings,
      gate: openGate(),
      remainingMs,
      now: at(70),
    });

    // Assert
    expect(nextStepOf(checked)).toBe(UPSTREAM_STATUS_TABLE[status].next);
    expect(checked.status).toBe(status);
  });

  it.each([...statusesLeadingTo('wait'), ...statusesLeadingTo('copy')])(
    'records the phase the status table gives %s',
    async (status) => {
      // Arrange
      putRow(storedJob(JOB_ID, {}, { phase: 'submitting', upstreamRequestId: UPSTREAM_ID, submittedAt }));
      segmind.status.mockResolvedValue({ status });
      segmind.result.mockResolvedValue({ status, videoUrl: 'https://cdn.segmind.com/out/video.mp4' });

      // Act
      await checkStatus(pollingState, {
        store,
        segmind,
        pollSettings: defaultPollSettings,
        gate: openGate(),
        remainingMs,
        now: at(70),
      });

      // Assert
      expect(row()).toMatchObject({ phase: UPSTREAM_STATUS_TABLE[status].phase, upstreamStatus: status });
    },
  );

  it('throws UpstreamTimeoutError once the deadline has passed', async () => {
    // Arrange
    segmind.status.mockResolvedValue({ status: 'PROCESSING' });

    // Act
    const error = await failureOf(
      checkStatus(pollingState, {
        store,
        segmind,
        pollSettings: defaultPollSettings,
        gate: openGate(),
        remainingMs,
        now: at(defaultPollSettings.deadlineSeconds + 1),
      }),
    );

    // Assert
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).name).toBe('UpstreamTimeoutError');
  });
});

describe('Function: copyVideo', () => {
  const BUCKET = 'framebridge-bucket-test';
  const videoKey = `jobs/${JOB_ID}/video.mp4`;
  const resultKey = `jobs/${JOB_ID}/result.json`;

  type Route = (request: IncomingMessage, response: ServerResponse) => void;
  let server: Server;
  let otherServer: Server;
  let baseUrl: string;
  let otherUrl: string;
  let route: Route;
  let requests: string[];
  let otherRequests: string[];

  /** Bytes that start like an MP4 (`ftyp` box, brand mp42), then filler. */
  function mp4Bytes(size: number): Buffer {
    const bytes = Buffer.alloc(size, 0x2a);
    Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom', 'latin1').copy(bytes);
    return bytes;
  }

  const serve =
    (body: Buffer, headers: Record<string, string> = {}): Route =>
    (_request, response) => {
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(body.length), ...headers });
      response.end(body);
    };

  /** No content-length: the body goes out chunked, in pieces. */
  const serveChunked =
    (body: Buffer, pieces = 4): Route =>
    (_request, response) => {
      response.writeHead(200, { 'content-type': 'video/mp4' });
      const size = Math.ceil(body.length / pieces);
      for (let offset = 0; offset < body.length; offset += size) response.write(body.subarray(offset, offset + size));
      response.end();
    };

  const state = (videoUrl = `${baseUrl}/outputs/video.mp4`): CheckedState & { videoUrl: string } => ({
    jobId: JOB_ID,
    upstreamRequestId: UPSTREAM_ID,
    submittedAt: '2025-03-01T09:00:10.000Z',
    pollCount: 3,
    waitSeconds: 5,
    status: 'COMPLETED',
    videoUrl,
  });

  const deps = (overrides: Partial<CopyVideoDeps> = {}): CopyVideoDeps => ({
    store,
    s3,
    bucket: BUCKET,
    allowedHosts: allowedOutputHosts(undefined, baseUrl),
    segmindBaseUrl: baseUrl,
    maxBytes: 20 * MIB,
    headersTimeoutMs: 2_000,
    idleTimeoutMs: 2_000,
    partSizeBytes: 5 * MIB,
    ...overrides,
  });

  const putKeys = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);

  async function listen(target: Server): Promise<string> {
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      route(request, response);
    });
    otherServer = createServer((request, response) => {
      otherRequests.push(request.url ?? '');
      serve(mp4Bytes(100))(request, response);
    });
    baseUrl = await listen(server);
    otherUrl = await listen(otherServer);
  });

  afterAll(async () => {
    for (const target of [server, otherServer]) {
      target.closeAllConnections();
      await new Promise((resolve) => target.close(resolve));
    }
  });

  beforeEach(() => {
    requests = [];
    otherRequests = [];
    route = serve(mp4Bytes(1000));
    putRow(
      storedJob(
        JOB_ID,
        {},
        { phase: 'copying', status: 'PROCESSING', upstreamRequestId: UPSTREAM_ID, metrics: { predict_time: 70 } },
      ),
    );
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag-put"' });
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3Mock
      .on(UploadPartCommand)
      .callsFake(async (input: UploadPartCommandInput) => ({ ETag: `"etag-${input.PartNumber}"` }));
    s3Mock.on(CompleteMultipartUploadCommand).resolves({ Location: 'https://s3/video.mp4' });
    s3Mock.on(AbortMultipartUploadCommand).resolves({});
  });

  it('stores a valid MP4 under jobs/{id}/video.mp4, then result.json, and completes the job', async () => {
    // Arrange
    const video = mp4Bytes(4096);
    route = serve(video);

    // Act
    const copied = await copyVideo(state(), deps());

    // Assert
    expect(copied).toEqual({
      jobId: JOB_ID,
      status: 'COMPLETED',
      s3Uri: `s3://${BUCKET}/${videoKey}`,
      bytes: 4096,
      announce: true,
    });
    expect(putKeys()).toEqual([videoKey, resultKey]);
    const [videoPut, resultPut] = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(videoPut).toMatchObject({ Bucket: BUCKET, ContentType: 'video/mp4' });
    expect(Buffer.from(videoPut?.Body as Uint8Array).equals(video)).toBe(true);
    expect(resultPut).toMatchObject({ Bucket: BUCKET, ContentType: 'application/json' });
    expect(JSON.parse(String(resultPut?.Body))).toMatchObject({
      request_id: JOB_ID,
      status: 'COMPLETED',
      output: { s3_uri: `s3://${BUCKET}/${videoKey}`, bytes: 4096, content_type: 'video/mp4' },
      upstream_request_id: UPSTREAM_ID,
    });
    expect(row()).toMatchObject({
      status: 'COMPLETED',
      phase: 'completed',
      output: { s3Bucket: BUCKET, videoKey, resultKey, bytes: 4096, contentType: 'video/mp4' },
    });
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it("gives the job's active slot back when it completes", async () => {
    // Arrange
    putRowHoldingSlot(
      storedJob(JOB_ID, {}, { phase: 'copying', status: 'PROCESSING', upstreamRequestId: UPSTREAM_ID }),
    );

    // Act
    await copyVideo(state(), deps());

    // Assert
    expect(row()).toMatchObject({ status: 'COMPLETED' });
    expect(row()).not.toHaveProperty('holdsActiveSlot');
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 1, dayCount: 2 });
  });

  it('writes the metrics Check Status recorded into result.json and onto the completed job', async () => {
    // Arrange: the job as Check Status leaves it after Segmind answered COMPLETED with metrics
    putRow(
      storedJob(JOB_ID, {}, { phase: 'submitted', upstreamRequestId: UPSTREAM_ID, submittedAt: state().submittedAt }),
    );
    const segmind = {
      status: vi.fn(async () => ({ status: 'COMPLETED' as const })),
      result: vi.fn(async () => ({
        status: 'COMPLETED' as const,
        videoUrl: `${baseUrl}/outputs/video.mp4`,
        metrics: { inference_time: 77.3 },
      })),
    };
    const checked = await checkStatus(state(), {
      store,
      segmind,
      pollSettings: defaultPollSettings,
      gate: openGate(),
      remainingMs: () => 30_000,
    });

    // Act
    await copyVideo({ ...checked, videoUrl: checked.videoUrl ?? '' }, deps());

    // Assert
    const resultPut = s3Mock.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === resultKey);
    expect(JSON.parse(String(resultPut?.args[0].input.Body))).toMatchObject({ metrics: { inference_time: 77.3 } });
    expect(row()).toMatchObject({ status: 'COMPLETED', metrics: { inference_time: 77.3 } });
  });

  it('writes empty metrics into result.json when the upstream reported none', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { phase: 'copying', status: 'PROCESSING', upstreamRequestId: UPSTREAM_ID }));

    // Act
    await copyVideo(state(), deps());

    // Assert
    const resultPut = s3Mock.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === resultKey);
    expect(JSON.parse(String(resultPut?.args[0].input.Body))).toMatchObject({ metrics: {} });
  });

  it('fails without fetching when the job record is gone', async () => {
    // Arrange
    rows.clear();

    // Act
    const error = await failureOf(copyVideo(state(), deps()));

    // Assert
    expect((error as Error).message).toMatch(/not found/);
    expect(requests).toHaveLength(0);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('asks for the identity encoding, so a gzip-capable host sends the bytes as they are', async () => {
    // Arrange: a host that gzips whenever the client allows it
    let acceptEncoding: string | undefined;
    route = (request, response) => {
      acceptEncoding = String(request.headers['accept-encoding'] ?? '');
      serve(mp4Bytes(5000))(request, response);
    };

    // Act
    const copied = await copyVideo(state(), deps());

    // Assert
    expect(acceptEncoding).toBe('identity');
    expect(copied).toMatchObject({ bytes: 5000 });
  });

  it('stores a chunked body (no content-length) of a valid MP4', async () => {
    // Arrange
    route = serveChunked(mp4Bytes(10_000), 7);

    // Act
    const copied = await copyVideo(state(), deps());

    // Assert
    expect(copied).toMatchObject({ bytes: 10_000 });
    expect(putKeys()).toEqual([videoKey, resultKey]);
  });

  it('streams a 12 MiB video as a multipart upload of 5 MiB parts', async () => {
    // Arrange
    const video = mp4Bytes(12 * MIB);
    route = serve(video);

    // Act
    const copied = await copyVideo(state(), deps());

    // Assert
    expect(copied).toMatchObject({ bytes: 12 * MIB });
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      Bucket: BUCKET,
      Key: videoKey,
      ContentType: 'video/mp4',
    });
    const parts = s3Mock.commandCalls(UploadPartCommand).map((call) => call.args[0].input);
    expect(parts.map((part) => [part.PartNumber, (part.Body as Uint8Array).byteLength]).sort()).toEqual([
      [1, 5 * MIB],
      [2, 5 * MIB],
      [3, 2 * MIB],
    ]);
    expect(parts.every((part) => part.UploadId === 'upload-1')).toBe(true);
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input.MultipartUpload?.Parts).toEqual([
      { PartNumber: 1, ETag: '"etag-1"' },
      { PartNumber: 2, ETag: '"etag-2"' },
      { PartNumber: 3, ETag: '"etag-3"' },
    ]);
    expect(putKeys()).toEqual([resultKey]);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload when the body breaks off mid-way, and never completes it', async () => {
    // Arrange: 7 of 12 MiB go out; the socket dies once part 1 is stored.
    let partStored: () => void = () => undefined;
    const firstPartStored = new Promise<void>((resolve) => {
      partStored = resolve;
    });
    s3Mock.on(UploadPartCommand).callsFake(async (input: UploadPartCommandInput) => {
      partStored();
      return { ETag: `"etag-${input.PartNumber}"` };
    });
    route = (_request, response) => {
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(12 * MIB) });
      response.write(mp4Bytes(7 * MIB));
      void firstPartStored.then(() => response.destroy());
    };

    // Act
    const error = await failureOf(copyVideo(state(), deps()));

    // Assert
    expect(error).toBeInstanceOf(VideoDownloadError);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: videoKey,
      UploadId: 'upload-1',
    });
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(putKeys()).toEqual([]);
    expect(row()).toMatchObject({ status: 'PROCESSING' });
  });

  it('aborts the multipart upload when S3 fails a part, as a retryable VideoDownloadError', async () => {
    // Arrange
    s3Mock.on(UploadPartCommand).rejects(new Error('We encountered an internal error. Please try again.'));
    route = serve(mp4Bytes(12 * MIB));

    // Act
    const error = await failureOf(copyVideo(state(), deps()));

    // Assert
    expect(error).toBeInstanceOf(VideoDownloadError);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it.each<[string, () => Route]>([
    [
      'an HTML page',
      () =>
        serve(Buffer.from('<!DOCTYPE html><html><body>Access Denied</body></html>'), { 'content-type': 'text/html' }),
    ],
    ['a body shorter than an MP4 header', () => serve(Buffer.from('\0\0\0\x18ftyp', 'latin1'))],
    ['an empty body with content-length 0', () => serve(Buffer.alloc(0))],
    ['an empty chunked body', () => serveChunked(Buffer.alloc(0))],
  ])('rejects %s with VideoRejectedError and stores nothing', async (_case, makeRoute) => {
    // Arrange
    route = makeRoute();

    // Act
    const error = await failureOf(copyVideo(state(), deps()));

    // Assert
    expect(error).toBeInstanceOf(VideoRejectedError);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(row()).toMatchObject({ status: 'PROCESSING' });
  });

  it('rejects a redirect without following it', async () => {
    // Arrange
    route = (_request, response) => {
      response.writeHead(302, { location: `${otherUrl}/elsewhere/video.mp4` });
      response.end();
    };

    // Act
    const error = await failureOf(
      copyVideo(state(), deps({ allowedHosts: allowedOutputHosts([new URL(otherUrl).host], baseUrl) })),
    );

    // Assert
    expect(error).toBeInstanceOf(VideoRejectedError);
    expect((error as Error).message).toMatch(/redirect/);
    expect(requests).toHaveLength(1);
    expect(otherRequests).toHaveLength(0);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each<[string, () => string, () => Partial<CopyVideoDeps>]>([
    ['a host not in the allowed list', () => `${otherUrl}/video.mp4`, () => ({})],
    [
      'plain http when the base URL is https',
      () => `${baseUrl}/video.mp4`,
      () => ({ segmindBaseUrl: 'https://api.segmind.com', allowedHosts: [new URL(baseUrl).host] }),
    ],
    ['a URL that does not parse', () => 'not a url', () => ({})],
  ])('rejects %s without fetching', async (_case, videoUrl, overrides) => {
    // Act
    const error = await failureOf(copyVideo(state(videoUrl()), deps(overrides())));

    // Assert
    expect(error).toBeInstanceOf(VideoRejectedError);
    expect(requests).toHaveLength(0);
    expect(otherRequests).toHaveLength(0);
  });

  it('rejects a declared content-length above maxBytes', async () => {
    // Arrange
    route = serve(mp4Bytes(2_000));

    // Act
    const error = await failureOf(copyVideo(state(), deps({ maxBytes: 1_000 })));

    // Assert
    expect(error).toBeInstanceOf(VideoRejectedError);
    expect((error as Error).message).toMatch(/2000 bytes, above the 1000-byte limit/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('rejects a chunked body that grows past maxBytes', async () => {
    // Arrange
    route = serveChunked(mp4Bytes(3_000), 6);

    // Act
    const error = await failureOf(copyVideo(state(), deps({ maxBytes: 2_000 })));

    // Assert
    expect(error).toBeInstanceOf(VideoRejectedError);
    expect((error as Error).message).toMatch(/exceeds the 2000-byte limit/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails a body cut off before its content-length with VideoDownloadError', async () => {
    // Arrange
    route = (_request, response) => {
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '1000' });
      response.write(mp4Bytes(500), () => response.destroy());
    };

    // Act
    const error = await failureOf(copyVideo(state(), deps()));

    // Assert
    expect(error).toBeInstanceOf(VideoDownloadError);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails a download that stalls mid-body with VideoDownloadError after idleTimeoutMs', async () => {
    // Arrange
    route = (_request, response) => {
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '1000' });
      response.write(mp4Bytes(500));
    };
    const started = Date.now();

    // Act
    const error = await failureOf(copyVideo(state(), deps({ idleTimeoutMs: 300 })));

    // Assert
    expect(error).toBeInstanceOf(VideoDownloadError);
    expect((error as Error).message).toMatch(/stalled/);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails a host that never answers with VideoDownloadError after headersTimeoutMs', async () => {
    // Arrange
    route = () => undefined;

    // Act
    const error = await failureOf(copyVideo(state(), deps({ headersTimeoutMs: 200 })));

    // Assert
    expect(error).toBeInstanceOf(VideoDownloadError);
  });

  it.each([
    [503, VideoDownloadError],
    [500, VideoDownloadError],
    [429, VideoDownloadError],
    [404, VideoRejectedError],
    [403, VideoRejectedError],
  ])('classifies HTTP %i from the video host', async (status, expected) => {
    // Arrange
    route = (_request, response) => {
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end('nope');
    };

    // Act
    const error = await failureOf(copyVideo(state(), deps()));

    // Assert
    expect(error).toBeInstanceOf(expected);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('deletes the stored video when result.json cannot be written, and does not complete the job', async () => {
    // Arrange
    const s3Down = new Error('Service Unavailable');
    s3Mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      if (input.Key === resultKey) throw s3Down;
      return { ETag: '"etag-put"' };
    });

    // Act
    const error = await failureOf(copyVideo(state(), deps()));

    // Assert: retryable, the video gone, the job not completed
    expect(error).toBeInstanceOf(VideoDownloadError);
    expect((error as Error).cause).toBe(s3Down);
    expect(s3Mock.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, Key: videoKey },
    ]);
    expect(row()).toMatchObject({ status: 'PROCESSING', phase: 'copying' });
  });
});

describe('Function: recordFailure', () => {
  it('ends the job FAILED with the code and message of the caught error', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { phase: 'copying', status: 'PROCESSING' }));
    const cause = JSON.stringify({
      errorType: 'VideoRejectedError',
      errorMessage: 'The upstream output is not an MP4 video',
    });

    // Act
    const output = await recordFailure(
      { jobId: JOB_ID, error: { Error: 'VideoRejectedError', Cause: cause } },
      { store },
    );

    // Assert
    expect(output).toEqual({
      jobId: JOB_ID,
      status: 'FAILED',
      code: 'video_rejected',
      message: 'The upstream output is not an MP4 video',
      announce: true,
    });
    expect(row()).toMatchObject({
      status: 'FAILED',
      phase: 'failed',
      error: { code: 'video_rejected', message: 'The upstream output is not an MP4 video' },
    });
    expect(row().completedAt).toEqual(expect.any(String));
  });

  it("records an upstream FAILED status with the upstream's message", async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { phase: 'generating', status: 'PROCESSING' }));

    // Act
    const output = await recordFailure({ jobId: JOB_ID, status: 'FAILED', upstreamError: 'Content policy' }, { store });

    // Assert
    expect(output).toEqual({
      jobId: JOB_ID,
      status: 'FAILED',
      code: 'upstream_failed',
      message: 'Content policy',
      announce: true,
    });
    expect(row()).toMatchObject({ status: 'FAILED', error: { code: 'upstream_failed', message: 'Content policy' } });
  });

  it('keeps internal details out of the stored message', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const output = await recordFailure(
      {
        jobId: JOB_ID,
        error: { Error: 'TypeError', Cause: '{"errorType":"TypeError","errorMessage":"x is undefined at /var/task"}' },
      },
      { store },
    );

    // Assert
    expect(output).toMatchObject({ status: 'FAILED', code: 'internal_error' });
    expect(JSON.stringify(row().error)).not.toContain('/var/task');
  });

  it("gives the job's active slot back, once: a second failure recorded over it releases nothing", async () => {
    // Arrange
    putRowHoldingSlot(storedJob(JOB_ID, {}, { phase: 'generating', status: 'PROCESSING' }));

    // Act
    await recordFailure({ jobId: JOB_ID, status: 'FAILED', upstreamError: 'Content policy' }, { store });
    await recordFailure({ jobId: JOB_ID, error: { Error: 'States.Timeout' } }, { store });

    // Assert
    expect(row()).toMatchObject({ status: 'FAILED', error: { code: 'upstream_failed' } });
    expect(row()).not.toHaveProperty('holdsActiveSlot');
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 1, dayCount: 2 });
  });

  it('releases the slot on cancel, and a failure recorded after the cancel releases nothing more', async () => {
    // Arrange
    sfnMock.reset();
    sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    putRowHoldingSlot(storedJob(JOB_ID, {}, { phase: 'generating', status: 'PROCESSING' }));
    const cancelDeps = {
      store,
      sfn: new SFNClient({ region: 'us-east-1' }),
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-transition',
    };

    // Act
    await cancelOwnedJob(cancelDeps, JOB_ID, OWNER);
    await recordFailure({ jobId: JOB_ID, error: { Error: 'States.Runtime' } }, { store });

    // Assert
    expect(row()).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 1 });
  });

  it('does not overwrite a job that already finished, and answers its real outcome (a cancel stays a cancel)', async () => {
    // Arrange
    putRow(
      storedJob(JOB_ID, {}, { status: 'FAILED', phase: 'failed', error: { code: 'cancelled', message: 'Cancelled' } }),
    );

    // Act
    const output = await recordFailure({ jobId: JOB_ID, error: { Error: 'States.Timeout' } }, { store });

    // Assert: the cancel announced itself; the tail announces nothing more
    expect(output).toEqual({
      jobId: JOB_ID,
      status: 'FAILED',
      code: 'cancelled',
      message: 'Cancelled',
      announce: false,
    });
    expect(row().error).toEqual({ code: 'cancelled', message: 'Cancelled' });
  });
});
