import { getJob, type JobStore, recordFailed } from '../../adapters/jobStore';
import { logger } from '../../adapters/logger';
import { cancellationError } from '../../core/cancellation';
import type { JobFailureCode } from '../../core/errors';
import { describeExecutionEnd, type ExecutionEnd } from '../../core/executionEnd';
import { isTerminal, type Job, type JobStatus } from '../../core/job';
import { type AnnounceDeps, announceFailure } from '../../jobs/announceFailure';

/*
 * The reconciler: an execution of the transition workflow that failed, timed
 * out or was stopped never reached Record Failure, so its job would stay open
 * forever. This ends it FAILED (the first terminal state still wins) and
 * announces it as any failed job is: event, webhook, and so the outbox.
 */

export interface ReconcileDeps extends AnnounceDeps {
  store: JobStore;
  /**
   * How long a job stopped by framebridge's own cancel is left to the cancel
   * handler, which records it right after the stop: read `attempts` more times,
   * `intervalMs` apart, before the reconciler records the cancel itself.
   */
  cancelGrace: { attempts: number; intervalMs: number };
  sleep: (ms: number) => Promise<void>;
}

/** The ended execution: its name, its job and how it ended. */
export interface EndedExecution extends ExecutionEnd {
  jobId: string;
  executionName: string;
}

export type ReconcileOutcome =
  /** This call recorded the failure and started its announcement. */
  | { jobId: string; outcome: 'ended'; code: JobFailureCode }
  /** An earlier call (or the cancel) recorded this very end: its announcement was asked for again. */
  | { jobId: string; outcome: 'announced'; code: JobFailureCode }
  /** The job had already ended otherwise (the workflow's own failure path, a completion): left alone. */
  | { jobId: string; outcome: 'already-ended'; status: JobStatus }
  /** The execution is not the job's own (an earlier job under the same id): the job is not its to end. */
  | { jobId: string; outcome: 'other-execution' }
  | { jobId: string; outcome: 'not-found' };

/** The `error` framebridge's cancel stops executions with (lambdas/jobs/cancelJob.ts). */
const CANCEL_STOP_ERROR: JobFailureCode = 'cancelled';

/** Ends the job of an execution that ended outside the failure path, once, and announces it. */
export async function reconcileExecution(ended: EndedExecution, deps: ReconcileDeps): Promise<ReconcileOutcome> {
  const { jobId } = ended;
  const cancelled = ended.status === 'ABORTED' && ended.error === CANCEL_STOP_ERROR;
  const found = await getJob(deps.store, jobId);
  if (!found) {
    logger.warn('the ended execution has no job record; nothing to reconcile', { jobId, status: ended.status });
    return { jobId, outcome: 'not-found' };
  }
  // Records made before execution names were unique have an execution named after the job.
  if ((found.executionName ?? found.id) !== ended.executionName) {
    logger.info("the ended execution is not the job's own; left alone", { jobId, execution: ended.executionName });
    return { jobId, outcome: 'other-execution' };
  }
  const job = cancelled ? await afterCancelGrace(found, deps) : found;
  const failure = cancelled ? cancellationError(job) : describeExecutionEnd(ended);
  if (isTerminal(job.status)) return settleEnded(job, failure.code, deps);

  if (!(await recordFailed(deps.store, jobId, failure))) {
    // Something else ended the job since it was read: its end stands.
    const now = await getJob(deps.store, jobId);
    return now ? settleEnded(now, failure.code, deps) : { jobId, outcome: 'not-found' };
  }
  logger.info('job ended by the reconciler', { jobId, status: ended.status, code: failure.code });
  // Thrown when it cannot start: the retried event finds the job ended this way and announces it then.
  await announceFailure(deps, { jobId, executionName: job.executionName, ...failure });
  return { jobId, outcome: 'ended', code: failure.code };
}

/** Gives the cancel handler its time to record the cancel it has just stopped the execution for. */
async function afterCancelGrace(job: Job, deps: ReconcileDeps): Promise<Job> {
  let latest = job;
  for (let attempt = 0; attempt < deps.cancelGrace.attempts && !isTerminal(latest.status); attempt++) {
    await deps.sleep(deps.cancelGrace.intervalMs);
    latest = (await getJob(deps.store, job.id)) ?? latest;
  }
  if (!isTerminal(latest.status)) logger.warn('a cancelled job was not recorded by its cancel', { jobId: job.id });
  return latest;
}

/**
 * A job already ended. Ended this very way (by an earlier delivery of this event,
 * or by the cancel), its announcement is asked for again: it is named after the
 * job, so it runs once, and an earlier attempt may have failed to start it.
 */
async function settleEnded(job: Job, code: JobFailureCode, deps: ReconcileDeps): Promise<ReconcileOutcome> {
  if (job.status !== 'FAILED' || job.error?.code !== code) {
    return { jobId: job.id, outcome: 'already-ended', status: job.status };
  }
  await announceFailure(deps, { jobId: job.id, executionName: job.executionName, code, message: job.error.message });
  return { jobId: job.id, outcome: 'announced', code };
}
