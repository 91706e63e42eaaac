import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXECUTION_STATUS_CHANGE, RECONCILED_STATUSES } from '../../lambdas/core/contract/executionEvents';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
import { bindCancellationTailStart, bindJobsTable } from './bindings';
import { deadLetterQueue } from './deadLetterQueue';
import { TransitionFunction } from './transitionFunction';

export interface ReconcilerProps {
  /** The transition workflow whose failed, timed-out and stopped executions end their jobs. */
  readonly stateMachine: IStateMachine;
  /** The jobs table. */
  readonly table: ITable;
  /** The machine that puts a failed job's `Transition Failed` event and starts its webhook. */
  readonly cancellationTail: IStateMachine;
  /**
   * Times EventBridge retries a failed delivery to the function before the
   * event goes to the dead-letter queue (0–185).
   * @default 4
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge, and then Lambda, keep trying one event (1 minute – 6 hours).
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
}

/** Lambda's own retries of an asynchronous invocation whose handler threw (its maximum). */
const FUNCTION_RETRY_ATTEMPTS = 2;

/**
 * The reconciler: Step Functions' "Execution Status Change" events (default
 * bus) for the transition workflow's executions that FAILED, TIMED_OUT or were
 * ABORTED → a function that ends the still-open job FAILED (`execution_failed`,
 * `execution_timed_out`, `execution_aborted`; a cancel stays a cancel) and
 * announces it through the cancellation tail: event, webhook, outbox.
 * Events that still fail after the retries — EventBridge's delivery or the
 * function's own — are kept in a dead-letter queue.
 */
export class Reconciler extends Construct {
  public readonly reconcileFunction: TransitionFunction;
  /** Default bus: the transition workflow's executions that ended outside the failure path. */
  public readonly executionEndedRule: Rule;
  /** Events the reconciler could not handle after the retries. */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 4;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new Error(`Reconciler: retryAttempts must be a whole number between 0 and 185, got ${retryAttempts}.`);
    }
    const maxEventAge = props.maxEventAge ?? Duration.hours(2);
    if (maxEventAge.isUnresolved() || maxEventAge.toSeconds() < 60 || maxEventAge.toSeconds() > 21_600) {
      throw new Error(
        `Reconciler: maxEventAge must be a concrete duration between 1 minute and 6 hours, got ${maxEventAge.toHumanString()}.`,
      );
    }

    this.deadLetterQueue = deadLetterQueue(
      this,
      'the reconciler (its EventBridge target and its asynchronous invocations)',
    );

    this.reconcileFunction = new TransitionFunction(this, 'ReconcileFunction', {
      entry: FUNCTION_ENTRIES.reconcileExecution,
      description: 'A transition execution failed, timed out or was stopped → ends its job FAILED and announces it',
      timeout: Duration.seconds(30),
    });
    bindJobsTable(this.reconcileFunction, props.table, 'update');
    bindCancellationTailStart(this.reconcileFunction, props.cancellationTail);
    // The rule's DLQ covers delivery only: a handler that throws is retried by Lambda, then lands here too.
    this.reconcileFunction.configureAsyncInvoke({
      onFailure: new SqsDestination(this.deadLetterQueue),
      retryAttempts: FUNCTION_RETRY_ATTEMPTS,
      maxEventAge,
    });

    this.executionEndedRule = new Rule(this, 'ExecutionEndedRule', {
      description: 'framebridge reconciler: a transition execution failed, timed out or was stopped; end its job',
      eventPattern: {
        source: [EXECUTION_STATUS_CHANGE.source],
        detailType: [EXECUTION_STATUS_CHANGE.detailType],
        detail: { stateMachineArn: [props.stateMachine.stateMachineArn], status: [...RECONCILED_STATUSES] },
      },
      targets: [
        new LambdaFunction(this.reconcileFunction, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts,
          maxEventAge,
        }),
      ],
    });
  }
}
