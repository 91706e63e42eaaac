import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/contract/env';
import { TRANSITION_DETAIL_TYPES, TRANSITION_EVENT_SOURCE } from '../../lambdas/core/contract/events';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
// The handlers' own prefixes: the rule and the grants cannot drift from them.
import { INBOX_PREFIX, OUTBOX_PREFIX } from '../../lambdas/core/manifest';
import { type TenantLimits, tenantIdSchema } from '../../lambdas/core/tenants';
import {
  bindBucketObjects,
  bindJobsTable,
  bindStateMachineStart,
  setJobRetention,
  setTenantLimitDefaults,
} from './bindings';
import { deadLetterQueue } from './deadLetterQueue';
import { TransitionFunction } from './transitionFunction';

export interface S3IntakeProps {
  /**
   * The bucket whose `inbox/` takes manifests and whose `outbox/` gets the
   * results. It must send its events to EventBridge (`eventBridgeEnabled`).
   */
  readonly bucket: IBucket;
  /** The jobs table. */
  readonly table: ITable;
  /** The transition workflow each accepted manifest starts. */
  readonly stateMachine: IStateMachine;
  /** The bus the workflow puts `Transition Completed` / `Transition Failed` on. */
  readonly eventBus: IEventBus;
  /**
   * Times EventBridge retries a failed delivery to either function before the
   * event goes to the dead-letter queue (0–185).
   * @default 4
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying one event (1 minute – 24 hours).
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
  /**
   * Times Lambda retries either function after it threw (0–2), before the event
   * goes to the dead-letter queue. EventBridge invokes the functions
   * asynchronously: its own retries and DLQ cover delivery only.
   * @default 2
   */
  readonly handlerRetryAttempts?: number;
  /**
   * How long Lambda keeps an event for the function's retries (1 minute – 6 hours).
   * @default Duration.hours(2)
   */
  readonly handlerMaxEventAge?: Duration;
  /**
   * Days a job record made from a manifest is kept.
   * @default - the handler's: 30
   */
  readonly jobRetentionDays?: number;
  /**
   * The tenant that owns the intake's jobs, held to that tenant's limits.
   * @default 'intake'
   */
  readonly intakeTenant?: string;
  /**
   * Spend limits of the intake's tenant.
   * @default - the handler's: 20 active jobs, 1000 jobs per UTC day
   */
  readonly tenantLimits?: TenantLimits;
}

/**
 * The S3 door: `inbox/*.json` → Object Created (default bus) → the intake
 * function, which starts a job once per object version; the job's end event
 * (pipeline bus) → the outbox function, which writes `outbox/<name>.mp4` +
 * `.json`, or `.error.json`. Events that still fail after the retries — of
 * EventBridge's delivery, or of a function that threw — are kept in one
 * dead-letter queue.
 */
export class S3Intake extends Construct {
  /** Reads `inbox/*.json` and starts the job. */
  public readonly intakeFunction: TransitionFunction;
  /** Writes `outbox/<name>.*` when a job started from a manifest ends. */
  public readonly outboxFunction: TransitionFunction;
  /** Default bus: `Object Created` under `inbox/` of the bucket. */
  public readonly manifestRule: Rule;
  /** Pipeline bus: `Transition Completed` / `Transition Failed`. */
  public readonly transitionEndedRule: Rule;
  /**
   * Events neither function could handle after the retries: EventBridge's
   * undeliverable events, and Lambda's failure records (`requestPayload` = the event).
   */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: S3IntakeProps) {
    super(scope, id);
    const { delivery, handlerRetries } = validateIntakeProps(props);

    this.deadLetterQueue = deadLetterQueue(
      this,
      'the intake and outbox functions (EventBridge targets and Lambda on-failure destination)',
    );

    this.intakeFunction = createManifestFunction(this, props);
    this.outboxFunction = createOutboxFunction(this, props);
    for (const fn of [this.intakeFunction, this.outboxFunction]) {
      fn.configureAsyncInvoke({ ...handlerRetries, onFailure: new SqsDestination(this.deadLetterQueue) });
    }

    const target = (fn: TransitionFunction) =>
      new LambdaFunction(fn, { ...delivery, deadLetterQueue: this.deadLetterQueue });

    // The suffix `.json` is checked by the handler: EventBridge ORs the entries of
    // one field's list, so `[prefix, suffix]` would also match `outbox/x.json`.
    this.manifestRule = new Rule(this, 'ManifestCreatedRule', {
      description: 'framebridge S3 intake: objects created under inbox/ of the video bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: Match.prefix(INBOX_PREFIX) },
        },
      },
      targets: [target(this.intakeFunction)],
    });

    this.transitionEndedRule = new Rule(this, 'TransitionEndedRule', {
      description: 'framebridge S3 intake: a transition ended; answer its manifest in outbox/',
      eventBus: props.eventBus,
      eventPattern: {
        source: [TRANSITION_EVENT_SOURCE],
        detailType: [TRANSITION_DETAIL_TYPES.completed, TRANSITION_DETAIL_TYPES.failed],
      },
      targets: [target(this.outboxFunction)],
    });
  }
}

type Retries = { retryAttempts: number; maxEventAge: Duration };

/**
 * The props, each refusal naming the prop and its bounds: EventBridge's
 * delivery retries (`delivery`) and Lambda's retries of a function that threw.
 */
function validateIntakeProps(props: S3IntakeProps): { delivery: Retries; handlerRetries: Retries } {
  const retries = (what: 'retryAttempts' | 'handlerRetryAttempts', value: number, max: number) => {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new Error(`S3Intake: ${what} must be a whole number between 0 and ${max}, got ${value}.`);
    }
    return value;
  };
  const age = (what: 'maxEventAge' | 'handlerMaxEventAge', value: Duration, maxHours: number) => {
    if (value.isUnresolved() || value.toSeconds() < 60 || value.toSeconds() > maxHours * 3600) {
      throw new Error(
        `S3Intake: ${what} must be a concrete duration between 1 minute and ${maxHours} hours, got ${value.toHumanString()}.`,
      );
    }
    return value;
  };
  if (props.intakeTenant !== undefined && !tenantIdSchema.safeParse(props.intakeTenant).success) {
    throw new Error(
      `S3Intake: intakeTenant must be 1–63 lower-case letters, digits, '-' or '_', starting with a letter or digit, got '${props.intakeTenant}'.`,
    );
  }
  const days = props.jobRetentionDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
    throw new Error(`S3Intake: jobRetentionDays must be a whole number of days ≥ 1, got ${days}.`);
  }
  return {
    delivery: {
      retryAttempts: retries('retryAttempts', props.retryAttempts ?? 4, 185),
      maxEventAge: age('maxEventAge', props.maxEventAge ?? Duration.hours(2), 24),
    },
    handlerRetries: {
      retryAttempts: retries('handlerRetryAttempts', props.handlerRetryAttempts ?? 2, 2),
      maxEventAge: age('handlerMaxEventAge', props.handlerMaxEventAge ?? Duration.hours(2), 6),
    },
  };
}

/** Starts the job of a manifest dropped in inbox/, or answers why not in outbox/. */
function createManifestFunction(scope: Construct, props: S3IntakeProps): TransitionFunction {
  const fn = new TransitionFunction(scope, 'ManifestFunction', {
    entry: FUNCTION_ENTRIES.s3Manifest,
    description: 'inbox/*.json → validates the manifest and starts its job, once per object version',
    timeout: Duration.seconds(30),
  });
  bindJobsTable(fn, props.table, 'create');
  bindStateMachineStart(fn, props.stateMachine);
  setTenantLimitDefaults(fn, props.tenantLimits);
  setJobRetention(fn, props.jobRetentionDays);
  if (props.intakeTenant !== undefined) fn.addEnvironment(ENV.intakeTenant, props.intakeTenant);
  bindBucketObjects(fn, props.bucket, {
    actions: ['s3:GetObject'],
    keyPattern: `${INBOX_PREFIX}*`,
    reason:
      'Reads the manifests users drop in inbox/ and checks (HeadObject) the frames they name there; manifest names are only known at run time, and only inbox/ is readable.',
  });
  bindBucketObjects(fn, props.bucket, {
    actions: ['s3:PutObject'],
    keyPattern: `${OUTBOX_PREFIX}*`,
    reason:
      'Writes outbox/<name>.error.json for a manifest that cannot start a job; names mirror the manifests, only known at run time, and only outbox/ (which never triggers intake) is writable.',
  });
  return fn;
}

/** Answers a manifest's job in outbox/ when it ends. */
function createOutboxFunction(scope: Construct, props: S3IntakeProps): TransitionFunction {
  const fn = new TransitionFunction(scope, 'OutboxFunction', {
    entry: FUNCTION_ENTRIES.writeOutbox,
    description: 'A job started from a manifest ended → outbox/<name>.mp4 + .json, or .error.json',
    timeout: Duration.seconds(60),
  });
  bindJobsTable(fn, props.table, 'read');
  bindBucketObjects(fn, props.bucket, {
    actions: ['s3:GetObject'],
    keyPattern: 'jobs/*',
    reason:
      'Source of the server-side copy jobs/{id}/video.mp4 → outbox/<name>.mp4; job ids are only known at run time, and the grant is read only.',
  });
  bindBucketObjects(fn, props.bucket, {
    actions: ['s3:PutObject'],
    keyPattern: `${OUTBOX_PREFIX}*`,
    reason:
      'Writes outbox/<name>.mp4 (server-side copy), outbox/<name>.json and outbox/<name>.error.json; names mirror the manifests, only known at run time.',
  });
  return fn;
}
