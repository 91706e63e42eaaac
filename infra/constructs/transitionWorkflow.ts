import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  Choice,
  Condition,
  Fail,
  JitterType,
  JsonPath,
  type RetryProps,
  type StateMachine,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { bindBucketObjects, bindJobsTable, bindSegmindApiKey, bindWebhookDeliveryStart } from './bindings';
import { CancellationTail } from './cancellationTail';
import { loggedStateMachine } from './loggedStateMachine';
import { TransitionEvents } from './transitionEvents';
import { TransitionFunction } from './transitionFunction';
import { LAMBDA_SERVICE_ERRORS, WebhookDelivery } from './webhookDelivery';

export { LAMBDA_SERVICE_ERRORS };

/** Segmind forgets a request one hour after submission; the workflow must finish before. */
const UPSTREAM_RECORD_EXPIRY = Duration.hours(1);

/** Upstream failures known to have happened before Segmind accepted (or answered) the request. */
export const UPSTREAM_RETRYABLE_ERRORS = ['UpstreamThrottledError', 'UpstreamUnavailableError'] as const;

/** The state names the tests and the local runner rely on. */
export const STATE_NAMES = {
  submit: 'Submit Job',
  wait: 'Wait For Upstream',
  checkStatus: 'Check Status',
  jobComplete: 'Job Complete?',
  copyToS3: 'Copy Video To S3',
  emitCompleted: 'Emit Completed Event',
  recordFailure: 'Record Failure',
  emitFailed: 'Emit Failed Event',
  notify: 'Notify',
  jobSucceeded: 'Job Succeeded?',
  succeeded: 'Transition Succeeded',
  failed: 'Transition Failed',
} as const;

export interface TransitionWorkflowProps {
  /** The jobs table every step writes the job's status to. */
  readonly table: ITable;
  /** The bucket holding uploaded frames (`s3://` inputs) and finished videos (`jobs/`). */
  readonly bucket: IBucket;
  /** The secret holding the Segmind API key. */
  readonly segmindApiKey: ISecret;
  /**
   * The secret webhooks are signed with (`whsec_…`, or a raw string whose bytes are the key).
   * @default - a new generated secret, owned by the webhook delivery
   */
  readonly webhookSigningSecret?: ISecret;
  /**
   * The bus `Transition Completed` / `Transition Failed` events are put on.
   * @default - a new EventBus with a generated name
   */
  readonly eventBus?: IEventBus;
  /**
   * Base URL of the Segmind-compatible upstream (operator-set, so http is allowed;
   * use https whenever the API key crosses a network you do not control).
   * @default 'https://api.segmind.com'
   */
  readonly segmindBaseUrl?: string;
  /**
   * Hosts the finished video may be downloaded from.
   * @default - the handler's default: Segmind's hosts plus the base URL's host
   */
  readonly outputHosts?: readonly string[];
  /**
   * Override of the poll plan's first wait, in seconds (`FRAMEBRIDGE_POLL_FIRST_S`).
   * @default - the handler's poll plan (about the expected latency)
   */
  readonly pollFirstSeconds?: number;
  /**
   * Override of the poll plan's interval, in seconds (`FRAMEBRIDGE_POLL_INTERVAL_S`).
   * @default - the handler's poll plan
   */
  readonly pollIntervalSeconds?: number;
  /**
   * Largest video, in bytes, the copy step accepts (`FRAMEBRIDGE_MAX_VIDEO_BYTES`).
   * @default - the handler's default
   */
  readonly maxVideoBytes?: number;
  /**
   * Timeout of one execution. Must be below 60 minutes, the upstream's record expiry.
   * @default Duration.minutes(55)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the state machine's execution log.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export type WorkflowFunctionName = 'submit' | 'checkStatus' | 'copyToS3' | 'recordFailure' | 'notify';

/**
 * The transition workflow: Submit → Wait → Check Status ↺ → Copy Video To S3 →
 * Emit Completed Event, every failure ending in Record Failure → Emit Failed
 * Event; both then Notify (which starts the webhook delivery) and end by the
 * job's status. Events and webhooks never fail a job. A Standard state machine
 * in JSONPath (the local runner ignores JSONata), with failure/timeout alarms.
 */
export class TransitionWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly functions: Readonly<Record<WorkflowFunctionName, TransitionFunction>>;
  public readonly logGroup: LogGroup;
  /** Where `Transition Completed` / `Transition Failed` are put (source `framebridge`). */
  public readonly eventBus: IEventBus;
  /** The small state machine that puts a cancelled job's event and starts its webhook. */
  public readonly cancellationTail: CancellationTail;
  /** The webhook delivery state machine Notify starts, with its DeadWebhooksAlarm. */
  public readonly webhookDelivery: WebhookDelivery;
  /** ExecutionsFailed ≥ 1 in five minutes; add an action to be notified. */
  public readonly failedAlarm: Alarm;
  /** ExecutionsTimedOut ≥ 1 in five minutes; add an action to be notified. */
  public readonly timedOutAlarm: Alarm;

  constructor(scope: Construct, id: string, props: TransitionWorkflowProps) {
    super(scope, id);
    const config = validateProps(props);

    const submit = new TransitionFunction(this, 'SubmitFunction', {
      entry: 'lambdas/workflow/submit.ts',
      description: 'Submits a transition job to the upstream, once',
      timeout: Duration.seconds(60),
    });
    const checkStatus = new TransitionFunction(this, 'CheckStatusFunction', {
      entry: 'lambdas/workflow/checkStatus.ts',
      description: 'Polls the upstream job status and plans the next wait',
      timeout: Duration.seconds(30),
    });
    const copyToS3 = new TransitionFunction(this, 'CopyToS3Function', {
      entry: 'lambdas/workflow/copyToS3.ts',
      description: 'Streams the finished video into S3',
      timeout: Duration.minutes(5),
      memorySize: 512,
    });
    const recordFailure = new TransitionFunction(this, 'RecordFailureFunction', {
      entry: 'lambdas/workflow/recordFailure.ts',
      description: 'Records why a job failed',
      timeout: Duration.seconds(30),
    });
    const notify = new TransitionFunction(this, 'NotifyFunction', {
      entry: 'lambdas/webhooks/notify.ts',
      description: 'Starts the webhook delivery of a finished job that has a callback_url',
      timeout: Duration.seconds(30),
    });
    this.functions = { submit, checkStatus, copyToS3, recordFailure, notify };

    const events = new TransitionEvents(this, 'Events', { eventBus: props.eventBus });
    this.eventBus = events.eventBus;
    this.webhookDelivery = new WebhookDelivery(this, 'WebhookDelivery', {
      table: props.table,
      bucket: props.bucket,
      signingSecret: props.webhookSigningSecret,
      logRetention: props.logRetention,
    });
    bindWebhookDeliveryStart(notify, this.webhookDelivery.stateMachine);

    for (const fn of [submit, checkStatus, copyToS3, recordFailure, notify]) {
      bindJobsTable(fn, props.table, 'update');
    }
    for (const fn of [submit, checkStatus, copyToS3]) {
      fn.addEnvironment('SEGMIND_BASE_URL', config.segmindBaseUrl);
    }
    for (const fn of [submit, checkStatus]) {
      bindSegmindApiKey(fn, props.segmindApiKey);
      if (config.pollFirstSeconds !== undefined) {
        fn.addEnvironment('FRAMEBRIDGE_POLL_FIRST_S', String(config.pollFirstSeconds));
      }
      if (config.pollIntervalSeconds !== undefined) {
        fn.addEnvironment('FRAMEBRIDGE_POLL_INTERVAL_S', String(config.pollIntervalSeconds));
      }
    }
    bindBucketObjects(submit, props.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: '*',
      reason:
        'Presigns GET URLs for s3:// frames in this bucket so the upstream can fetch them; a frame may be any key a client names (s3://bucket/key), and only GetObject is allowed.',
    });
    bindBucketObjects(copyToS3, props.bucket, {
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
      keyPattern: 'jobs/*',
      reason:
        'Writes jobs/{id}/video.mp4 and jobs/{id}/result.json with a multipart upload and removes partial objects; job ids are only known at run time, so the grant is the jobs/ prefix.',
    });
    if (config.outputHosts !== undefined) {
      copyToS3.addEnvironment('FRAMEBRIDGE_OUTPUT_HOSTS', config.outputHosts.join(','));
    }
    if (config.maxVideoBytes !== undefined) {
      copyToS3.addEnvironment('FRAMEBRIDGE_MAX_VIDEO_BYTES', String(config.maxVideoBytes));
    }

    const lambdaServiceRetry: RetryProps = {
      errors: [...LAMBDA_SERVICE_ERRORS],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
      jitterStrategy: JitterType.FULL,
    };
    // Only failures that happened before the upstream accepted the request are
    // retried; SubmitOutcomeUnknownError is never retried (a re-submit double-charges).
    const upstreamRetry: RetryProps = {
      errors: [...UPSTREAM_RETRYABLE_ERRORS],
      interval: Duration.seconds(5),
      maxAttempts: 5,
      backoffRate: 2,
      maxDelay: Duration.seconds(60),
      jitterStrategy: JitterType.FULL,
    };
    const invoke = (stateName: string, fn: TransitionFunction): LambdaInvoke => {
      const task = new LambdaInvoke(this, stateName, {
        lambdaFunction: fn,
        payload: TaskInput.fromJsonPathAt('$'),
        outputPath: '$.Payload',
        retryOnServiceExceptions: false,
      });
      task.addRetry(lambdaServiceRetry);
      return task;
    };

    // The tail both paths share. Events and Notify are side effects: their
    // result is discarded and any error is caught and kept beside the state
    // (never in $.error, which Record Failure reads), so they cannot fail a job.
    const failed = new Fail(this, STATE_NAMES.failed, { errorPath: '$.code', causePath: '$.message' });
    const jobSucceeded = new Choice(this, STATE_NAMES.jobSucceeded)
      .when(Condition.stringEquals('$.status', 'COMPLETED'), new Succeed(this, STATE_NAMES.succeeded))
      .otherwise(failed);
    const notifyTask = new LambdaInvoke(this, STATE_NAMES.notify, {
      lambdaFunction: notify,
      payload: TaskInput.fromJsonPathAt('$'),
      resultPath: JsonPath.DISCARD,
      retryOnServiceExceptions: false,
    });
    notifyTask.addRetry(lambdaServiceRetry);
    notifyTask.addCatch(jobSucceeded, { errors: ['States.ALL'], resultPath: '$.notifyError' });
    notifyTask.next(jobSucceeded);
    const emitCompleted = events.emitCompleted(STATE_NAMES.emitCompleted);
    const emitFailed = events.emitFailed(STATE_NAMES.emitFailed);
    for (const emit of [emitCompleted, emitFailed]) {
      emit.addCatch(notifyTask, { errors: ['States.ALL'], resultPath: '$.eventError' });
      emit.next(notifyTask);
    }

    // Record Failure's payload is {jobId, code, message}; the status the events
    // and the final Choice read is added here.
    const recordFailureTask = new LambdaInvoke(this, STATE_NAMES.recordFailure, {
      lambdaFunction: recordFailure,
      payload: TaskInput.fromJsonPathAt('$'),
      resultSelector: {
        'jobId.$': '$.Payload.jobId',
        status: 'FAILED',
        'code.$': '$.Payload.code',
        'message.$': '$.Payload.message',
      },
      retryOnServiceExceptions: false,
    });
    recordFailureTask.addRetry(lambdaServiceRetry);
    recordFailureTask.next(emitFailed);

    const submitTask = invoke(STATE_NAMES.submit, submit);
    submitTask.addRetry(upstreamRetry);
    const checkStatusTask = invoke(STATE_NAMES.checkStatus, checkStatus);
    checkStatusTask.addRetry(upstreamRetry);
    const copyTask = invoke(STATE_NAMES.copyToS3, copyToS3);
    copyTask.addRetry({
      errors: ['VideoDownloadError'],
      interval: Duration.seconds(5),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: JitterType.FULL,
    });
    for (const task of [submitTask, checkStatusTask, copyTask]) {
      task.addCatch(recordFailureTask, { errors: ['States.ALL'], resultPath: '$.error' });
    }

    const waitForUpstream = new Wait(this, STATE_NAMES.wait, { time: WaitTime.secondsPath('$.waitSeconds') });
    const jobComplete = new Choice(this, STATE_NAMES.jobComplete)
      .when(
        Condition.or(Condition.stringEquals('$.status', 'QUEUED'), Condition.stringEquals('$.status', 'PROCESSING')),
        waitForUpstream,
      )
      .when(Condition.stringEquals('$.status', 'COMPLETED'), copyTask.next(emitCompleted))
      .when(Condition.stringEquals('$.status', 'FAILED'), recordFailureTask)
      .otherwise(recordFailureTask);
    const definition = submitTask.next(waitForUpstream).next(checkStatusTask).next(jobComplete);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = loggedStateMachine(this, {
      definition,
      comment: 'framebridge: one AI video transition, from submit to the MP4 in S3',
      timeout: config.timeout,
      invokedFunctions: Object.values(this.functions),
      logRetention: props.logRetention,
    }));
    this.cancellationTail = new CancellationTail(this, 'CancellationTail', {
      events,
      notify,
      lambdaServiceErrors: LAMBDA_SERVICE_ERRORS,
      logRetention: props.logRetention,
    });

    this.failedAlarm = new Alarm(this, 'ExecutionsFailedAlarm', {
      alarmDescription: 'A framebridge transition failed (see the jobs table for its code and message).',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.timedOutAlarm = new Alarm(this, 'ExecutionsTimedOutAlarm', {
      alarmDescription: 'A framebridge transition hit the state machine timeout.',
      metric: this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

interface WorkflowConfig {
  readonly segmindBaseUrl: string;
  readonly outputHosts?: readonly string[];
  readonly pollFirstSeconds?: number;
  readonly pollIntervalSeconds?: number;
  readonly maxVideoBytes?: number;
  readonly timeout: Duration;
}

function validateProps(props: TransitionWorkflowProps): WorkflowConfig {
  const segmindBaseUrl = props.segmindBaseUrl ?? 'https://api.segmind.com';
  let parsed: URL;
  try {
    parsed = new URL(segmindBaseUrl);
  } catch {
    throw new Error(
      `TransitionWorkflow: segmindBaseUrl must be an absolute URL such as 'https://api.segmind.com', got '${segmindBaseUrl}'.`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`TransitionWorkflow: segmindBaseUrl must be an http(s) URL, got '${segmindBaseUrl}'.`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new Error(`TransitionWorkflow: segmindBaseUrl must not carry a query or fragment, got '${segmindBaseUrl}'.`);
  }
  for (const host of props.outputHosts ?? []) {
    if (!/^[a-z0-9.-]+(:\d+)?$/i.test(host) || host.startsWith('.') || host.endsWith('.')) {
      throw new Error(
        `TransitionWorkflow: outputHosts must be bare host names such as 'storage.googleapis.com' (no scheme, path or commas), got '${host}'.`,
      );
    }
  }
  if (props.outputHosts !== undefined && props.outputHosts.length === 0) {
    throw new Error(
      'TransitionWorkflow: outputHosts is empty, so no video could ever be copied; leave it undefined for the handler default.',
    );
  }
  for (const [name, value] of [
    ['pollFirstSeconds', props.pollFirstSeconds],
    ['pollIntervalSeconds', props.pollIntervalSeconds],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 3600)) {
      throw new Error(
        `TransitionWorkflow: ${name} must be a whole number of seconds between 1 and 3600, got ${value}.`,
      );
    }
  }
  if (props.maxVideoBytes !== undefined && (!Number.isSafeInteger(props.maxVideoBytes) || props.maxVideoBytes < 1)) {
    throw new Error(
      `TransitionWorkflow: maxVideoBytes must be a positive whole number of bytes, got ${props.maxVideoBytes}.`,
    );
  }
  const timeout = props.timeout ?? Duration.minutes(55);
  if (timeout.isUnresolved()) {
    throw new Error('TransitionWorkflow: timeout must be a concrete duration, not a token.');
  }
  const timeoutSeconds = timeout.toSeconds();
  if (timeoutSeconds >= UPSTREAM_RECORD_EXPIRY.toSeconds()) {
    throw new Error(
      `TransitionWorkflow: timeout must be below 60 minutes, the upstream's record expiry (a job polled after it is lost), got ${timeout.toHumanString()}.`,
    );
  }
  if (timeoutSeconds < 60) {
    throw new Error(
      `TransitionWorkflow: timeout must be at least 1 minute (a 5 s video takes ~77 s upstream), got ${timeout.toHumanString()}.`,
    );
  }
  return {
    segmindBaseUrl: segmindBaseUrl.replace(/\/+$/, ''),
    outputHosts: props.outputHosts,
    pollFirstSeconds: props.pollFirstSeconds,
    pollIntervalSeconds: props.pollIntervalSeconds,
    maxVideoBytes: props.maxVideoBytes,
    timeout,
  };
}
