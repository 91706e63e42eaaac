import { type JobStore, recordFailed } from '../../adapters/jobStore';
import { logger } from '../../adapters/logger';
import { describeFailure } from '../../core/failure';
import type { FailureInput, FailureOutput } from '../../core/workflowState';

/** The failure path's one write: the job ends FAILED with a code and a message a user can act on. */
export async function recordFailure(input: FailureInput, deps: { store: JobStore }): Promise<FailureOutput> {
  const { internalDetail, ...failure } = describeFailure(input);
  if (internalDetail) logger.error('job failed internally', { jobId: input.jobId, detail: internalDetail });
  const recorded = await recordFailed(deps.store, input.jobId, failure);
  if (!recorded) logger.info('job already finished; failure not recorded over it', { jobId: input.jobId });
  return { jobId: input.jobId, ...failure };
}
