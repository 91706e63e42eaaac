import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { JitterType, type RetryProps, TaskInput } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, type LambdaInvokeProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { errorNamesOf, LAMBDA_SERVICE_ERRORS, type RetryClass } from '../../lambdas/core/contract/errorRegistry';

/** Failures of the Lambda service itself: every Lambda task retries them the same way. */
export const LAMBDA_SERVICE_RETRY: RetryProps = {
  errors: [...LAMBDA_SERVICE_ERRORS],
  interval: Duration.seconds(2),
  maxAttempts: 6,
  backoffRate: 2,
  jitterStrategy: JitterType.FULL,
};

/** A Retry on the errors of one class of the error registry, with full jitter. */
export function retryOf(retryClass: Exclude<RetryClass, 'final'>, schedule: Omit<RetryProps, 'errors'>): RetryProps {
  return { jitterStrategy: JitterType.FULL, ...schedule, errors: errorNamesOf(retryClass) };
}

export type LambdaTaskOptions = Omit<LambdaInvokeProps, 'lambdaFunction' | 'payload' | 'retryOnServiceExceptions'>;

/**
 * A task invoking `fn` with the whole state as its payload, retrying the Lambda
 * service's own failures (and only those: the caller adds the step's retries).
 * @default outputPath '$.Payload' unless a resultPath or resultSelector is given
 */
export function lambdaTask(
  scope: Construct,
  stateName: string,
  fn: IFunction,
  options: LambdaTaskOptions = {},
): LambdaInvoke {
  const keepsInput = options.resultPath !== undefined || options.resultSelector !== undefined;
  const task = new LambdaInvoke(scope, stateName, {
    outputPath: keepsInput ? undefined : '$.Payload',
    ...options,
    lambdaFunction: fn,
    payload: TaskInput.fromJsonPathAt('$'),
    retryOnServiceExceptions: false,
  });
  task.addRetry(LAMBDA_SERVICE_RETRY);
  return task;
}
