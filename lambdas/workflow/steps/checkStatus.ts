import { getJob, type JobStore, patchJob } from '../../adapters/jobStore';
import { type NextStep, UPSTREAM_STATUS_TABLE, type UpstreamStatus } from '../../core/contract/upstreamStatus';
import { UpstreamThrottledError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../core/errors';
import type { Job } from '../../core/job';
import { type LatencyObservation, observationOf } from '../../core/latencyStats';
import {
  expectedCompletionSeconds,
  type LearnedPlan,
  learnedPlan,
  type PollSettings,
  planNextPoll,
  WATCH_EVERY_SECONDS,
  watchUntilSeconds,
} from '../../core/pollPlan';
import type { TransitionRequest } from '../../core/schemas';
import { callTimeoutMs } from '../../core/timeBudget';
import type { CheckedState, PollingState } from '../../core/workflowState';
import type { TimedSegmind } from '../timedSegmind';
import type { UpstreamGate } from '../upstreamGate';

export interface CheckStatusDeps {
  store: JobStore;
  segmind: Pick<TimedSegmind, 'status' | 'result'>;
  pollSettings: PollSettings;
  /** The deployment's upstream budget: every read spends a token, or the poll is deferred. */
  gate: UpstreamGate;
  /** Milliseconds left in this invocation: each upstream call takes its time from it. */
  remainingMs: () => number;
  /** The learning plan's history: read to plan, written when a job is seen done. */
  latencies?: {
    read: (request: TransitionRequest) => Promise<LatencyObservation[]>;
    record: (request: TransitionRequest, observation: LatencyObservation) => Promise<void>;
  };
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/**
 * A watch pauses only if this much of the invocation is left after the pause:
 * the next status read and the result read (each ≥ MIN_READ_MS, sharing what
 * remains less the calls' safety margin, `callTimeoutMs`) and the job's writes.
 */
const WATCH_RESERVE_MS = 12_000;

/** A read given less than this would only time out: the step fails retryably instead. */
const MIN_READ_MS = 2_000;

/**
 * The timeout of the next read, sharing what remains among the reads still to
 * make. Without time for one the step fails as the upstream being unavailable:
 * a read is safe to repeat, and the state machine retries it with a fresh invocation.
 */
function readTimeoutMs(deps: CheckStatusDeps, readsLeft: number, what: string): number {
  const timeoutMs = callTimeoutMs(deps.remainingMs(), readsLeft);
  if (timeoutMs < MIN_READ_MS) {
    throw new UpstreamUnavailableError(`No time left in this invocation to read the ${what} (${timeoutMs} ms)`);
  }
  return timeoutMs;
}

type StatusLeadingTo<N extends NextStep> = {
  [S in UpstreamStatus]: (typeof UPSTREAM_STATUS_TABLE)[S]['next'] extends N ? S : never;
}[UpstreamStatus];

/** Reported when a finished job cannot be copied; the compiler checks the table still fails it. */
const UNUSABLE_RESULT_STATUS = 'FAILED' satisfies StatusLeadingTo<'fail'>;

/**
 * One poll: asks Segmind for the status, records progress on the job, and tells
 * the state machine what to do next — wait again (with the poll plan's seconds),
 * copy the video, or record the upstream's failure. The upstream status table
 * decides which, and which phase the job shows meanwhile. Every read spends a
 * token of the upstream budget; without one the poll is deferred to a later
 * wait, neither sent nor failed, and jobs past their expected completion are
 * served first so that finished jobs are still found under pressure.
 */
export async function checkStatus(state: PollingState, deps: CheckStatusDeps): Promise<CheckedState> {
  const job = await getJob(deps.store, state.jobId);
  if (!job) throw new Error(`Job ${state.jobId} not found`);
  if (state.resultPending) return takeResult(state, job, 'COMPLETED', deps);
  const plan = learnedPlan(state.jobId, deps.pollSettings, (await deps.latencies?.read(job.request)) ?? []);
  const watchUntil = plan ? watchUntilSeconds(plan, secondsSince(state.submittedAt, deps)) : undefined;
  let current = state;
  for (;;) {
    const overdue = secondsSince(state.submittedAt, deps) >= expectedCompletionSeconds(job.request, deps.pollSettings);
    const token = await deps.gate.take(state.jobId, overdue ? 'overduePoll' : 'poll');
    if (!token.ok) return defer(current, job, token.retryAt, deps);
    // The result read may follow: the status read takes half of what remains.
    const timeoutMs = readTimeoutMs(deps, 2, 'status');
    const { status, error } = await throttleAware(deps, () =>
      deps.segmind.status(state.upstreamRequestId, { timeoutMs }),
    );
    const { next } = UPSTREAM_STATUS_TABLE[status];
    switch (next) {
      case 'fail':
        await deps.gate.release(state.jobId);
        return { ...current, status, upstreamError: error ?? 'The upstream job failed without a message' };
      case 'copy':
        return takeResult(current, job, status, deps);
      case 'wait':
        current = { ...current, lastPendingAt: nowOf(deps).toISOString() };
        if (!keepsWatching(state, watchUntil, deps)) return scheduleNextPoll(current, job, status, deps, plan);
        await notePhase(job, status, deps);
        job.upstreamStatus = status;
        await (deps.sleep ?? pause)(WATCH_EVERY_SECONDS * 1000);
    }
  }
}

/**
 * Teaches the poll plan how long the upstream took: between the last check
 * that saw the job pending and now, or exactly by Segmind's own timing.
 */
async function learnFrom(
  state: PollingState,
  job: Job,
  metrics: Record<string, unknown> | undefined,
  deps: CheckStatusDeps,
): Promise<void> {
  if (!deps.latencies) return;
  const submittedAt = Date.parse(state.submittedAt);
  const observation = observationOf({
    // A result read deferred for want of a token: the job was done when its status said so.
    seenSeconds: state.completedSeenAt
      ? (Date.parse(state.completedSeenAt) - submittedAt) / 1000
      : secondsSince(state.submittedAt, deps),
    pendingSeconds: state.lastPendingAt ? (Date.parse(state.lastPendingAt) - submittedAt) / 1000 : undefined,
    metrics,
  });
  await deps.latencies.record(job.request, observation);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowOf = (deps: CheckStatusDeps) => deps.now?.() ?? new Date();

/**
 * Whether this invocation reads again after a pause rather than handing the
 * next wait to the state machine: inside the learning plan's dense window,
 * with time left for one more status read and the result read.
 */
function keepsWatching(state: PollingState, watchUntil: number | undefined, deps: CheckStatusDeps): boolean {
  return (
    watchUntil !== undefined &&
    secondsSince(state.submittedAt, deps) + WATCH_EVERY_SECONDS < watchUntil &&
    deps.remainingMs() - WATCH_EVERY_SECONDS * 1000 >= WATCH_RESERVE_MS
  );
}

/** The job's phase follows the upstream status; written only when it changed. */
async function notePhase(job: Job, status: UpstreamStatus, deps: CheckStatusDeps): Promise<void> {
  if (job.upstreamStatus === status) return;
  const { phase } = UPSTREAM_STATUS_TABLE[status];
  await patchJob(deps.store, job.id, { phase, upstreamStatus: status }, { onlyIfActive: true });
}

const secondsSince = (time: string, deps: CheckStatusDeps) =>
  ((deps.now?.() ?? new Date()).getTime() - Date.parse(time)) / 1000;

/** A 429 on a read still fails it (the state machine retries), and slows the budget down first. */
async function throttleAware<T>(deps: CheckStatusDeps, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof UpstreamThrottledError) await deps.gate.throttled();
    throw error;
  }
}

/** No token now: wait until the budget has one (never past the deadline), having asked nothing. */
function defer(state: PollingState, job: Job, retryAt: number, deps: CheckStatusDeps): CheckedState {
  const now = (deps.now?.() ?? new Date()).getTime();
  const elapsedSeconds = secondsSince(state.admittedAt ?? state.executionStartedAt ?? state.submittedAt, deps);
  const remaining = deps.pollSettings.deadlineSeconds - elapsedSeconds;
  if (remaining <= 0) throw deadlineError(deps, state.status ?? job.upstreamStatus ?? 'QUEUED');
  const waitSeconds = Math.max(1, Math.min(Math.ceil((retryAt - now) / 1000), Math.ceil(remaining)));
  // A deferred result read waits as a job still in progress would: the Choice routes on the status.
  const status = state.resultPending ? 'PROCESSING' : (state.status ?? 'QUEUED');
  return { ...state, status, waitSeconds };
}

const deadlineError = (deps: CheckStatusDeps, status: string) =>
  new UpstreamTimeoutError(
    `Segmind did not finish the job within ${deps.pollSettings.deadlineSeconds} s of its start (last status ${status})`,
  );

/** Fetches the finished job's video URL and metrics; the metrics are kept on the job for the copy. */
async function takeResult(
  state: PollingState,
  job: Job,
  status: UpstreamStatus,
  deps: CheckStatusDeps,
): Promise<CheckedState> {
  const token = await deps.gate.take(state.jobId, 'result');
  if (!token.ok) {
    const completedSeenAt = state.completedSeenAt ?? nowOf(deps).toISOString();
    return defer({ ...state, resultPending: true, completedSeenAt }, job, token.retryAt, deps);
  }
  const timeoutMs = readTimeoutMs(deps, 1, 'result');
  const result = await throttleAware(deps, () => deps.segmind.result(state.upstreamRequestId, { timeoutMs }));
  // The upstream is done with the job, whatever the result holds: its slot goes back before the copy.
  await deps.gate.release(state.jobId);
  const { resultPending: _read, completedSeenAt: _seen, ...rest } = state;
  if (UPSTREAM_STATUS_TABLE[result.status].next === 'fail' || !result.videoUrl) {
    return {
      ...rest,
      status: UNUSABLE_RESULT_STATUS,
      upstreamError: result.error ?? 'The upstream job completed without a video',
    };
  }
  await patchJob(
    deps.store,
    state.jobId,
    { phase: UPSTREAM_STATUS_TABLE[status].phase, upstreamStatus: status, metrics: result.metrics },
    { onlyIfActive: true },
  );
  await learnFrom(state, job, result.metrics, deps);
  return { ...rest, status, videoUrl: result.videoUrl };
}

/**
 * The poll plan's next wait; the job's phase is written only when the upstream
 * status changed. The deadline counts from the execution's start, so Submit's
 * retries come out of it and what follows it fits the execution's timeout.
 */
async function scheduleNextPoll(
  state: PollingState,
  job: Job,
  status: UpstreamStatus,
  deps: CheckStatusDeps,
  plan: LearnedPlan | undefined,
): Promise<CheckedState> {
  const elapsedSeconds = secondsSince(state.admittedAt ?? state.executionStartedAt ?? state.submittedAt, deps);
  const sinceSubmit = secondsSince(state.submittedAt, deps);
  const next = planNextPoll(job.request, elapsedSeconds, deps.pollSettings, sinceSubmit, plan);
  if ('deadlinePassed' in next) throw deadlineError(deps, status);
  await notePhase(job, status, deps);
  return { ...state, status, pollCount: state.pollCount + 1, waitSeconds: next.waitSeconds };
}
