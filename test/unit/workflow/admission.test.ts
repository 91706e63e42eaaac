import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type JobStore, putNewJob, recordFailed } from '../../../lambdas/adapters/jobStore';
import { UPSTREAM_STATUS_TABLE } from '../../../lambdas/core/contract/upstreamStatus';
import {
  AwaitingCapacityError,
  CapacityWaitExceededError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
} from '../../../lambdas/core/errors';
import type { Job } from '../../../lambdas/core/job';
import type { PollSettings } from '../../../lambdas/core/pollPlan';
import type { PollingState } from '../../../lambdas/core/workflowState';
import { type CheckStatusDeps, checkStatus } from '../../../lambdas/workflow/steps/checkStatus';
import { type SubmitDeps, submitJob } from '../../../lambdas/workflow/steps/submitJob';
import { startDynaliteJobsStore } from '../adapters/dynaliteJobsStore';
import { storedJob } from '../fakeJobsTable';
import { openGate } from './openGate';

// Submit and Check Status with a scripted gate; on dynalite, which evaluates the claim's `if_not_exists(admittedAt)`.

let store: JobStore;
let closeStore: () => Promise<void>;
let jobCount = 0;

beforeAll(async () => {
  ({ store, close: closeStore } = await startDynaliteJobsStore());
});

afterAll(() => closeStore?.());

const UPSTREAM_ID = 'sg-admission-1';
const settings: PollSettings = { deadlineSeconds: 600 };
/** The default request's expected latency (77 s) and the plan's first wait for it. */
const EXPECTED_SECONDS = 77;
const FIRST_WAIT_SECONDS = 69;

/** A new job in the table (each test its own). */
async function newJob(fields: Partial<Job> = {}): Promise<Job> {
  jobCount += 1;
  const job = storedJob(`01JQ00000000000000000ADM${String(jobCount).padStart(2, '0')}`, {}, fields);
  await putNewJob(store, job);
  return job;
}
const rowOf = async (id: string) =>
  (await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { id }, ConsistentRead: true }))).Item;
const secondsAgo = (seconds: number, from = Date.now()) => new Date(from - seconds * 1000).toISOString();
const submitNow = (jobId: string, deps: SubmitDeps, executionStartedAt = new Date().toISOString()) =>
  submitJob({ jobId, executionStartedAt }, deps);

describe('Function: submitJob under the upstream budget', () => {
  const accepted = () => vi.fn(async () => ({ requestId: UPSTREAM_ID, status: 'QUEUED' as const }));
  const depsWith = (gate: ReturnType<typeof openGate>, segmind = { submit: accepted() }): SubmitDeps => ({
    store,
    segmind,
    presignFrame: vi.fn(),
    pollSettings: settings,
    gate,
    capacityWaitSeconds: 3600,
    remainingMs: () => 60_000,
    sleep: vi.fn(async () => undefined),
  });

  it('throws AwaitingCapacityError carrying the gate’s retry time, and sends nothing, when refused', async () => {
    // Arrange
    const job = await newJob();
    const gate = openGate();
    const retryAt = Date.now() + 12_345;
    gate.admit.mockResolvedValueOnce({ ok: false, retryAt });

    // Act
    const deps = depsWith(gate);
    const error = await submitNow(job.id, deps).catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(AwaitingCapacityError);
    expect(Date.parse((error as Error).message)).toBe(retryAt);
    expect(deps.segmind.submit).not.toHaveBeenCalled();
    expect(gate.admit).toHaveBeenCalledWith(expect.objectContaining({ id: job.id, createdAt: job.createdAt }), 70);
    expect(await rowOf(job.id)).not.toHaveProperty('submitClaimedAt');
  });

  it('stops waiting past capacityWaitSeconds from the execution start, without asking the gate', async () => {
    // Act
    const job = await newJob();
    const gate = openGate();
    const deps = depsWith(gate);
    const run = submitNow(job.id, deps, secondsAgo(3601));

    // Assert
    await expect(run).rejects.toBeInstanceOf(CapacityWaitExceededError);
    expect(gate.admit).not.toHaveBeenCalled();
    expect(deps.segmind.submit).not.toHaveBeenCalled();
  });

  it('submits once when admitted, and the deadlines count from the admission', async () => {
    // Arrange: the execution waited 580 s of its 600 for capacity
    const job = await newJob();
    const deps = depsWith(openGate());

    // Act
    const before = Date.now();
    const polling = await submitNow(job.id, deps, secondsAgo(580));

    // Assert: the whole first wait, not the 20 s left since the start
    expect(deps.segmind.submit).toHaveBeenCalledTimes(1);
    const row = await rowOf(job.id);
    expect(row).toMatchObject({ holdsUpstreamSlot: true, upstreamRequestId: UPSTREAM_ID });
    expect(polling.admittedAt).toBe(row?.admittedAt);
    expect(Date.parse(polling.admittedAt ?? '')).toBeGreaterThanOrEqual(before);
    expect(polling.waitSeconds).toBe(FIRST_WAIT_SECONDS);
  });

  it('resumes a claimed job with its admission time, neither admitting nor sending again', async () => {
    // Arrange
    const admittedAt = secondsAgo(30);
    const submittedAt = secondsAgo(29);
    const job = await newJob({ submitClaimedAt: admittedAt, admittedAt, upstreamRequestId: UPSTREAM_ID, submittedAt });
    const gate = openGate();
    const deps = depsWith(gate);

    // Act
    const polling = await submitNow(job.id, deps, secondsAgo(900));

    // Assert
    expect(polling).toMatchObject({ admittedAt, upstreamRequestId: UPSTREAM_ID });
    expect(gate.admit).not.toHaveBeenCalled();
    expect(deps.segmind.submit).not.toHaveBeenCalled();
  });

  it.each([
    [true, 2],
    [false, 1],
  ])(
    'slows the budget down on a 429, and resends only with a token of its own (granted: %s)',
    async (granted, sends) => {
      // Arrange: a 429 that resets in 2 s
      const job = await newJob();
      const gate = openGate();
      if (!granted) gate.take.mockResolvedValueOnce({ ok: false, retryAt: Date.now() + 5_000 });
      const submit = accepted();
      submit.mockRejectedValueOnce(new UpstreamThrottledError('429', new Date(Date.now() + 2_000)));

      // Act
      const outcome = await submitNow(job.id, depsWith(gate, { submit })).catch((error: unknown) => error);

      // Assert: without the token the claim goes back for the state machine's retry
      expect(gate.throttled).toHaveBeenCalledTimes(1);
      expect(gate.take).toHaveBeenCalledWith(job.id, 'submit');
      expect(submit).toHaveBeenCalledTimes(sends);
      if (granted) expect(outcome).toMatchObject({ upstreamRequestId: UPSTREAM_ID });
      else expect(outcome).toBeInstanceOf(UpstreamThrottledError);
      expect(Boolean((await rowOf(job.id))?.submitClaimedAt)).toBe(granted);
    },
  );

  it('gives the slot back when a cancel ended the job between its admission and its claim', async () => {
    // Arrange
    const job = await newJob();
    const gate = openGate();
    gate.admit.mockImplementationOnce(async () => {
      await recordFailed(store, job.id, { code: 'cancelled', message: 'Cancelled by the client' });
      return { ok: true };
    });

    // Act
    const deps = depsWith(gate);
    const run = submitNow(job.id, deps);

    // Assert
    await expect(run).rejects.toThrow(/already FAILED/);
    expect(gate.release).toHaveBeenCalledWith(job.id);
    expect(deps.segmind.submit).not.toHaveBeenCalled();
  });
});

describe('Function: checkStatus under the upstream budget', () => {
  const NOW = Date.parse('2025-03-01T10:00:00.000Z');
  let job: Job;
  const state = (fields: Partial<PollingState> = {}): PollingState => ({
    jobId: job.id,
    executionStartedAt: secondsAgo(2000, NOW),
    admittedAt: secondsAgo(100, NOW),
    upstreamRequestId: UPSTREAM_ID,
    submittedAt: secondsAgo(20, NOW),
    pollCount: 2,
    waitSeconds: 10,
    status: 'PROCESSING',
    ...fields,
  });
  const segmindAnswering = (status: 'PROCESSING' | 'COMPLETED' | 'FAILED') => ({
    status: vi.fn(async () => ({ status, ...(status === 'FAILED' ? { error: 'bad frames' } : {}) })),
    result: vi.fn(async () => ({ status: 'COMPLETED' as const, videoUrl: 'https://cdn.segmind.com/v.mp4' })),
  });
  const depsWith = (gate: ReturnType<typeof openGate>, segmind = segmindAnswering('PROCESSING')): CheckStatusDeps => ({
    store,
    segmind,
    pollSettings: settings,
    gate,
    remainingMs: () => 60_000,
    now: () => new Date(NOW),
  });
  const refusedUntil = (ms: number) => ({ ok: false as const, retryAt: NOW + ms });
  /** A gate whose next token comes `ms` from now. */
  const refusing = (ms: number) => {
    const gate = openGate();
    gate.take.mockResolvedValueOnce(refusedUntil(ms));
    return gate;
  };

  beforeAll(async () => {
    job = await newJob({ phase: 'generating', status: 'PROCESSING', upstreamRequestId: UPSTREAM_ID });
  });

  it.each([
    ['PROCESSING', 'PROCESSING'],
    [undefined, 'QUEUED'],
  ] as const)('defers a poll without a token, asking nothing (last status %s)', async (last, expected) => {
    // Act
    const deps = depsWith(refusing(4_500));
    const next = await checkStatus(state({ status: last }), deps);

    // Assert
    expect(deps.segmind.status).not.toHaveBeenCalled();
    expect(next).toMatchObject({ upstreamRequestId: UPSTREAM_ID, pollCount: 2, waitSeconds: 5, status: expected });
    expect(UPSTREAM_STATUS_TABLE[next.status].next).toBe('wait');
  });

  it('never defers past the deadline counted from the admission, and fails upstream_timeout past it', async () => {
    // Act
    const capped = await checkStatus(state({ admittedAt: secondsAgo(598, NOW) }), depsWith(refusing(30_000)));
    const late = depsWith(refusing(1_000));
    const run = checkStatus(state({ admittedAt: secondsAgo(601, NOW) }), late);

    // Assert
    expect(capped.waitSeconds).toBe(2);
    await expect(run).rejects.toBeInstanceOf(UpstreamTimeoutError);
    expect(late.segmind.status).not.toHaveBeenCalled();
  });

  it.each([
    [EXPECTED_SECONDS - 1, 'poll'],
    [EXPECTED_SECONDS, 'overduePoll'],
  ] as const)('asks the gate for the poll %i s after the submit as a %s', async (sinceSubmit, kind) => {
    // Act
    const gate = openGate();
    const next = await checkStatus(state({ submittedAt: secondsAgo(sinceSubmit, NOW) }), depsWith(gate));

    // Assert: still in progress, the job keeps its slot
    expect(gate.take).toHaveBeenCalledWith(job.id, kind);
    expect(next).toMatchObject({ status: 'PROCESSING', pollCount: 3 });
    expect(gate.release).not.toHaveBeenCalled();
  });

  it('keeps a finished job’s result read pending without a token, then reads it straight away', async () => {
    // Arrange: the status read gets a token, the result read none
    const gate = openGate();
    gate.take.mockResolvedValueOnce({ ok: true }).mockResolvedValueOnce(refusedUntil(3_000));
    const first = depsWith(gate, segmindAnswering('COMPLETED'));
    const second = depsWith(gate, segmindAnswering('COMPLETED'));

    // Act
    const pending = await checkStatus(state(), first);
    const done = await checkStatus(pending, second);

    // Assert
    expect(pending).toMatchObject({ resultPending: true, status: 'PROCESSING', waitSeconds: 3 });
    expect(first.segmind.result).not.toHaveBeenCalled();
    expect(gate.take.mock.calls.map(([, kind]) => kind)).toEqual(['poll', 'result', 'result']);
    expect(second.segmind.status).not.toHaveBeenCalled();
    expect(second.segmind.result).toHaveBeenCalledTimes(1);
    expect(gate.release).toHaveBeenCalledTimes(1);
    expect(gate.release).toHaveBeenCalledWith(job.id);
    expect(done).toMatchObject({ status: 'COMPLETED', videoUrl: 'https://cdn.segmind.com/v.mp4' });
    expect(done).not.toHaveProperty('resultPending');
  });

  it('gives the slot back when the upstream reports the job FAILED', async () => {
    // Act
    const gate = openGate();
    const next = await checkStatus(state(), depsWith(gate, segmindAnswering('FAILED')));

    // Assert
    expect(next).toMatchObject({ status: 'FAILED', upstreamError: 'bad frames' });
    expect(gate.release).toHaveBeenCalledWith(job.id);
  });

  it('slows the budget down when a status read meets a 429, and still fails the read', async () => {
    // Act
    const gate = openGate();
    const segmind = segmindAnswering('PROCESSING');
    segmind.status.mockRejectedValueOnce(new UpstreamThrottledError('429'));
    const run = checkStatus(state(), depsWith(gate, segmind));

    // Assert
    await expect(run).rejects.toBeInstanceOf(UpstreamThrottledError);
    expect(gate.throttled).toHaveBeenCalledTimes(1);
  });
});
