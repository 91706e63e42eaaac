import { Duration } from 'aws-cdk-lib';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { JitterType, JsonPath, TaskInput, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import { EventBridgePutEvents } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EVENTBRIDGE_SERVICE_ERRORS } from '../../lambdas/core/contract/errorRegistry';
import { TRANSITION_DETAIL_TYPES, TRANSITION_EVENT_SOURCE } from '../../lambdas/core/contract/events';
import { EVENT_ATTEMPT_SECONDS, EVENT_RETRY_SCHEDULE } from '../../lambdas/core/timeBudget';

export { EVENTBRIDGE_SERVICE_ERRORS, TRANSITION_DETAIL_TYPES, TRANSITION_EVENT_SOURCE };

export interface TransitionEventsProps {
  /**
   * The bus the events are put on.
   * @default - a new EventBus with a generated name
   */
  readonly eventBus?: IEventBus;
}

/**
 * The workflow's EventBridge events, put with Step Functions' native PutEvents
 * integration (which also grants `events:PutEvents` on the bus to the state
 * machine): `Transition Completed` `{request_id, status, s3_uri, bytes}` and
 * `Transition Failed` `{request_id, status, code, message}`, source `framebridge`.
 */
export class TransitionEvents extends Construct {
  public readonly eventBus: IEventBus;

  constructor(scope: Construct, id: string, props: TransitionEventsProps = {}) {
    super(scope, id);
    this.eventBus =
      props.eventBus ??
      new EventBus(this, 'Bus', {
        description: 'framebridge: Transition Completed / Transition Failed events (source framebridge)',
      });
  }

  /** A task putting `Transition Completed`, from Copy Video To S3's `{jobId, status, s3Uri, bytes}`. */
  emitCompleted(stateName: string): EventBridgePutEvents {
    return this.emit(stateName, TRANSITION_DETAIL_TYPES.completed, {
      request_id: JsonPath.stringAt('$.jobId'),
      status: JsonPath.stringAt('$.status'),
      s3_uri: JsonPath.stringAt('$.s3Uri'),
      bytes: JsonPath.numberAt('$.bytes'),
    });
  }

  /** A task putting `Transition Failed`, from Record Failure's `{jobId, status, code, message}`. */
  emitFailed(stateName: string): EventBridgePutEvents {
    return this.emit(stateName, TRANSITION_DETAIL_TYPES.failed, {
      request_id: JsonPath.stringAt('$.jobId'),
      status: JsonPath.stringAt('$.status'),
      code: JsonPath.stringAt('$.code'),
      message: JsonPath.stringAt('$.message'),
    });
  }

  private emit(stateName: string, detailType: string, detail: Record<string, unknown>): EventBridgePutEvents {
    const task = EventBridgePutEvents.jsonPath(this, stateName, {
      entries: [
        { eventBus: this.eventBus, source: TRANSITION_EVENT_SOURCE, detailType, detail: TaskInput.fromObject(detail) },
      ],
      // The state passes through unchanged: the event is a side effect.
      resultPath: JsonPath.DISCARD,
      // Enforces what the timeout arithmetic assumes of one PutEvents attempt.
      taskTimeout: Timeout.duration(Duration.seconds(EVENT_ATTEMPT_SECONDS)),
    });
    task.addRetry({
      errors: [...EVENTBRIDGE_SERVICE_ERRORS],
      interval: Duration.seconds(EVENT_RETRY_SCHEDULE.intervalSeconds),
      maxAttempts: EVENT_RETRY_SCHEDULE.maxAttempts,
      backoffRate: EVENT_RETRY_SCHEDULE.backoffRate,
      jitterStrategy: JitterType.FULL,
    });
    return task;
  }
}
