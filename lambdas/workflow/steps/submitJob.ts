import { claimSubmit, getJob, type JobStore, recordSubmitted, releaseSubmitClaim } from '../../adapters/jobStore';
import {
  AwaitingCapacityError,
  CapacityWaitExceededError,
  SubmitOutcomeUnknownError,
  UpstreamThrottledError,
  UpstreamUnavailableError,
} from '../../core/errors';
import { isTerminal } from '../../core/job';
import type { LatencyObservation } from '../../core/latencyStats';
import { firstWaitSeconds, learnedPlan, type PollSettings, planFirstWait } from '../../core/pollPlan';
import { parseS3Uri, type SegmindBody, type TransitionRequest, toSegmindBody } from '../../core/schemas';
import { callTimeoutMs } from '../../core/timeBudget';
import type { PollingState, SubmitInput } from '../../core/workflowState';
import type { TimedSegmind } from '../timedSegmind';
import type { UpstreamGate } from '../upstreamGate';

export interface SubmitDeps {
  store: JobStore;
  segmind: Pick<TimedSegmind, 'submit'>;
  /** Presigns an s3:// frame so the upstream can fetch it. */
  presignFrame: (bucket: string, key: string) => Promise<string>;
  pollSettings: PollSettings;
  /** Recent upstream latencies for the request's quality and duration: the learning plan's history. */
  latencies?: (request: TransitionRequest) => Promise<LatencyObservation[]>;
  /** The deployment's upstream budget: a slot and a token before the submit is sent. */
  gate: UpstreamGate;
  /** Seconds after the execution's start when a job stops waiting for capacity (the time budget's). */
  capacityWaitSeconds: number;
  /** Milliseconds left in this invocation: the submit takes its time from it. */
  remainingMs: () => number;
  /** Waits out a short 429 inside the step instead of a whole retry cycle. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/** A 429 whose reset is at most this far away is waited out inside the step… */
const MAX_IN_STEP_THROTTLE_WAIT_MS = 15_000;
/**
 * …as long as the submit after it still gets this long. A submit that times out
 * cannot be sent again (it may have been accepted), so none goes out with less.
 */
const MIN_SUBMIT_CALL_MS = 20_000;
/** Spreads the clients that were throttled together over the second after the reset. */
const THROTTLE_JITTER_MS = 1_000;

/** Segmind's body for the request, s3:// frames presigned so the upstream can fetch them. */
async function upstreamBody(request: TransitionRequest, deps: SubmitDeps): Promise<SegmindBody> {
  const frame = async (url: string) => {
    const s3 = parseS3Uri(url);
    return s3 ? deps.presignFrame(s3.bucket, s3.key) : url;
  };
  const body = toSegmindBody(request);
  return {
    ...body,
    first_frame_url: await frame(body.first_frame_url),
    last_frame_url: await frame(body.last_frame_url),
  };
}

/**
 * The submit's timeout: what remains of the invocation, never less than
 * MIN_SUBMIT_CALL_MS. Short of it nothing is sent, and the retryable error
 * gives the claim back for a fresh invocation to submit.
 */
function submitTimeoutMs(remainingMs: number): number {
  const timeoutMs = callTimeoutMs(remainingMs);
  if (timeoutMs < MIN_SUBMIT_CALL_MS) {
    throw new UpstreamUnavailableError(
      `Not sent: ${timeoutMs} ms left in this invocation, below the ${MIN_SUBMIT_CALL_MS} ms a submit is given`,
    );
  }
  return timeoutMs;
}

/**
 * Sends the one paid submit. The claim in the Jobs table makes it at-most-once
 * across retries: a retried step that finds the claim but no upstream id cannot
 * know whether Segmind accepted, so it fails `submit_outcome_unknown` rather than
 * pay twice. The claim is given back only for failures known to be pre-acceptance.
 */
export async function submitJob(input: SubmitInput, deps: SubmitDeps): Promise<PollingState> {
  const { jobId, executionStartedAt } = input;
  const job = await getJob(deps.store, jobId);
  if (!job) throw new Error(`Job ${jobId} not found`);
  if (isTerminal(job.status)) throw new Error(`Job ${jobId} is already ${job.status}`);
  const now = () => (deps.now?.() ?? new Date()).getTime();
  // The deadlines count from the admission: the wait for capacity before it has a budget of its own.
  const pollFrom = async (upstreamRequestId: string, submittedAt: string, admittedAt?: string) => {
    const plan = learnedPlan(jobId, deps.pollSettings, (await deps.latencies?.(job.request)) ?? []);
    const elapsedSeconds = (now() - Date.parse(admittedAt ?? executionStartedAt)) / 1000;
    return {
      jobId,
      executionStartedAt,
      ...(admittedAt ? { admittedAt } : {}),
      upstreamRequestId,
      submittedAt,
      pollCount: 0,
      waitSeconds: planFirstWait(job.request, deps.pollSettings, elapsedSeconds, plan),
    } satisfies PollingState;
  };

  // A retried Submit after the claim: never sent again, and it needs no admission.
  if (job.submitClaimedAt) return resumeClaimed(jobId, pollFrom, deps);

  // Frames are presigned before the claim: a failure here has sent nothing.
  const body = await upstreamBody(job.request, deps);
  if (now() - Date.parse(executionStartedAt) > deps.capacityWaitSeconds * 1000) {
    throw new CapacityWaitExceededError(
      `No upstream capacity within ${deps.capacityWaitSeconds} s of the job's start: the deployment's upstream budget stayed spent`,
    );
  }
  const admission = await deps.gate.admit(job, firstWaitSeconds(job.request, deps.pollSettings) + 1);
  if (!admission.ok) throw new AwaitingCapacityError(new Date(admission.retryAt));
  if (!(await claimSubmit(deps.store, jobId))) {
    const current = await getJob(deps.store, jobId);
    // Ended meanwhile (a cancel): the slot just taken was never the ended job's to give back.
    if (current && isTerminal(current.status)) {
      await deps.gate.release(jobId);
      throw new Error(`Job ${jobId} is already ${current.status}`);
    }
    return resumeClaimed(jobId, pollFrom, deps);
  }
  const submitted = await sendSubmit(jobId, body, deps);
  const submittedAt = new Date().toISOString();
  await recordSubmitted(deps.store, jobId, submitted.requestId, submittedAt);
  const admitted = await getJob(deps.store, jobId);
  return pollFrom(submitted.requestId, submittedAt, admitted?.admittedAt);
}

/**
 * A claim already exists: the upstream id it recorded, or — when the attempt
 * that claimed ended without one — `submit_outcome_unknown` rather than pay twice.
 */
async function resumeClaimed(
  jobId: string,
  pollFrom: (upstreamRequestId: string, submittedAt: string, admittedAt?: string) => Promise<PollingState>,
  deps: SubmitDeps,
): Promise<PollingState> {
  const current = await getJob(deps.store, jobId);
  if (current?.upstreamRequestId && current.submittedAt) {
    return pollFrom(current.upstreamRequestId, current.submittedAt, current.admittedAt);
  }
  throw new SubmitOutcomeUnknownError(
    'An earlier submit attempt for this job ended without an answer; Segmind may have accepted it, so it is not sent again',
  );
}

/**
 * Sends the claimed submit. A short 429 is waited out inside the step, each
 * resend with a token of its own; anything known to be pre-acceptance gives
 * the claim back for the state machine's retry.
 */
async function sendSubmit(jobId: string, body: SegmindBody, deps: SubmitDeps): Promise<{ requestId: string }> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    try {
      return await deps.segmind.submit(body, { timeoutMs: submitTimeoutMs(deps.remainingMs()) });
    } catch (error) {
      // A 429 means the upstream did not accept: waiting and sending again is safe.
      if (error instanceof UpstreamThrottledError) await deps.gate.throttled();
      const waitMs =
        error instanceof UpstreamThrottledError && error.resetAt ? error.resetAt.getTime() - Date.now() : -1;
      const pauseMs = waitMs + Math.random() * THROTTLE_JITTER_MS;
      const leftAfterPause = callTimeoutMs(deps.remainingMs() - pauseMs);
      if (waitMs >= 0 && waitMs <= MAX_IN_STEP_THROTTLE_WAIT_MS && leftAfterPause >= MIN_SUBMIT_CALL_MS) {
        await sleep(pauseMs);
        if ((await deps.gate.take(jobId, 'submit')).ok) continue;
      }
      if (error instanceof UpstreamThrottledError || error instanceof UpstreamUnavailableError) {
        await releaseSubmitClaim(deps.store, jobId);
      }
      throw error;
    }
  }
}
