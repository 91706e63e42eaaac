import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Alarm, IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TenantLimits } from '../../lambdas/core/tenants';
import { ALARM_PERIOD, alarmOnAny } from './alarms';
import { setJobRetention } from './bindings';
import { countJobFailures } from './failureMetrics';
import { JobsTable } from './jobsTable';
import { KeysTable } from './keysTable';
import { Reconciler } from './reconciler';
import { S3Intake } from './s3Intake';
import { FramebridgeSecrets } from './secrets';
import { TransitionApi, type TransitionApiProps } from './transitionApi';
import { validatePipelineProps } from './transitionPipelineProps';
import { TransitionWorkflow } from './transitionWorkflow';
import { VideoBucket } from './videoBucket';

export interface TransitionPipelineProps {
  /**
   * Bring your own bucket for frames, `jobs/` videos and the S3 intake's
   * `inbox/` / `outbox/`. It must be encrypted with SSE-S3 (not KMS) and, for
   * the intake, send its events to EventBridge (`eventBridgeEnabled: true`).
   * Lifecycle rules are then yours to set.
   * @default - a new VideoBucket: private, TLS only, SSE-S3, access-logged, EventBridge on
   */
  readonly bucket?: IBucket;
  /**
   * Days a job is kept: its record in the jobs table (DynamoDB TTL) and, in the
   * pipeline's own bucket, its video and result (`jobs/`). With your own bucket,
   * set a lifecycle rule on it instead (job records are then kept 30 days).
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * Base URL of the Segmind-compatible upstream.
   * @default 'https://api.segmind.com'
   */
  readonly segmindBaseUrl?: string;
  /**
   * Hosts the finished video may be downloaded from.
   * @default - Segmind's hosts plus the base URL's host
   */
  readonly outputHosts?: readonly string[];
  /**
   * Override of the poll plan's first wait, in seconds.
   * @default - about the expected upstream latency (77 s for 5 s at 540p, scaled)
   */
  readonly pollFirstSeconds?: number;
  /**
   * Override of the poll plan's interval, in seconds.
   * @default - 5 s until twice the expected latency, then 15 s
   */
  readonly pollIntervalSeconds?: number;
  /**
   * `learning` learns the poll plan from recent jobs; `static` keeps its fixed guess.
   * @default 'learning'
   */
  readonly pollStrategy?: 'learning' | 'static';
  /**
   * Largest video, in bytes, the copy step accepts.
   * @default - 500 MiB
   */
  readonly maxVideoBytes?: number;
  /**
   * Time for one job's work once admitted to the upstream (its deadlines count
   * from the admission); must be below 60 minutes, the upstream's record expiry.
   * @default Duration.minutes(55)
   */
  readonly executionTimeout?: Duration;
  /**
   * Upstream requests (submits, status polls, result reads) the whole deployment
   * may send in any minute. At least 2.
   * @default 50
   */
  readonly upstreamRequestsPerMinute?: number;
  /**
   * Jobs the whole deployment may have in flight upstream at once; the rest wait
   * QUEUED (`waiting_for_capacity`) in order of arrival.
   * @default 10
   */
  readonly upstreamConcurrency?: number;
  /**
   * How long a job may wait for upstream capacity before it fails `upstream_capacity_unavailable`.
   * @default Duration.hours(6)
   */
  readonly maxCapacityWait?: Duration;
  /**
   * The bus `Transition Completed` / `Transition Failed` events are put on
   * (source `framebridge`); the S3 intake's outbox rule listens there.
   * @default - a new event bus
   */
  readonly eventBus?: IEventBus;
  /**
   * Deploy the Segmind-v2-compatible REST API.
   * @default true
   */
  readonly api?: boolean;
  /**
   * Throttling, stage and logging of the API (only with `api`).
   * @default - see TransitionApiProps
   */
  readonly apiOptions?: Omit<TransitionApiProps, 'table' | 'bucket' | 'stateMachine' | 'keysTable' | 'tenantLimits'>;
  /**
   * Every tenant's spend limits, unless its key sets its own: jobs not yet
   * finished, and jobs started per UTC day (API and S3 intake alike).
   * @default { maxActiveJobs: 20, maxJobsPerDay: 1000 }
   */
  readonly tenantLimits?: TenantLimits;
  /**
   * The tenant that owns the S3 intake's jobs (and whose limits they count against).
   * @default 'intake'
   */
  readonly intakeTenant?: string;
  /**
   * Deploy the S3 intake: `inbox/<name>.json` starts a job, the result lands in `outbox/`.
   * @default true
   */
  readonly intake?: boolean;
  /**
   * CloudWatch alarms: executions failed, timed out and throttled, webhooks
   * that finally failed, and intake events dead-lettered.
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * A topic every alarm notifies (its alarm action). Requires `alarms`.
   * @default - the alarms have no action
   */
  readonly alarmTopic?: ITopic;
  /**
   * What happens to the jobs table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly jobsTableRemovalPolicy?: RemovalPolicy;
  /**
   * What happens to the keys table (with the API) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly keysTableRemovalPolicy?: RemovalPolicy;
}

/**
 * framebridge as one construct: the video bucket (or yours), the jobs table,
 * the secrets, the transition workflow with its event bus, and — each optional —
 * the REST API, the S3 intake and CloudWatch alarms. Other CDK apps embed it.
 */
export class TransitionPipeline extends Construct {
  /** Frames, `jobs/{id}/video.mp4`, and the intake's `inbox/` and `outbox/`. */
  public readonly bucket: IBucket;
  /** The jobs table: every job's status, request, output and error. */
  public readonly table: ITable;
  /** The transition workflow; start it with `{"jobId"}` once the job record exists. */
  public readonly stateMachine: StateMachine;
  /** Where `Transition Completed` / `Transition Failed` are put (source `framebridge`). */
  public readonly eventBus: IEventBus;
  /** The REST API, unless `api: false`. */
  public readonly api?: TransitionApi;
  /** The S3 intake, unless `intake: false`. */
  public readonly intake?: S3Intake;
  /** Every alarm of the pipeline (none with `alarms: false`). */
  public readonly alarms: IAlarm[];
  /** The pipeline's own bucket, unless one was passed in. */
  public readonly videoBucket?: VideoBucket;
  public readonly jobsTable: JobsTable;
  /** The API keys and their tenants (with the API only). */
  public readonly keysTable?: KeysTable;
  public readonly secrets: FramebridgeSecrets;
  public readonly workflow: TransitionWorkflow;
  /** Ends the jobs of executions that failed, timed out or were stopped, and announces them. */
  public readonly reconciler: Reconciler;

  constructor(scope: Construct, id: string, props: TransitionPipelineProps = {}) {
    super(scope, id);
    const config = validatePipelineProps(props);

    if (props.bucket) {
      this.bucket = props.bucket;
    } else {
      this.videoBucket = new VideoBucket(this, 'VideoBucket', { retentionDays: props.retentionDays });
      this.bucket = this.videoBucket.bucket;
    }
    this.jobsTable = new JobsTable(this, 'JobsTable', { removalPolicy: props.jobsTableRemovalPolicy });
    this.table = this.jobsTable.table;
    this.secrets = new FramebridgeSecrets(this, 'Secrets');
    this.workflow = new TransitionWorkflow(this, 'Workflow', {
      table: this.table,
      bucket: this.bucket,
      segmindApiKey: this.secrets.segmindApiKey,
      webhookSigningSecret: this.secrets.webhookSigningSecret,
      eventBus: props.eventBus,
      segmindBaseUrl: props.segmindBaseUrl,
      outputHosts: props.outputHosts,
      pollFirstSeconds: props.pollFirstSeconds,
      pollIntervalSeconds: props.pollIntervalSeconds,
      pollStrategy: props.pollStrategy,
      maxVideoBytes: props.maxVideoBytes,
      timeout: props.executionTimeout,
      upstreamRequestsPerMinute: props.upstreamRequestsPerMinute,
      upstreamConcurrency: props.upstreamConcurrency,
      maxCapacityWait: props.maxCapacityWait,
    });
    this.stateMachine = this.workflow.stateMachine;
    this.eventBus = this.workflow.eventBus;
    this.reconciler = new Reconciler(this, 'Reconciler', {
      stateMachine: this.stateMachine,
      table: this.table,
      cancellationTail: this.workflow.cancellationTail.stateMachine,
    });
    countJobFailures(this, 'Reconciler', this.reconciler.reconcileFunction);

    if (config.api) {
      this.keysTable = new KeysTable(this, 'KeysTable', { removalPolicy: props.keysTableRemovalPolicy });
      this.api = new TransitionApi(this, 'Api', {
        ...props.apiOptions,
        keysTable: this.keysTable.table,
        tenantLimits: props.tenantLimits,
        table: this.table,
        bucket: this.bucket,
        stateMachine: this.stateMachine,
        cancellationTail: this.workflow.cancellationTail.stateMachine,
      });
      setJobRetention(this.api.functions.createTransition, props.retentionDays);
      countJobFailures(this, 'CreateTransition', this.api.functions.createTransition);
    }
    if (config.intake) {
      this.intake = new S3Intake(this, 'Intake', {
        bucket: this.bucket,
        table: this.table,
        stateMachine: this.stateMachine,
        eventBus: this.eventBus,
        tenantLimits: props.tenantLimits,
        intakeTenant: props.intakeTenant,
        jobRetentionDays: props.retentionDays,
      });
      countJobFailures(this, 'IntakeManifest', this.intake.intakeFunction);
    }

    const builtIn = [
      this.workflow.failedAlarm,
      this.workflow.timedOutAlarm,
      this.workflow.webhookDelivery.deadWebhooksAlarm,
    ];
    const alarms = config.alarms ? [...builtIn, ...this.createAlarms()] : [];
    if (!config.alarms) {
      // The workflow always creates its alarms; with alarms off they leave the tree.
      for (const alarm of builtIn) alarm.node.scope?.node.tryRemoveChild(alarm.node.id);
    }
    if (props.alarmTopic) {
      const action = new SnsAction(props.alarmTopic);
      for (const alarm of alarms) alarm.addAlarmAction(action);
    }
    this.alarms = alarms;
  }

  /** The pipeline's own alarms, on top of the workflow's. */
  private createAlarms(): Alarm[] {
    const alarms = [
      alarmOnAny(
        this,
        'ExecutionsThrottledAlarm',
        'framebridge could not start or continue a transition: Step Functions throttled the state machine (StartExecution or state transitions over quota).',
        this.stateMachine.metricThrottled({ period: ALARM_PERIOD, statistic: 'Sum' }),
      ),
      alarmOnAny(
        this,
        'ReconcilerDeadLettersAlarm',
        'An ended execution could not be reconciled after the retries: its job may still look open. The event waits in the reconciler dead-letter queue (redrive it once the cause is fixed).',
        this.reconciler.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: ALARM_PERIOD,
          statistic: 'Maximum',
        }),
      ),
    ];
    if (this.intake) {
      alarms.push(
        alarmOnAny(
          this,
          'IntakeDeadLettersAlarm',
          'An inbox/ manifest or a job-ended event could not be handled after the retries; it waits in the intake dead-letter queue (redrive it once the cause is fixed).',
          this.intake.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: ALARM_PERIOD,
            statistic: 'Maximum',
          }),
        ),
      );
    }
    return alarms;
  }
}
