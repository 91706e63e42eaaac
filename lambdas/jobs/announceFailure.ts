import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { logger } from '../adapters/logger';
import type { JobFailureCode } from '../core/errors';
import type { Job } from '../core/job';

/*
 * A job that ends outside its workflow's tail — cancelled, or its execution
 * failed, timed out or was stopped — still owes the outside world what every
 * failed job gets: the `Transition Failed` event and the webhook (and, through
 * the event, an intake job's outbox answer). The cancellation tail state
 * machine (infra/constructs/cancellationTail.ts) does both from
 * `{jobId, status, code, message}`.
 */

export interface AnnounceDeps {
  sfn: Pick<SFNClient, 'send'>;
  /**
   * The machine that puts a failed job's event and starts its webhook.
   * @default - nothing is announced
   */
  cancellationTailArn?: string;
}

export interface FailureAnnouncement {
  jobId: string;
  /** The job's own execution (`job.executionName`); records made before execution names were unique have none. */
  executionName?: string;
  code: JobFailureCode;
  message: string;
}

/**
 * One announcement per job, however often it is asked for: named after the
 * job's own execution (unique to this job, even under a reused job id; another
 * state machine, so no clash), else after the job.
 */
export const announcementName = (failure: Omit<FailureAnnouncement, 'message'>): string =>
  failure.executionName ?? `${failure.code === 'cancelled' ? 'cancelled' : 'failed'}-${failure.jobId}`;

/**
 * Starts the announcement of a failed job. An announcement already started
 * under the job's name counts as done; any other error is thrown.
 */
export async function announceFailure(deps: AnnounceDeps, failure: FailureAnnouncement): Promise<void> {
  if (!deps.cancellationTailArn) return;
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.cancellationTailArn,
        name: announcementName(failure),
        input: JSON.stringify({ jobId: failure.jobId, status: 'FAILED', code: failure.code, message: failure.message }),
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    logger.info('failure already announced', { jobId: failure.jobId });
  }
}

/**
 * The stopped execution never reaches its tail, so the cancellation tail puts
 * the `Transition Failed` event and sends the webhook instead. A failure here
 * is logged; the cancel itself stands.
 */
export async function announceCancellation(deps: AnnounceDeps, job: Job): Promise<void> {
  try {
    await announceFailure(deps, {
      jobId: job.id,
      executionName: job.executionName,
      code: 'cancelled',
      message: job.error?.message ?? '',
    });
  } catch (error) {
    logger.warn('could not announce the cancellation', { jobId: job.id, error });
  }
}
