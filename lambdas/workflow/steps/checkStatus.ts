import { getJob, type JobStore, patchJob } from '../../adapters/jobStore';
import { UpstreamTimeoutError } from '../../core/errors';
import type { JobPhase } from '../../core/job';
import { nextPoll, type PollSettings } from '../../core/pollPlan';
import type { CheckedState, PollingState } from '../../core/workflowState';
import type { SegmindClient } from '../../providers/segmind';

export interface CheckStatusDeps {
  store: JobStore;
  segmind: Pick<SegmindClient, 'status' | 'result'>;
  pollSettings: PollSettings;
  now?: () => Date;
}

const phaseOfUpstream: Record<'QUEUED' | 'PROCESSING', JobPhase> = { QUEUED: 'submitted', PROCESSING: 'generating' };

/**
 * One poll: asks Segmind for the status, records progress on the job, and tells
 * the state machine what to do next — wait again (with the poll plan's seconds),
 * copy the video, or record the upstream's failure.
 */
export async function checkStatus(state: PollingState, deps: CheckStatusDeps): Promise<CheckedState> {
  const { status, error } = await deps.segmind.status(state.upstreamRequestId);
  if (status === 'FAILED') {
    return { ...state, status, upstreamError: error ?? 'The upstream job failed without a message' };
  }
  if (status === 'COMPLETED') {
    const result = await deps.segmind.result(state.upstreamRequestId);
    if (result.status === 'FAILED' || !result.videoUrl) {
      return {
        ...state,
        status: 'FAILED',
        upstreamError: result.error ?? 'The upstream job completed without a video',
      };
    }
    await patchJob(
      deps.store,
      state.jobId,
      { phase: 'copying', upstreamStatus: status, metrics: result.metrics },
      { onlyIfActive: true },
    );
    return { ...state, status, videoUrl: result.videoUrl };
  }

  const now = deps.now?.() ?? new Date();
  const elapsedSeconds = (now.getTime() - Date.parse(state.submittedAt)) / 1000;
  const job = await getJob(deps.store, state.jobId);
  if (!job) throw new Error(`Job ${state.jobId} not found`);
  const next = nextPoll(job.request, elapsedSeconds, deps.pollSettings);
  if ('deadlinePassed' in next) {
    throw new UpstreamTimeoutError(
      `Segmind did not finish the job within ${deps.pollSettings.deadlineSeconds} s (last status ${status})`,
    );
  }
  if (job.upstreamStatus !== status) {
    await patchJob(
      deps.store,
      state.jobId,
      { phase: phaseOfUpstream[status], upstreamStatus: status },
      { onlyIfActive: true },
    );
  }
  return { ...state, status, pollCount: state.pollCount + 1, waitSeconds: next.waitSeconds };
}
