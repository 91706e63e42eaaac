import { getJob, type JobStore, patchJob } from '../../adapters/jobStore';
import { type NextStep, UPSTREAM_STATUS_TABLE, type UpstreamStatus } from '../../core/contract/upstreamStatus';
import { UpstreamThrottledError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../core/errors';
import type { Job } from '../../core/job';
import { expectedCompletionSeconds, nextPoll, type PollSettings } from '../../core/pollPlan';
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
  now?: () => Date;
}

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
  const overdue = secondsSince(state.submittedAt, deps) >= expectedCompletionSeconds(job.request, deps.pollSettings);
  const token = await deps.gate.take(state.jobId, overdue ? 'overduePoll' : 'poll');
  if (!token.ok) return defer(state, job, token.retryAt, deps);
  // The result read may follow: the status read takes half of what remains.
  const timeoutMs = readTimeoutMs(deps, 2, 'status');
  const { status, error } = await throttleAware(deps, () =>
    deps.segmind.status(state.upstreamRequestId, { timeoutMs }),
  );
  const { next } = UPSTREAM_STATUS_TABLE[status];
  switch (next) {
    case 'fail':
      await deps.gate.release(state.jobId);
      return { ...state, status, upstreamError: error ?? 'The upstream job failed without a message' };
    case 'copy':
      return takeResult(state, job, status, deps);
    case 'wait':
      return scheduleNextPoll(state, job, status, deps);
  }
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
  if (!token.ok) return defer({ ...state, resultPending: true }, job, token.retryAt, deps);
  const timeoutMs = readTimeoutMs(deps, 1, 'result');
  const result = await throttleAware(deps, () => deps.segmind.result(state.upstreamRequestId, { timeoutMs }));
  // The upstream is done with the job, whatever the result holds: its slot goes back before the copy.
  await deps.gate.release(state.jobId);
  const { resultPending: _read, ...rest } = state;
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
): Promise<CheckedState> {
  const elapsedSeconds = secondsSince(state.admittedAt ?? state.executionStartedAt ?? state.submittedAt, deps);
  const next = nextPoll(job.request, elapsedSeconds, deps.pollSettings, secondsSince(state.submittedAt, deps));
  if ('deadlinePassed' in next) throw deadlineError(deps, status);
  const { phase } = UPSTREAM_STATUS_TABLE[status];
  if (job.upstreamStatus !== status) {
    await patchJob(deps.store, state.jobId, { phase, upstreamStatus: status }, { onlyIfActive: true });
  }
  return { ...state, status, pollCount: state.pollCount + 1, waitSeconds: next.waitSeconds };
}
