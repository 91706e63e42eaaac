import {
  Choice,
  Condition,
  Fail,
  type IChainable,
  JsonPath,
  Pass,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { errorNamesOf } from '../../lambdas/core/contract/errorRegistry';
import { STATE_NAMES } from '../../lambdas/core/contract/states';
import { type NextStep, statusesLeadingTo } from '../../lambdas/core/contract/upstreamStatus';
import { COPY_RETRY_SCHEDULE, type TimeBudget, UPSTREAM_RETRY_SCHEDULE } from '../../lambdas/core/timeBudget';
import { lambdaTask, retryOf } from './lambdaTask';
import type { TransitionEvents } from './transitionEvents';
import type { WorkflowFunctions } from './workflowFunctions';

const CATCH_ALL = ['States.ALL'];

/**
 * Submit → Wait → Check Status ↺ → Copy Video To S3, every failure ending in
 * Record Failure; both hand the job's real outcome to Announce Outcome?, which
 * puts its event and runs Notify (unless a cancel or the reconciler ended the
 * job and announced it), then the execution ends by the job's status. Retries
 * come from the error registry, their schedules and every task's timeout from
 * the time budget, the status Choice from the upstream status table.
 */
export function workflowDefinition(
  scope: Construct,
  functions: WorkflowFunctions,
  events: TransitionEvents,
  budget: TimeBudget,
): IChainable {
  const announceOutcome = announcingTail(scope, functions, events, budget);
  const { steps } = budget;

  const recordFailure = lambdaTask(scope, STATE_NAMES.recordFailure, functions.recordFailure, {
    attemptSeconds: steps.recordFailure.attemptSeconds,
  });
  recordFailure.next(announceOutcome);

  // The deadlines count from the execution's start, which only the context object knows.
  const submit = lambdaTask(scope, STATE_NAMES.submit, functions.submit, {
    payload: TaskInput.fromObject({
      jobId: JsonPath.stringAt('$.jobId'),
      executionStartedAt: JsonPath.executionStartTime,
    }),
    attemptSeconds: steps.submit.attemptSeconds,
  });
  // Only failures known to come before the upstream accepted are retried: never
  // SubmitOutcomeUnknownError nor a timeout (a re-submit may pay twice).
  submit.addRetry(retryOf(['upstreamTransient'], UPSTREAM_RETRY_SCHEDULE));
  // No upstream capacity: wait and ask again. Caught before anything else, and
  // only then are these states entered — a job admitted at once never passes them.
  submit.addCatch(waitForCapacity(scope, submit), {
    errors: errorNamesOf('awaitingCapacity'),
    resultPath: '$.admission',
  });
  // The idempotent steps also retry their timeouts, on the same attempts.
  const checkStatus = lambdaTask(scope, STATE_NAMES.checkStatus, functions.checkStatus, {
    attemptSeconds: steps.checkStatus.attemptSeconds,
  });
  checkStatus.addRetry(retryOf(['upstreamTransient', 'stepTimeout'], UPSTREAM_RETRY_SCHEDULE));
  const copy = lambdaTask(scope, STATE_NAMES.copyToS3, functions.copyToS3, {
    attemptSeconds: steps.copyToS3.attemptSeconds,
  });
  copy.addRetry(retryOf(['downloadTransient', 'stepTimeout'], COPY_RETRY_SCHEDULE));
  for (const task of [submit, checkStatus, copy]) {
    task.addCatch(recordFailure, { errors: CATCH_ALL, resultPath: '$.error' });
  }

  const waitForUpstream = new Wait(scope, STATE_NAMES.wait, { time: WaitTime.secondsPath('$.waitSeconds') });
  const jobComplete = statusChoice(scope, {
    wait: waitForUpstream,
    copy: copy.next(announceOutcome),
    fail: recordFailure,
  });
  return submit.next(waitForUpstream).next(checkStatus).next(jobComplete);
}

/**
 * Submit's refusal carries the time to ask again as its message; the Catch
 * hands over Lambda's error document as a string, so a Pass parses it and the
 * Wait waits until that timestamp.
 */
function waitForCapacity(scope: Construct, submit: IChainable): Pass {
  const read = new Pass(scope, STATE_NAMES.readCapacityWait, {
    parameters: {
      jobId: JsonPath.stringAt('$.jobId'),
      admission: JsonPath.stringToJson(JsonPath.stringAt('$.admission.Cause')),
    },
  });
  const wait = new Wait(scope, STATE_NAMES.waitForCapacity, {
    time: WaitTime.timestampPath('$.admission.errorMessage'),
  });
  read.next(wait).next(submit);
  return read;
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
 * The tail both paths share, from the job's outcome `{jobId, status, …, announce}`.
 * Events and Notify are side effects: their result is discarded and any error
 * is caught and kept beside the state (never in $.error, which Record Failure
 * reads), so they cannot fail a job. An outcome another writer announced skips them.
 */
function announcingTail(
  scope: Construct,
  functions: WorkflowFunctions,
  events: TransitionEvents,
  budget: TimeBudget,
): Choice {
  const failed = new Fail(scope, STATE_NAMES.failed, { errorPath: '$.code', causePath: '$.message' });
  const jobSucceeded = new Choice(scope, STATE_NAMES.jobSucceeded)
    .when(Condition.stringEquals('$.status', 'COMPLETED'), new Succeed(scope, STATE_NAMES.succeeded))
    .otherwise(failed);
  const notify = lambdaTask(scope, STATE_NAMES.notify, functions.notify, {
    resultPath: JsonPath.DISCARD,
    attemptSeconds: budget.steps.notify.attemptSeconds,
  });
  notify.addCatch(jobSucceeded, { errors: CATCH_ALL, resultPath: '$.notifyError' });
  notify.next(jobSucceeded);
  const emitCompleted = events.emitCompleted(STATE_NAMES.emitCompleted);
  const emitFailed = events.emitFailed(STATE_NAMES.emitFailed);
  for (const emit of [emitCompleted, emitFailed]) {
    emit.addCatch(notify, { errors: CATCH_ALL, resultPath: '$.eventError' });
    emit.next(notify);
  }
  return new Choice(scope, STATE_NAMES.announceOutcome)
    .when(Condition.booleanEquals('$.announce', false), jobSucceeded)
    .when(Condition.stringEquals('$.status', 'COMPLETED'), emitCompleted)
    .otherwise(emitFailed);
}
