import { type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { HttpError } from '../adapters/http';
import { getJob, type JobStore, patchJob } from '../adapters/jobStore';
import { cancellationError, cancellationNote, executionArnOfJob } from '../core/cancellation';
import { isTerminal, type Job } from '../core/job';
import { announceCancellation } from './announceFailure';
import { ownedJob } from './ownedJob';

/*
 * Cancelling a job: stop its execution, record it FAILED with code `cancelled`,
 * then announce it as any failed job is (event and webhook). The pure parts
 * (execution ARN, billing note) are in core/cancellation.ts; the announcing
 * state machine is infra/constructs/cancellationTail.ts.
 */

export interface CancelDeps {
  store: JobStore;
  sfn: SFNClient;
  stateMachineArn: string;
  /**
   * The machine that puts a cancelled job's event and sends its webhook.
   * @default - cancelled jobs are not announced
   */
  cancellationTailArn?: string;
}

function alreadyFinished(job: Job): HttpError {
  const how = job.error?.code === 'cancelled' ? 'FAILED (cancelled)' : job.status;
  return new HttpError(
    'conflict',
    `Request ${job.id} is already ${how}; only a queued or running request can be cancelled`,
  );
}

/**
 * Cancels an owner's job: stops its execution, then records it FAILED with
 * code `cancelled` (as recordFailed does, plus a guard on the submit claim so
 * the billing note cannot be wrong). A finished job (cancelled included) is a
 * 409. If the job finishes while it is being stopped, the finish wins: 409 too.
 */
export async function cancelOwnedJob(deps: CancelDeps, id: string, owner: string): Promise<{ job: Job; note: string }> {
  const job = await ownedJob(deps.store, id, owner);
  if (isTerminal(job.status)) throw alreadyFinished(job);
  try {
    await deps.sfn.send(
      new StopExecutionCommand({
        executionArn: executionArnOfJob(deps.stateMachineArn, job),
        error: 'cancelled',
        cause: 'Cancelled by its owner (DELETE /v2/requests/{id})',
      }),
    );
  } catch (error) {
    // A job whose execution never started (or is already gone) is cancelled all the same.
    if (!(error instanceof Error && error.name === 'ExecutionDoesNotExist')) throw error;
  }
  // The note must be true when it is recorded: a job read as never submitted is
  // cancelled only if the submit is still unclaimed, else it is read again.
  let stopped = job;
  for (let attempt = 0; ; attempt++) {
    stopped = (await getJob(deps.store, id)) ?? stopped;
    if (isTerminal(stopped.status)) throw alreadyFinished(stopped);
    const recorded = await patchJob(
      deps.store,
      id,
      { phase: 'failed', error: cancellationError(stopped), completedAt: new Date().toISOString() },
      { onlyIfActive: true, condition: stopped.submitClaimedAt ? undefined : 'attribute_not_exists(submitClaimedAt)' },
    );
    if (recorded) break;
    if (attempt === 2) throw new Error(`Job ${id} kept changing while it was being cancelled`);
  }
  const cancelled = await getJob(deps.store, id);
  if (!cancelled) throw new Error(`Job ${id} vanished after it was cancelled`);
  return { job: cancelled, note: cancellationNote(stopped) };
}

/** DELETE's whole use case: cancel the owner's job, then announce it. */
export async function cancelJob(deps: CancelDeps, id: string, owner: string): Promise<{ job: Job; note: string }> {
  const cancelled = await cancelOwnedJob(deps, id, owner);
  await announceCancellation(deps, cancelled.job);
  return cancelled;
}
