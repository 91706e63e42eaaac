import type { Execution } from './executions';

/**
 * RedriveExecution, answered as AWS answers an execution it cannot redrive.
 *
 * AWS restarts a redriven execution at the state that failed, keeping its
 * ARN, its history and `$$.Execution.StartTime`. aws-local-stepfunctions
 * always runs from StartAt and sets StartTime itself on every run, so a local
 * redrive would hand the workflow a new start time — and every deadline the
 * workflow counts from the execution's start would silently move. Rather than
 * a redrive that behaves unlike AWS, the local stack reports every execution
 * NOT_REDRIVABLE and refuses RedriveExecution with ExecutionNotRedrivable.
 */

export class ExecutionNotRedrivableError extends Error {
  override readonly name = 'ExecutionNotRedrivable';
}

const LOCAL_REASON =
  'The local stack cannot redrive executions: aws-local-stepfunctions reruns from StartAt with a new $$.Execution.StartTime. Start a new execution instead.';

/** DescribeExecution's redrive members: AWS's reason for running or succeeded executions, the local one otherwise. */
export function redriveStatusOf(execution: Execution) {
  const awsRefusal =
    execution.status === 'RUNNING' || execution.status === 'SUCCEEDED'
      ? `Execution is ${execution.status} and cannot be redriven`
      : undefined;
  return { redriveStatus: 'NOT_REDRIVABLE' as const, redriveStatusReason: awsRefusal ?? LOCAL_REASON };
}

export function refuseRedrive(execution: Execution): never {
  throw new ExecutionNotRedrivableError(redriveStatusOf(execution).redriveStatusReason);
}
