import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { UpstreamStatus } from '../../../lambdas/core/contract/upstreamStatus';
import { estimateLatency, type LatencyObservation, latencyKey } from '../../../lambdas/core/latencyStats';
import { defaultPollSettings, explores, type PollSettings } from '../../../lambdas/core/pollPlan';
import type { TransitionRequest } from '../../../lambdas/core/schemas';
import type { PollingState } from '../../../lambdas/core/workflowState';
import { type CheckStatusDeps, checkStatus } from '../../../lambdas/workflow/steps/checkStatus';
import { type SubmitDeps, submitJob } from '../../../lambdas/workflow/steps/submitJob';
import { serveJobsTable, jobStore as store, storedJob } from '../fakeJobsTable';
import { openGate } from './openGate';

/*
 * Submit and Check Status with the learning poll plan, on the mocked jobs
 * table. The default request (540p, 5 s) has a static plan of 77 s expected,
 * a first wait of 69 s and a 5 s interval. The history below, five jobs
 * around 77 s, gives quantiles 74.8 / 77 / 79.2 and a dense window from
 * 70.95 s to 86.9 s after the submit.
 */

const ddb = mockClient(DynamoDBDocumentClient);

const exact = (seconds: number): LatencyObservation => ({ lo: seconds, hi: seconds });
const HISTORY = [74, 76, 77, 78, 80].map(exact);
const STATIC_FIRST_WAIT = 69;
const STATIC_INTERVAL = 5;
/** The dense window's start (70.95 s), rounded: the learned first wait. */
const WINDOW_FROM = 71;
/** Half the low quantile (74.8 s), rounded: an exploring job's first wait. */
const EXPLORER_FIRST_WAIT = 37;

/** A job that does not explore under HISTORY, and one that does (the choice is a hash of the id). */
const SETTLED_JOB = '01JQ00000000000000000LRN01';
const EXPLORING_JOB = '01JQ00000000000000000LRN05';
const UPSTREAM_ID = 'sg-learning-1';
const VIDEO_URL = 'https://cdn.segmind.com/out/video.mp4';

let rows: Map<string, Record<string, unknown>>;

beforeEach(() => {
  ddb.reset();
  rows = serveJobsTable(ddb);
});

describe('the fixtures', () => {
  it('hold one job that settles and one that explores under the history', () => {
    // Arrange
    const estimate = estimateLatency(HISTORY);

    // Assert
    expect(estimate).toMatchObject({ low: 74.8, median: 77, high: 79.2 });
    expect(estimate && explores(SETTLED_JOB, estimate)).toBe(false);
    expect(estimate && explores(EXPLORING_JOB, estimate)).toBe(true);
  });
});

describe('Function: submitJob with the learning plan', () => {
  const history = (observations: LatencyObservation[]) => vi.fn(async (_request: TransitionRequest) => observations);
  const deps = (fields: Partial<SubmitDeps> = {}): SubmitDeps => ({
    store,
    segmind: { submit: vi.fn(async () => ({ requestId: UPSTREAM_ID, status: 'QUEUED' as const })) },
    presignFrame: vi.fn(),
    pollSettings: defaultPollSettings,
    gate: openGate(),
    capacityWaitSeconds: 3600,
    remainingMs: () => 60_000,
    sleep: vi.fn(async () => undefined),
    ...fields,
  });
  const submit = (jobId: string, submitDeps: SubmitDeps) =>
    submitJob({ jobId, executionStartedAt: new Date().toISOString() }, submitDeps);

  it('waits until the dense window opens, not the static 69 s, given ≥ 4 observations around 77 s', async () => {
    // Arrange
    rows.set(SETTLED_JOB, storedJob(SETTLED_JOB));
    const latencies = history(HISTORY);

    // Act
    const state = await submit(SETTLED_JOB, deps({ latencies }));

    // Assert
    expect(state.waitSeconds).toBe(WINDOW_FROM);
    expect(latencies).toHaveBeenCalledWith(expect.objectContaining({ quality: '540p', duration: 5 }));
  });

  it('plans from the history of the job’s own quality and duration', async () => {
    // Arrange: 720p at 8 s is 150 s on the static plan; its history says about 77 s
    rows.set(SETTLED_JOB, storedJob(SETTLED_JOB, { quality: '720p', duration: 8 }));
    const latencies = vi.fn(async (request: TransitionRequest) => (latencyKey(request) === '720p#8' ? HISTORY : []));

    // Act
    const state = await submit(SETTLED_JOB, deps({ latencies }));

    // Assert
    expect(state.waitSeconds).toBe(WINDOW_FROM);
  });

  it('polls an exploring job early, at half the low quantile', async () => {
    // Arrange
    rows.set(EXPLORING_JOB, storedJob(EXPLORING_JOB));

    // Act
    const state = await submit(EXPLORING_JOB, deps({ latencies: history(HISTORY) }));

    // Assert
    expect(state.waitSeconds).toBe(EXPLORER_FIRST_WAIT);
  });

  it.each([
    ['no history', []],
    ['fewer than 4 observations', HISTORY.slice(0, 3)],
  ])('keeps the static first wait with %s', async (_case, observations) => {
    // Arrange
    rows.set(SETTLED_JOB, storedJob(SETTLED_JOB));

    // Act
    const state = await submit(SETTLED_JOB, deps({ latencies: history(observations) }));

    // Assert
    expect(state.waitSeconds).toBe(STATIC_FIRST_WAIT);
  });

  it('keeps the static first wait without a history reader', async () => {
    // Arrange
    rows.set(SETTLED_JOB, storedJob(SETTLED_JOB));

    // Act
    const state = await submit(SETTLED_JOB, deps());

    // Assert
    expect(state.waitSeconds).toBe(STATIC_FIRST_WAIT);
  });

  it.each<[string, Partial<PollSettings>, number]>([
    ['the first wait is overridden (FRAMEBRIDGE_POLL_FIRST_S=30)', { firstWaitSeconds: 30 }, 30],
    ['the interval is overridden (FRAMEBRIDGE_POLL_INTERVAL_S=3)', { intervalSeconds: 3 }, STATIC_FIRST_WAIT],
    ["the strategy is 'static'", { strategy: 'static' }, STATIC_FIRST_WAIT],
  ])('ignores the history when %s', async (_case, override, expected) => {
    // Arrange
    rows.set(SETTLED_JOB, storedJob(SETTLED_JOB));
    const pollSettings = { ...defaultPollSettings, ...override };

    // Act
    const state = await submit(SETTLED_JOB, deps({ pollSettings, latencies: history(HISTORY) }));

    // Assert
    expect(state.waitSeconds).toBe(expected);
  });

  it('gives a retried Submit that resumes its claim the learned first wait too', async () => {
    // Arrange: the first attempt submitted, its answer to the state machine was lost
    const submittedAt = new Date().toISOString();
    rows.set(
      SETTLED_JOB,
      storedJob(SETTLED_JOB, {}, { submitClaimedAt: submittedAt, upstreamRequestId: UPSTREAM_ID, submittedAt }),
    );
    const submitDeps = deps({ latencies: history(HISTORY) });

    // Act
    const state = await submit(SETTLED_JOB, submitDeps);

    // Assert
    expect(submitDeps.segmind.submit).not.toHaveBeenCalled();
    expect(state).toMatchObject({ upstreamRequestId: UPSTREAM_ID, waitSeconds: WINDOW_FROM });
  });
});

describe('Function: checkStatus with the learning plan', () => {
  const submittedAt = '2025-03-01T09:00:10.000Z';
  const SUBMITTED_MS = Date.parse(submittedAt);
  const at = (secondsAfterSubmit: number) => new Date(SUBMITTED_MS + secondsAfterSubmit * 1000).toISOString();
  const pollingState = (fields: Partial<PollingState> = {}): PollingState => ({
    jobId: SETTLED_JOB,
    upstreamRequestId: UPSTREAM_ID,
    submittedAt,
    pollCount: 1,
    waitSeconds: WINDOW_FROM,
    status: 'QUEUED',
    ...fields,
  });

  /** The fake clock, in ms; `sleep` moves it on and takes its time from the invocation's. */
  let clockMs: number;
  let remaining: number;
  let sleep: ReturnType<typeof vi.fn<(ms: number) => Promise<void>>>;
  /** When each status read was made, in seconds after the submit. */
  let readsAt: number[];
  let segmind: {
    status: ReturnType<typeof vi.fn<CheckStatusDeps['segmind']['status']>>;
    result: ReturnType<typeof vi.fn<CheckStatusDeps['segmind']['result']>>;
  };
  let latencies: {
    read: ReturnType<typeof vi.fn<NonNullable<CheckStatusDeps['latencies']>['read']>>;
    record: ReturnType<typeof vi.fn<NonNullable<CheckStatusDeps['latencies']>['record']>>;
  };
  let gate: ReturnType<typeof openGate>;

  /** The upstream answers these statuses in turn, the last one from then on. */
  function upstreamSays(...statuses: UpstreamStatus[]): void {
    segmind.status.mockImplementation(async () => {
      readsAt.push((clockMs - SUBMITTED_MS) / 1000);
      const status = statuses.length > 1 ? statuses.shift() : statuses[0];
      return { status: status ?? 'PROCESSING' };
    });
  }
  const startAt = (secondsAfterSubmit: number) => {
    clockMs = SUBMITTED_MS + secondsAfterSubmit * 1000;
  };
  const deps = (fields: Partial<CheckStatusDeps> = {}): CheckStatusDeps => ({
    store,
    segmind,
    pollSettings: defaultPollSettings,
    gate,
    remainingMs: () => remaining,
    latencies,
    sleep,
    now: () => new Date(clockMs),
    ...fields,
  });
  const statusTimeouts = () => segmind.status.mock.calls.map(([, options]) => options.timeoutMs);

  beforeEach(() => {
    rows.set(
      SETTLED_JOB,
      storedJob(
        SETTLED_JOB,
        {},
        { phase: 'submitted', upstreamRequestId: UPSTREAM_ID, upstreamStatus: 'QUEUED', submittedAt },
      ),
    );
    startAt(72);
    remaining = 30_000;
    readsAt = [];
    sleep = vi.fn(async (ms: number) => {
      clockMs += ms;
      remaining -= ms;
    });
    segmind = {
      status: vi.fn(),
      result: vi.fn(async () => ({ status: 'COMPLETED' as const, videoUrl: VIDEO_URL })),
    };
    latencies = { read: vi.fn(async () => HISTORY), record: vi.fn(async () => undefined) };
    gate = openGate();
  });

  it('reads every 2 s in one invocation inside the window, then reads the result once COMPLETED', async () => {
    // Arrange
    upstreamSays('PROCESSING', 'PROCESSING', 'COMPLETED');

    // Act
    const next = await checkStatus(pollingState(), deps());

    // Assert
    expect(readsAt).toEqual([72, 74, 76]);
    expect(sleep.mock.calls).toEqual([[2_000], [2_000]]);
    expect(segmind.result).toHaveBeenCalledTimes(1);
    expect(next).toMatchObject({ status: 'COMPLETED', videoUrl: VIDEO_URL });
    expect(gate.take.mock.calls.map(([, kind]) => kind)).toEqual(['poll', 'poll', 'poll', 'result']);
    expect(gate.release).toHaveBeenCalledTimes(1);
    expect(rows.get(SETTLED_JOB)).toMatchObject({ phase: 'copying', upstreamStatus: 'COMPLETED' });
  });

  it('records an observation from the last pending read to the completion read', async () => {
    // Arrange
    upstreamSays('PROCESSING', 'PROCESSING', 'COMPLETED');

    // Act
    await checkStatus(pollingState(), deps());

    // Assert
    expect(latencies.record).toHaveBeenCalledTimes(1);
    expect(latencies.record).toHaveBeenCalledWith(expect.objectContaining({ quality: '540p', duration: 5 }), {
      lo: 74,
      hi: 76,
    });
  });

  it('learns when the job was seen done, not when a result read deferred for want of a token finally ran', async () => {
    // Arrange: pending at 74 s, done at 76 s, but no token for the result read until 81 s
    upstreamSays('PROCESSING', 'PROCESSING', 'COMPLETED');
    gate.take
      .mockResolvedValueOnce({ ok: true })
      .mockResolvedValueOnce({ ok: true })
      .mockResolvedValueOnce({ ok: true })
      .mockImplementationOnce(async () => ({ ok: false, retryAt: clockMs + 5_000 }));
    const deferred = await checkStatus(pollingState(), deps());
    expect(deferred).toMatchObject({ resultPending: true, completedSeenAt: at(76) });

    // Act: the next invocation, 5 s later
    startAt(81);
    remaining = 30_000;
    const next = await checkStatus(deferred, deps());

    // Assert
    expect(next).toMatchObject({ status: 'COMPLETED', videoUrl: VIDEO_URL });
    expect(next).not.toHaveProperty('completedSeenAt');
    expect(latencies.record).toHaveBeenCalledWith(expect.anything(), { lo: 74, hi: 76 });
  });

  it.each([
    ['total_time', { total_time: 75.3, inference_time: 70 }, 75.3],
    ['queue_time + inference_time', { queue_time: 3.2, inference_time: 71.9 }, 75.1],
  ])("records an exact observation from Segmind's %s", async (_case, metrics, seconds) => {
    // Arrange
    upstreamSays('PROCESSING', 'PROCESSING', 'COMPLETED');
    segmind.result.mockResolvedValue({ status: 'COMPLETED', videoUrl: VIDEO_URL, metrics });

    // Act
    await checkStatus(pollingState(), deps());

    // Assert
    expect(latencies.record).toHaveBeenCalledWith(expect.anything(), { lo: seconds, hi: seconds });
  });

  it("bounds the observation by an earlier check's pending read when the first read finds the job done", async () => {
    // Arrange: the previous invocation saw the job pending 73 s after the submit
    startAt(75);
    upstreamSays('COMPLETED');

    // Act
    const next = await checkStatus(pollingState({ lastPendingAt: at(73) }), deps());

    // Assert
    expect(sleep).not.toHaveBeenCalled();
    expect(next).toMatchObject({ status: 'COMPLETED', videoUrl: VIDEO_URL });
    expect(latencies.record).toHaveBeenCalledWith(expect.anything(), { lo: 73, hi: 75 });
  });

  it('learns from a job polled on the static plan, so that a history can start', async () => {
    // Arrange
    latencies.read.mockResolvedValue([]);
    startAt(75);
    upstreamSays('COMPLETED');

    // Act
    await checkStatus(pollingState(), deps());

    // Assert: never seen pending, the latency is only bounded above
    expect(latencies.record).toHaveBeenCalledWith(expect.anything(), { lo: 0, hi: 75 });
  });

  it('stops watching and records nothing when the upstream fails the job', async () => {
    // Arrange
    upstreamSays('PROCESSING', 'FAILED');

    // Act
    const next = await checkStatus(pollingState(), deps());

    // Assert
    expect(readsAt).toEqual([72, 74]);
    expect(next).toMatchObject({ status: 'FAILED' });
    expect(segmind.result).not.toHaveBeenCalled();
    expect(latencies.record).not.toHaveBeenCalled();
    expect(gate.release).toHaveBeenCalledTimes(1);
  });

  it('stops watching at the end of the window and hands the state machine a short wait', async () => {
    // Arrange: the window ends 86.9 s after the submit
    startAt(80);
    upstreamSays('PROCESSING');

    // Act
    const next = await checkStatus(pollingState(), deps());

    // Assert
    expect(readsAt).toEqual([80, 82, 84, 86]);
    expect(next).toMatchObject({ status: 'PROCESSING', pollCount: 2, waitSeconds: 1, lastPendingAt: at(86) });
    expect(segmind.result).not.toHaveBeenCalled();
    expect(rows.get(SETTLED_JOB)).toMatchObject({ phase: 'generating', upstreamStatus: 'PROCESSING' });
  });

  it('stops watching before the invocation gets below its 12 s reserve, and returns a wait', async () => {
    // Arrange: 17 s left; each pause spends 2 s of them
    remaining = 17_000;
    upstreamSays('PROCESSING');

    // Act
    const next = await checkStatus(pollingState(), deps());

    // Assert: after the read at 76 s a pause would leave 11 s
    expect(readsAt).toEqual([72, 74, 76]);
    expect(statusTimeouts()).toEqual([6_000, 5_000, 4_000]);
    expect(next).toMatchObject({ status: 'PROCESSING', pollCount: 2, waitSeconds: 1, lastPendingAt: at(76) });
  });

  it.each([10_000, 10_500, 12_500, 13_000])(
    'ends a watch with time left for a last status read and the result read (%i ms left at the start)',
    async (startingMs) => {
      // Arrange
      remaining = startingMs;
      upstreamSays('PROCESSING');

      // Act
      const next = await checkStatus(pollingState(), deps());

      // Assert: every read given at least the 2 s below which the step fails instead
      expect(next).toMatchObject({ status: 'PROCESSING', waitSeconds: 1 });
      for (const timeoutMs of statusTimeouts()) expect(timeoutMs).toBeGreaterThanOrEqual(2_000);
    },
  );

  it('defers without reading again when the budget has no token mid-watch', async () => {
    // Arrange: the first read gets a token, the second none for 6 s
    upstreamSays('PROCESSING');
    gate.take
      .mockResolvedValueOnce({ ok: true })
      .mockImplementationOnce(async () => ({ ok: false, retryAt: clockMs + 6_000 }));

    // Act
    const next = await checkStatus(pollingState(), deps());

    // Assert
    expect(readsAt).toEqual([72]);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(segmind.result).not.toHaveBeenCalled();
    expect(next).toMatchObject({ pollCount: 1, waitSeconds: 6, lastPendingAt: at(72) });
  });

  it.each([
    ['before the window', 40, 31],
    ['past the window', 100, 5],
  ])('reads once %s and waits as the learning plan says', async (_case, secondsAfterSubmit, waitSeconds) => {
    // Arrange: before, until the window opens (70.95 s); past it, a fifth of the overrun on the median
    startAt(secondsAfterSubmit);
    upstreamSays('PROCESSING');

    // Act
    const next = await checkStatus(pollingState(), deps());

    // Assert
    expect(readsAt).toEqual([secondsAfterSubmit]);
    expect(sleep).not.toHaveBeenCalled();
    expect(next).toMatchObject({ status: 'PROCESSING', pollCount: 2, waitSeconds });
  });

  it('reads once and waits the static interval without a history reader', async () => {
    // Arrange
    upstreamSays('PROCESSING');

    // Act
    const next = await checkStatus(pollingState(), deps({ latencies: undefined }));

    // Assert
    expect(readsAt).toEqual([72]);
    expect(sleep).not.toHaveBeenCalled();
    expect(next).toMatchObject({ waitSeconds: STATIC_INTERVAL });
  });

  it.each<[string, Partial<PollSettings>, number]>([
    ["the strategy is 'static'", { strategy: 'static' }, STATIC_INTERVAL],
    ['the interval is overridden', { intervalSeconds: 3 }, 3],
    ['the first wait is overridden', { firstWaitSeconds: 30 }, STATIC_INTERVAL],
  ])('reads once inside the window when %s', async (_case, override, waitSeconds) => {
    // Arrange
    upstreamSays('PROCESSING');
    const pollSettings = { ...defaultPollSettings, ...override };

    // Act
    const next = await checkStatus(pollingState(), deps({ pollSettings }));

    // Assert
    expect(readsAt).toEqual([72]);
    expect(sleep).not.toHaveBeenCalled();
    expect(next).toMatchObject({ waitSeconds });
  });
});
