import { Duration } from 'aws-cdk-lib';
import {
  Choice,
  Condition,
  Fail,
  type IChainable,
  JsonPath,
  Succeed,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { EventBridgePutEvents } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { STATE_NAMES } from '../../lambdas/core/contract/states';
import { type NextStep, statusesLeadingTo } from '../../lambdas/core/contract/upstreamStatus';
import { lambdaTask, retryOf } from './lambdaTask';
import type { TransitionEvents } from './transitionEvents';
import type { WorkflowFunctions } from './workflowFunctions';

const CATCH_ALL = ['States.ALL'];

/**
 * Submit → Wait → Check Status ↺ → Copy Video To S3 → Emit Completed Event,
 * every failure ending in Record Failure → Emit Failed Event; both then Notify
 * and end by the job's status. Retries come from the error registry, the
 * status Choice from the upstream status table.
 */
export function workflowDefinition(
  scope: Construct,
  functions: WorkflowFunctions,
  events: TransitionEvents,
): IChainable {
  const { emitCompleted, emitFailed } = announcingTail(scope, functions, events);

  // Record Failure's payload is {jobId, code, message}; the status the events
  // and the final Choice read is added here.
  const recordFailure = lambdaTask(scope, STATE_NAMES.recordFailure, functions.recordFailure, {
    resultSelector: {
      'jobId.$': '$.Payload.jobId',
      status: 'FAILED',
      'code.$': '$.Payload.code',
      'message.$': '$.Payload.message',
    },
  });
  recordFailure.next(emitFailed);

  // Only failures that happened before the upstream accepted the request are
  // retried; SubmitOutcomeUnknownError is final (a re-submit double-charges).
  const upstreamRetry = retryOf('upstreamTransient', {
    interval: Duration.seconds(5),
    maxAttempts: 5,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
  });
  const submit = lambdaTask(scope, STATE_NAMES.submit, functions.submit);
  submit.addRetry(upstreamRetry);
  const checkStatus = lambdaTask(scope, STATE_NAMES.checkStatus, functions.checkStatus);
  checkStatus.addRetry(upstreamRetry);
  const copy = lambdaTask(scope, STATE_NAMES.copyToS3, functions.copyToS3);
  copy.addRetry(retryOf('downloadTransient', { interval: Duration.seconds(5), maxAttempts: 3, backoffRate: 2 }));
  for (const task of [submit, checkStatus, copy]) {
    task.addCatch(recordFailure, { errors: CATCH_ALL, resultPath: '$.error' });
  }

  const waitForUpstream = new Wait(scope, STATE_NAMES.wait, { time: WaitTime.secondsPath('$.waitSeconds') });
  const jobComplete = statusChoice(scope, {
    wait: waitForUpstream,
    copy: copy.next(emitCompleted),
    fail: recordFailure,
  });
  return submit.next(waitForUpstream).next(checkStatus).next(jobComplete);
}

/** Job Complete?: one branch per next step of the upstream status table; an unknown status fails the job. */
function statusChoice(scope: Construct, branches: Record<NextStep, IChainable>): Choice {
  const choice = new Choice(scope, STATE_NAMES.jobComplete);
  for (const [next, branch] of Object.entries(branches) as [NextStep, IChainable][]) {
    const conditions = statusesLeadingTo(next).map((status) => Condition.stringEquals('$.status', status));
    const [only] = conditions;
    if (only === undefined) continue;
    choice.when(conditions.length === 1 ? only : Condition.or(...conditions), branch);
  }
  return choice.otherwise(branches.fail);
}

/**
 * The tail both paths share. Events and Notify are side effects: their result
 * is discarded and any error is caught and kept beside the state (never in
 * $.error, which Record Failure reads), so they cannot fail a job.
 */
function announcingTail(
  scope: Construct,
  functions: WorkflowFunctions,
  events: TransitionEvents,
): { emitCompleted: EventBridgePutEvents; emitFailed: EventBridgePutEvents } {
  const failed = new Fail(scope, STATE_NAMES.failed, { errorPath: '$.code', causePath: '$.message' });
  const jobSucceeded = new Choice(scope, STATE_NAMES.jobSucceeded)
    .when(Condition.stringEquals('$.status', 'COMPLETED'), new Succeed(scope, STATE_NAMES.succeeded))
    .otherwise(failed);
  const notify = lambdaTask(scope, STATE_NAMES.notify, functions.notify, {
    resultPath: JsonPath.DISCARD,
  });
  notify.addCatch(jobSucceeded, { errors: CATCH_ALL, resultPath: '$.notifyError' });
  notify.next(jobSucceeded);
  const emitCompleted = events.emitCompleted(STATE_NAMES.emitCompleted);
  const emitFailed = events.emitFailed(STATE_NAMES.emitFailed);
  for (const emit of [emitCompleted, emitFailed]) {
    emit.addCatch(notify, { errors: CATCH_ALL, resultPath: '$.eventError' });
    emit.next(notify);
  }
  return { emitCompleted, emitFailed };
}
