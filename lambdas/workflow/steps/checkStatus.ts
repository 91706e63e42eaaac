import { getJob, type JobStore, patchJob } from '../../adapters/jobStore';
import { type NextStep, UPSTREAM_STATUS_TABLE, type UpstreamStatus } from '../../core/contract/upstreamStatus';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../../core/errors';
import type { JobPhase } from '../../core/job';
import { nextPoll, type PollSettings } from '../../core/pollPlan';
import { callTimeoutMs } from '../../core/timeBudget';
import type { CheckedState, PollingState } from '../../core/workflowState';
import type { TimedSegmind } from '../timedSegmind';

export interface CheckStatusDeps {
  store: JobStore;
  segmind: Pick<TimedSegmind, 'status' | 'result'>;
  pollSettings: PollSettings;
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
 * decides which, and which phase the job shows meanwhile.
 */
export async function checkStatus(state: PollingState, deps: CheckStatusDeps): Promise<CheckedState> {
  // The result read may follow: the status read takes half of what remains.
  const timeoutMs = readTimeoutMs(deps, 2, 'status');
  const { status, error } = await deps.segmind.status(state.upstreamRequestId, { timeoutMs });
  const { phase, next } = UPSTREAM_STATUS_TABLE[status];
  switch (next) {
    case 'fail':
      return { ...state, status, upstreamError: error ?? 'The upstream job failed without a message' };
    case 'copy':
      return takeResult(state, status, phase, deps);
    case 'wait':
      return scheduleNextPoll(state, status, phase, deps);
  }
}

/** Fetches the finished job's video URL and metrics; the metrics are kept on the job for the copy. */
async function takeResult(
  state: PollingState,
  status: UpstreamStatus,
  phase: JobPhase,
  deps: CheckStatusDeps,
): Promise<CheckedState> {
  const result = await deps.segmind.result(state.upstreamRequestId, { timeoutMs: readTimeoutMs(deps, 1, 'result') });
  if (UPSTREAM_STATUS_TABLE[result.status].next === 'fail' || !result.videoUrl) {
    return {
      ...state,
      status: UNUSABLE_RESULT_STATUS,
      upstreamError: result.error ?? 'The upstream job completed without a video',
    };
  }
  await patchJob(
    deps.store,
    state.jobId,
    { phase, upstreamStatus: status, metrics: result.metrics },
    { onlyIfActive: true },
  );
  return { ...state, status, videoUrl: result.videoUrl };
}

/**
 * The poll plan's next wait; the job's phase is written only when the upstream
 * status changed. The deadline counts from the execution's start, so Submit's
 * retries come out of it and what follows it fits the execution's timeout.
 */
async function scheduleNextPoll(
  state: PollingState,
  status: UpstreamStatus,
  phase: JobPhase,
  deps: CheckStatusDeps,
): Promise<CheckedState> {
  const now = (deps.now?.() ?? new Date()).getTime();
  const secondsSince = (time: string) => (now - Date.parse(time)) / 1000;
  const elapsedSeconds = secondsSince(state.executionStartedAt ?? state.submittedAt);
  const job = await getJob(deps.store, state.jobId);
  if (!job) throw new Error(`Job ${state.jobId} not found`);
  const next = nextPoll(job.request, elapsedSeconds, deps.pollSettings, secondsSince(state.submittedAt));
  if ('deadlinePassed' in next) {
    throw new UpstreamTimeoutError(
      `Segmind did not finish the job within ${deps.pollSettings.deadlineSeconds} s of its start (last status ${status})`,
    );
  }
  if (job.upstreamStatus !== status) {
    await patchJob(deps.store, state.jobId, { phase, upstreamStatus: status }, { onlyIfActive: true });
  }
  return { ...state, status, pollCount: state.pollCount + 1, waitSeconds: next.waitSeconds };
}
