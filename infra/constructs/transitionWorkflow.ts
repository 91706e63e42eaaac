import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LAMBDA_SERVICE_ERRORS } from '../../lambdas/core/contract/errorRegistry';
import { STATE_NAMES } from '../../lambdas/core/contract/states';
import { ALARM_PERIOD, alarmOnAny } from './alarms';
import { CancellationTail } from './cancellationTail';
import { countJobFailures, jobFailuresMetric } from './failureMetrics';
import { loggedStateMachine } from './loggedStateMachine';
import { TransitionEvents } from './transitionEvents';
import { type TransitionWorkflowProps, validateWorkflowProps } from './transitionWorkflowProps';
import { WebhookDelivery } from './webhookDelivery';
import { workflowDefinition } from './workflowDefinition';
import { createWorkflowFunctions, type WorkflowFunctionName, type WorkflowFunctions } from './workflowFunctions';

export { LAMBDA_SERVICE_ERRORS, STATE_NAMES, type TransitionWorkflowProps, type WorkflowFunctionName };

/**
 * The transition workflow: Submit → Wait → Check Status ↺ → Copy Video To S3 →
 * Emit Completed Event, every failure ending in Record Failure → Emit Failed
 * Event; both then Notify (which starts the webhook delivery) and end by the
 * job's status. Events and webhooks never fail a job. A Standard state machine
 * in JSONPath (the local runner ignores JSONata), with failure/timeout alarms.
 */
export class TransitionWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly functions: WorkflowFunctions;
  public readonly logGroup: LogGroup;
  /** Where `Transition Completed` / `Transition Failed` are put (source `framebridge`). */
  public readonly eventBus: IEventBus;
  /** The small state machine that puts a cancelled job's event and starts its webhook. */
  public readonly cancellationTail: CancellationTail;
  /** The webhook delivery state machine Notify starts, with its DeadWebhooksAlarm. */
  public readonly webhookDelivery: WebhookDelivery;
  /** A job failed for a system reason (≥ 1 in five minutes); add an action to be notified. */
  public readonly failedAlarm: Alarm;
  /** ExecutionsTimedOut ≥ 1 in five minutes; add an action to be notified. */
  public readonly timedOutAlarm: Alarm;

  constructor(scope: Construct, id: string, props: TransitionWorkflowProps) {
    super(scope, id);
    const config = validateWorkflowProps(props);

    const events = new TransitionEvents(this, 'Events', { eventBus: props.eventBus });
    this.eventBus = events.eventBus;
    this.webhookDelivery = new WebhookDelivery(this, 'WebhookDelivery', {
      table: props.table,
      bucket: props.bucket,
      signingSecret: props.webhookSigningSecret,
      logRetention: props.logRetention,
    });
    this.functions = createWorkflowFunctions(this, props, config, this.webhookDelivery.stateMachine);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = loggedStateMachine(this, {
      definition: workflowDefinition(this, this.functions, events, config.budget),
      comment: 'framebridge: one AI video transition, from submit to the MP4 in S3',
      // The wait for upstream capacity, then the work the `timeout` prop budgets.
      timeout: Duration.seconds(config.budget.stateMachineTimeoutSeconds),
      invokedFunctions: Object.values(this.functions),
      logRetention: props.logRetention,
    }));
    this.cancellationTail = new CancellationTail(this, 'CancellationTail', {
      events,
      notify: this.functions.notify,
      logRetention: props.logRetention,
    });

    countJobFailures(this, 'RecordFailure', this.functions.recordFailure);
    // Only system failures page: a moderation refusal or the upstream's own FAILED does not.
    this.failedAlarm = alarmOnAny(
      this,
      'SystemFailuresAlarm',
      'framebridge failed a job for a system reason: our code, AWS, a timeout, or the Segmind account (see the jobs table and the SystemFailures metric for the code).',
      jobFailuresMetric('system'),
    );
    this.timedOutAlarm = alarmOnAny(
      this,
      'ExecutionsTimedOutAlarm',
      'A framebridge transition hit the state machine timeout.',
      this.stateMachine.metricTimedOut({ period: ALARM_PERIOD, statistic: 'Sum' }),
    );
  }
}
