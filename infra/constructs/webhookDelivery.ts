import { Duration, Validations } from 'aws-cdk-lib';
import { type Alarm, MathExpression } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Fail, JitterType, type StateMachine, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LAMBDA_SERVICE_ERRORS } from '../../lambdas/core/contract/errorRegistry';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
import { WEBHOOK_STATE_NAMES } from '../../lambdas/core/contract/states';
import { ALARM_PERIOD, alarmOnAny } from './alarms';
import { bindBucketObjects, bindJobsTable, bindWebhookSigningSecret } from './bindings';
import { lambdaTask } from './lambdaTask';
import { loggedStateMachine } from './loggedStateMachine';
import { TransitionFunction } from './transitionFunction';

export { LAMBDA_SERVICE_ERRORS, WEBHOOK_STATE_NAMES };

/**
 * Retries of a failed attempt (non-2xx but 410, redirect, timeout, connection
 * error): 30 s × 2ⁿ, capped at 30 min, 10 retries, i.e. 11 attempts with the
 * same webhook-id. Waits before full jitter:
 *   30 + 60 + 120 + 240 + 480 + 960 + 1800 × 4 (1920 s and beyond are capped) = 9090 s ≈ 2 h 31 min.
 * Full jitter draws each wait uniformly from [0, wait], so a receiver that keeps
 * failing sees its attempts spread over ~76 min on average (σ ≈ 18 min), at most
 * 2 h 31 min. (8 retries would average only ~46 min: 5490 s / 2.)
 */
export const WEBHOOK_RETRY = {
  intervalSeconds: 30,
  backoffRate: 2,
  maxAttempts: 10,
  maxDelaySeconds: 30 * 60,
} as const;

/** Longest one attempt can take: the POST's 15 s deadline plus presign, DynamoDB and cold start. */
const DELIVER_FUNCTION_TIMEOUT = Duration.seconds(30);

/** The retry schedule's waits before jitter, in seconds (the upper bound of the real waits). */
export function webhookRetryWaitsSeconds(): number[] {
  const { intervalSeconds, backoffRate, maxAttempts, maxDelaySeconds } = WEBHOOK_RETRY;
  return Array.from({ length: maxAttempts }, (_, n) => Math.min(intervalSeconds * backoffRate ** n, maxDelaySeconds));
}

export interface WebhookDeliveryProps {
  /** The jobs table: the job's callback_url is read from it and the webhook's outcome written to it. */
  readonly table: ITable;
  /** The bucket holding `jobs/{id}/video.mp4`; the payload carries a presigned GET of it. */
  readonly bucket: IBucket;
  /**
   * The secret webhooks are signed with: `whsec_<base64>`, or any other string,
   * whose raw bytes are then the key (receivers verify with `whsec_` + base64 of it).
   * @default - a new generated secret (64 alphanumeric characters)
   */
  readonly signingSecret?: ISecret;
  /**
   * Timeout of one delivery; must cover the whole retry schedule (~2 h 37 min with the attempts).
   * @default Duration.hours(3)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the state machine's execution log.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Webhook delivery, one execution per job (named after the webhook id):
 * Deliver Webhook, retried with backoff and full jitter for over an hour, then
 * Webhook Delivered; a delivery that fails for good (retries exhausted, 410,
 * refused URL) goes through Record Webhook Failure, which marks the job's
 * webhook failed, and ends in the Webhook Failed state — so `ExecutionsFailed`
 * counts dead webhooks, and DeadWebhooksAlarm watches it. The transition
 * workflow only starts this machine: a dead webhook never fails a job.
 */
export class WebhookDelivery extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly logGroup: LogGroup;
  public readonly signingSecret: ISecret;
  public readonly functions: Readonly<Record<'deliverWebhook' | 'recordWebhookFailure', TransitionFunction>>;
  /** A delivery failed for good (or timed out) in the last five minutes; add an action to be notified. */
  public readonly deadWebhooksAlarm: Alarm;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const timeout = validateTimeout(props.timeout ?? Duration.hours(3));

    if (props.signingSecret) {
      this.signingSecret = props.signingSecret;
    } else {
      const generated = new Secret(this, 'SigningSecret', {
        description: 'Signing secret of framebridge webhooks (Standard Webhooks).',
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      });
      Validations.of(generated).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Webhook receivers verify with this secret; rotating it must be coordinated with every receiver (Standard Webhooks key rollover), so it is rotated by hand.',
      });
      this.signingSecret = generated;
    }

    const deliverWebhook = new TransitionFunction(this, 'DeliverWebhookFunction', {
      entry: FUNCTION_ENTRIES.deliverWebhook,
      description: 'Sends one signed, SSRF-guarded webhook attempt and records its outcome on the job',
      timeout: DELIVER_FUNCTION_TIMEOUT,
    });
    const recordWebhookFailure = new TransitionFunction(this, 'RecordWebhookFailureFunction', {
      entry: FUNCTION_ENTRIES.recordWebhookFailure,
      description: 'Marks a job’s webhook failed once its delivery gave up',
      timeout: Duration.seconds(30),
    });
    this.functions = { deliverWebhook, recordWebhookFailure };
    bindJobsTable(deliverWebhook, props.table, 'update');
    bindJobsTable(recordWebhookFailure, props.table, 'update');
    bindWebhookSigningSecret(deliverWebhook, this.signingSecret);
    bindBucketObjects(deliverWebhook, props.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: 'jobs/*/video.mp4',
      reason:
        'Presigns a GET of jobs/{id}/video.mp4 for the webhook payload; job ids are only known at run time, and only the videos are readable.',
    });

    const deliverTask = lambdaTask(this, WEBHOOK_STATE_NAMES.deliver, deliverWebhook);
    deliverTask.addRetry({
      errors: ['WebhookRetryableError'],
      interval: Duration.seconds(WEBHOOK_RETRY.intervalSeconds),
      backoffRate: WEBHOOK_RETRY.backoffRate,
      maxAttempts: WEBHOOK_RETRY.maxAttempts,
      maxDelay: Duration.seconds(WEBHOOK_RETRY.maxDelaySeconds),
      jitterStrategy: JitterType.FULL,
    });
    const recordFailureTask = lambdaTask(this, WEBHOOK_STATE_NAMES.recordFailure, recordWebhookFailure);
    recordFailureTask.next(
      new Fail(this, WEBHOOK_STATE_NAMES.failed, { error: 'WebhookDeliveryFailed', causePath: '$.message' }),
    );
    deliverTask.addCatch(recordFailureTask, { errors: ['States.ALL'], resultPath: '$.error' });
    const definition = deliverTask.next(new Succeed(this, WEBHOOK_STATE_NAMES.delivered));

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = loggedStateMachine(this, {
      definition,
      comment: 'framebridge: delivers one job’s webhook, retrying for over an hour',
      timeout,
      invokedFunctions: [deliverWebhook, recordWebhookFailure],
      logRetention: props.logRetention,
    }));

    const period = ALARM_PERIOD;
    this.deadWebhooksAlarm = alarmOnAny(
      this,
      'DeadWebhooksAlarm',
      'A framebridge webhook could not be delivered after every retry (or was refused, or its receiver answered 410); the job record holds the last status and error.',
      new MathExpression({
        label: 'Dead webhooks',
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ period, statistic: 'Sum' }),
          timedOut: this.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
        },
        period,
      }),
    );
  }
}

function validateTimeout(timeout: Duration): Duration {
  if (timeout.isUnresolved()) throw new Error('WebhookDelivery: timeout must be a concrete duration, not a token.');
  const waits = webhookRetryWaitsSeconds().reduce((sum, wait) => sum + wait, 0);
  const attempts = (WEBHOOK_RETRY.maxAttempts + 1) * DELIVER_FUNCTION_TIMEOUT.toSeconds();
  const needed = waits + attempts;
  if (timeout.toSeconds() < needed) {
    throw new Error(
      `WebhookDelivery: timeout must cover the retry schedule (${Math.ceil(needed / 60)} minutes: ${waits} s of waits and ${WEBHOOK_RETRY.maxAttempts + 1} attempts of up to ${DELIVER_FUNCTION_TIMEOUT.toSeconds()} s), got ${timeout.toHumanString()}; a delivery cut off by the timeout stays 'pending' on the job.`,
    );
  }
  return timeout;
}
