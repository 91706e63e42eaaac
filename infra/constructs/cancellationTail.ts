import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { JsonPath, type StateMachine, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CANCELLATION_STATE_NAMES } from '../../lambdas/core/contract/states';
import { lambdaTask } from './lambdaTask';
import { loggedStateMachine } from './loggedStateMachine';
import type { TransitionEvents } from './transitionEvents';
import type { TransitionFunction } from './transitionFunction';

export { CANCELLATION_STATE_NAMES };

export interface CancellationTailProps {
  /** The workflow's events: the same `Transition Failed` event, on the same bus. */
  readonly events: TransitionEvents;
  /** The workflow's Notify function: it starts the webhook delivery. */
  readonly notify: TransitionFunction;
  /**
   * Execution log retention.
   * @default one month
   */
  readonly logRetention?: RetentionDays;
}

/**
 * What a cancelled job still owes the outside world. Cancel stops the job's
 * execution before its tail runs, so the cancel handler starts this small
 * machine instead: `Transition Failed` (code `cancelled`) and the webhook, as
 * for any failed job. Input `{jobId, status, code, message}`; never fails.
 */
export class CancellationTail extends Construct {
  public readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: CancellationTailProps) {
    super(scope, id);
    const done = new Succeed(this, CANCELLATION_STATE_NAMES.done);
    const notify = lambdaTask(this, CANCELLATION_STATE_NAMES.notify, props.notify, { resultPath: JsonPath.DISCARD });
    notify.addCatch(done, { errors: ['States.ALL'], resultPath: '$.notifyError' });
    notify.next(done);
    const emit = props.events.emitFailed(CANCELLATION_STATE_NAMES.emit);
    emit.addCatch(notify, { errors: ['States.ALL'], resultPath: '$.eventError' });
    emit.next(notify);

    ({ stateMachine: this.stateMachine } = loggedStateMachine(this, {
      definition: emit,
      comment: 'framebridge: the event and webhook of a cancelled job',
      timeout: Duration.minutes(15),
      invokedFunctions: [props.notify],
      logRetention: props.logRetention,
    }));
  }
}
