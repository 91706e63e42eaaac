import { getJob, type JobStore, recordFailed } from '../../adapters/jobStore';
import { logger } from '../../adapters/logger';
import { describeFailure } from '../../core/failure';
import type { FailureInput, JobOutcome } from '../../core/workflowState';
import { finishedJobOutcome } from './jobOutcome';

/**
 * The failure path's one write: the job ends FAILED with a code and a message a
 * user can act on. A job that already finished keeps its end (the first terminal
 * state wins: a cancel stays a cancel, a completed job stays completed), and the
 * answer is that real outcome, so the tail announces the right event or none.
 */
export async function recordFailure(input: FailureInput, deps: { store: JobStore }): Promise<JobOutcome> {
  const { internalDetail, ...failure } = describeFailure(input);
  if (internalDetail) logger.error('job failed internally', { jobId: input.jobId, detail: internalDetail });
  const recorded = { jobId: input.jobId, status: 'FAILED' as const, ...failure, announce: true };
  if (await recordFailed(deps.store, input.jobId, failure)) return recorded;
  const job = await getJob(deps.store, input.jobId);
  if (!job) return recorded;
  logger.info('job already finished; failure not recorded over it', { jobId: input.jobId, status: job.status });
  return finishedJobOutcome(job);
}
