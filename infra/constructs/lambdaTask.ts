import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { JitterType, type RetryProps, TaskInput, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, type LambdaInvokeProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { errorNamesOf, LAMBDA_SERVICE_ERRORS, type RetryClass } from '../../lambdas/core/contract/errorRegistry';
import { LAMBDA_SERVICE_RETRY_SCHEDULE, type RetrySchedule } from '../../lambdas/core/timeBudget';

/** A schedule of the time budget as a Retry's timing, with full jitter (the budget counts each wait at its cap). */
function retryTiming(schedule: RetrySchedule): Omit<RetryProps, 'errors'> {
  return {
    interval: Duration.seconds(schedule.intervalSeconds),
    maxAttempts: schedule.maxAttempts,
    backoffRate: schedule.backoffRate,
    maxDelay: schedule.maxDelaySeconds === undefined ? undefined : Duration.seconds(schedule.maxDelaySeconds),
    jitterStrategy: JitterType.FULL,
  };
}

/** Failures of the Lambda service itself: every Lambda task retries them the same way. */
export const LAMBDA_SERVICE_RETRY: RetryProps = {
  errors: [...LAMBDA_SERVICE_ERRORS],
  ...retryTiming(LAMBDA_SERVICE_RETRY_SCHEDULE),
};

/**
 * One Retry on the errors of the given classes of the error registry: they share
 * its attempts, which is what the time budget counts.
 */
export function retryOf(retryClasses: readonly Exclude<RetryClass, 'final'>[], schedule: RetrySchedule): RetryProps {
  return { ...retryTiming(schedule), errors: retryClasses.flatMap(errorNamesOf) };
}

export type LambdaTaskOptions = Omit<
  LambdaInvokeProps,
  'lambdaFunction' | 'taskTimeout' | 'retryOnServiceExceptions'
> & {
  /** One attempt's limit: the task fails `States.Timeout` after it (the budget's `attemptSeconds`). */
  attemptSeconds?: number;
};

/**
 * A task invoking `fn`, retrying the Lambda service's own failures (and only
 * those: the caller adds the step's retries).
 * @default payload the whole state; outputPath '$.Payload' unless a resultPath or resultSelector is given
 */
export function lambdaTask(
  scope: Construct,
  stateName: string,
  fn: IFunction,
  options: LambdaTaskOptions = {},
): LambdaInvoke {
  const { attemptSeconds, ...invokeOptions } = options;
  const keepsInput = options.resultPath !== undefined || options.resultSelector !== undefined;
  const task = new LambdaInvoke(scope, stateName, {
    outputPath: keepsInput ? undefined : '$.Payload',
    payload: TaskInput.fromJsonPathAt('$'),
    ...invokeOptions,
    taskTimeout: attemptSeconds === undefined ? undefined : Timeout.duration(Duration.seconds(attemptSeconds)),
    lambdaFunction: fn,
    retryOnServiceExceptions: false,
  });
  task.addRetry(LAMBDA_SERVICE_RETRY);
  return task;
}
