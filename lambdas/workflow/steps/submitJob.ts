import { claimSubmit, getJob, type JobStore, recordSubmitted, releaseSubmitClaim } from '../../adapters/jobStore';
import { SubmitOutcomeUnknownError, UpstreamThrottledError, UpstreamUnavailableError } from '../../core/errors';
import { isTerminal } from '../../core/job';
import { firstWaitSeconds, type PollSettings } from '../../core/pollPlan';
import { parseS3Uri, type SegmindBody, type TransitionRequest, toSegmindBody } from '../../core/schemas';
import type { PollingState } from '../../core/workflowState';
import type { SegmindClient } from '../../providers/segmind';

export interface SubmitDeps {
  store: JobStore;
  segmind: Pick<SegmindClient, 'submit'>;
  /** Presigns an s3:// frame so the upstream can fetch it. */
  presignFrame: (bucket: string, key: string) => Promise<string>;
  pollSettings: PollSettings;
  /** Waits out a short 429 inside the step instead of a whole retry cycle. */
  sleep?: (ms: number) => Promise<void>;
}

/** A 429 whose reset is at most this far away is waited out inside the step… */
const MAX_IN_STEP_THROTTLE_WAIT_MS = 15_000;
/** …as long as the step has spent less than this waiting (the Lambda times out at 60 s). */
const IN_STEP_THROTTLE_BUDGET_MS = 35_000;
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
 * Sends the one paid submit. The claim in the Jobs table makes it at-most-once
 * across retries: a retried step that finds the claim but no upstream id cannot
 * know whether Segmind accepted, so it fails `submit_outcome_unknown` rather than
 * pay twice. The claim is given back only for failures known to be pre-acceptance.
 */
export async function submitJob(jobId: string, deps: SubmitDeps): Promise<PollingState> {
  const job = await getJob(deps.store, jobId);
  if (!job) throw new Error(`Job ${jobId} not found`);
  if (isTerminal(job.status)) throw new Error(`Job ${jobId} is already ${job.status}`);
  const pollFrom = (upstreamRequestId: string, submittedAt: string): PollingState => ({
    jobId,
    upstreamRequestId,
    submittedAt,
    pollCount: 0,
    waitSeconds: firstWaitSeconds(job.request, deps.pollSettings),
  });

  // Frames are presigned before the claim: a failure here has sent nothing.
  const body = await upstreamBody(job.request, deps);
  if (!(await claimSubmit(deps.store, jobId))) {
    const current = await getJob(deps.store, jobId);
    if (current?.upstreamRequestId && current.submittedAt) {
      return pollFrom(current.upstreamRequestId, current.submittedAt);
    }
    throw new SubmitOutcomeUnknownError(
      'An earlier submit attempt for this job ended without an answer; Segmind may have accepted it, so it is not sent again',
    );
  }

  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  let submitted: { requestId: string };
  let waitedMs = 0;
  for (;;) {
    try {
      submitted = await deps.segmind.submit(body);
      break;
    } catch (error) {
      // A 429 means the upstream did not accept: waiting and sending again is safe.
      const waitMs =
        error instanceof UpstreamThrottledError && error.resetAt ? error.resetAt.getTime() - Date.now() : -1;
      const pauseMs = waitMs + Math.random() * THROTTLE_JITTER_MS;
      if (waitMs >= 0 && waitMs <= MAX_IN_STEP_THROTTLE_WAIT_MS && waitedMs + pauseMs <= IN_STEP_THROTTLE_BUDGET_MS) {
        waitedMs += pauseMs;
        await sleep(pauseMs);
        continue;
      }
      if (error instanceof UpstreamThrottledError || error instanceof UpstreamUnavailableError) {
        await releaseSubmitClaim(deps.store, jobId);
      }
      throw error;
    }
  }
  const submittedAt = new Date().toISOString();
  await recordSubmitted(deps.store, jobId, submitted.requestId, submittedAt);
  return pollFrom(submitted.requestId, submittedAt);
}
