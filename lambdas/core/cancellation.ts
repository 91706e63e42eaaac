import type { Job } from './job';

/** The ARN of the execution of a state machine with the given name. */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  if (!stateMachineArn.includes(':stateMachine:')) {
    throw new Error(`executionArnFor: not a state machine ARN: ${stateMachineArn}`);
  }
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/**
 * The ARN of a job's execution: the one stored on the job, else (a record made
 * before execution names were unique) the execution named after the job.
 */
export function executionArnOfJob(stateMachineArn: string, job: Pick<Job, 'id' | 'executionArn'>): string {
  return job.executionArn ?? executionArnFor(stateMachineArn, job.id);
}

/**
 * What a cancel means for the bill. Segmind has no cancel: once the submit may
 * have reached it (the submit was claimed), the upstream job runs on.
 */
export function cancellationNote(job: Pick<Job, 'upstreamRequestId' | 'submitClaimedAt'>): string {
  if (job.upstreamRequestId) {
    return `The upstream job (Segmind request ${job.upstreamRequestId}) was already submitted; it cannot be cancelled at Segmind and may still be billed.`;
  }
  if (job.submitClaimedAt) {
    return 'The upstream job was being submitted when the request was cancelled; if Segmind accepted it, it cannot be cancelled there and may still be billed.';
  }
  return 'Nothing had been submitted to Segmind, so nothing is billed.';
}

/** The error recorded on a cancelled job: code `cancelled`, and what it means for the bill. */
export function cancellationError(job: Pick<Job, 'upstreamRequestId' | 'submitClaimedAt'>) {
  return { code: 'cancelled', message: `Cancelled by its owner. ${cancellationNote(job)}` } as const;
}
