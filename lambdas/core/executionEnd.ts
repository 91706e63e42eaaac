import type { ReconciledStatus } from './contract/executionEvents';
import type { JobFailureCode } from './errors';
import { causeMessage } from './failure';
import type { JobError } from './job';
import { redactSecrets } from './redact';

/** How an execution ended outside the workflow's failure path, as its status change event says. */
export interface ExecutionEnd {
  status: ReconciledStatus;
  error?: string | null;
  cause?: string | null;
}

/** The code a job shows when its execution ended this way. */
export const EXECUTION_END_CODES = {
  FAILED: 'execution_failed',
  TIMED_OUT: 'execution_timed_out',
  ABORTED: 'execution_aborted',
} as const satisfies Record<ReconciledStatus, JobFailureCode>;

/** Step Functions allows a 32 KiB cause; a job's message stays readable. */
const MAX_DETAIL_CHARS = 500;

/** `error: cause` as far as either is known, without Lambda's stack trace, redacted and shortened. */
function detailOf(end: ExecutionEnd): string | undefined {
  const cause = causeMessage(end.cause);
  const parts = [end.error, cause].filter((part): part is string => Boolean(part));
  if (parts.length === 0) return undefined;
  // Upstream text can reach a cause and echo the presigned frame URLs we sent it.
  const detail = redactSecrets(parts.join(': '));
  return detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS - 1)}…` : detail;
}

/**
 * The `{code, message}` recorded on a job whose execution failed, timed out or
 * was stopped before the workflow could record why.
 */
export function describeExecutionEnd(end: ExecutionEnd): JobError & { code: JobFailureCode } {
  const code = EXECUTION_END_CODES[end.status];
  const detail = detailOf(end);
  switch (end.status) {
    case 'FAILED':
      return {
        code,
        message: `The job's workflow execution failed before the job's failure could be recorded${detail ? ` (${detail})` : ''}`,
      };
    case 'TIMED_OUT':
      return { code, message: "The job's workflow execution reached its time limit before the job finished" };
    case 'ABORTED':
      return {
        code,
        message: `The job's workflow execution was stopped from outside framebridge${detail ? ` (${detail})` : ''}`,
      };
  }
}
