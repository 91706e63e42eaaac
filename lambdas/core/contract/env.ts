import * as z from 'zod/mini';
import '../zodMini';
import { commaList, optionalPositiveInt } from '../config';
import { tenantIdSchema } from '../tenants';
import { SEGMIND_DEFAULT_BASE_URL } from './names';

/**
 * Every environment variable a framebridge function reads, by name. Infra sets
 * them (each with its grant, in `bindings.ts`), the local stack fills them in,
 * and each handler parses its own set below at cold start.
 */
export const ENV = {
  jobsTable: 'JOBS_TABLE_NAME',
  keysTable: 'KEYS_TABLE_NAME',
  bucket: 'BUCKET_NAME',
  stateMachineArn: 'STATE_MACHINE_ARN',
  webhookStateMachineArn: 'WEBHOOK_STATE_MACHINE_ARN',
  cancellationTailArn: 'CANCELLATION_TAIL_ARN',
  segmindBaseUrl: 'SEGMIND_BASE_URL',
  segmindApiKey: 'SEGMIND_API_KEY',
  segmindApiKeySecretArn: 'SEGMIND_API_KEY_SECRET_ARN',
  webhookSecret: 'FRAMEBRIDGE_WEBHOOK_SECRET',
  webhookSecretArn: 'WEBHOOK_SECRET_ARN',
  pollFirst: 'FRAMEBRIDGE_POLL_FIRST_S',
  pollInterval: 'FRAMEBRIDGE_POLL_INTERVAL_S',
  pollDeadline: 'FRAMEBRIDGE_POLL_DEADLINE_S',
  pollStrategy: 'FRAMEBRIDGE_POLL_STRATEGY',
  outputHosts: 'FRAMEBRIDGE_OUTPUT_HOSTS',
  maxVideoBytes: 'FRAMEBRIDGE_MAX_VIDEO_BYTES',
  videoIdleTimeout: 'FRAMEBRIDGE_VIDEO_IDLE_TIMEOUT_S',
  resultUrlTtl: 'FRAMEBRIDGE_RESULT_URL_TTL_S',
  allowPrivateCallbacks: 'FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS',
  s3ForcePathStyle: 'FRAMEBRIDGE_S3_FORCE_PATH_STYLE',
  maxActiveJobs: 'FRAMEBRIDGE_MAX_ACTIVE_JOBS',
  maxJobsPerDay: 'FRAMEBRIDGE_MAX_JOBS_PER_DAY',
  intakeTenant: 'FRAMEBRIDGE_INTAKE_TENANT',
  jobRetentionDays: 'FRAMEBRIDGE_JOB_RETENTION_DAYS',
  upstreamRpm: 'FRAMEBRIDGE_UPSTREAM_RPM',
  upstreamConcurrency: 'FRAMEBRIDGE_UPSTREAM_CONCURRENCY',
  upstreamLease: 'FRAMEBRIDGE_UPSTREAM_LEASE_S',
  capacityWait: 'FRAMEBRIDGE_CAPACITY_WAIT_S',
  jobPollMs: 'FRAMEBRIDGE_JOB_POLL_MS',
  eventsHeartbeatMs: 'FRAMEBRIDGE_EVENTS_HEARTBEAT_MS',
  syncWait: 'FRAMEBRIDGE_SYNC_WAIT_S',
  syncMaxVideoBytes: 'FRAMEBRIDGE_SYNC_MAX_VIDEO_BYTES',
} as const;

/** Variables only an AWS deployment sets: the local stack drops them and sets their local twins. */
export const AWS_ONLY_ENV: readonly string[] = [ENV.segmindApiKeySecretArn, ENV.webhookSecretArn];

const name = z.string().check(z.minLength(1));

const jobsTable = { [ENV.jobsTable]: name };
const bucket = { [ENV.bucket]: name };
const stateMachine = { [ENV.stateMachineArn]: name };
const privateCallbacks = {
  /** The local development switch for private and plain-http webhook receivers; never set in AWS. */
  [ENV.allowPrivateCallbacks]: z.pipe(
    z.optional(z.enum(['0', '1', ''])),
    z.transform((value) => value === '1'),
  ),
};
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGNED_URL_TTL_S = 604_800;
const resultUrl = {
  /** Seconds a presigned video URL stays valid when minted for a client (1 s – 7 days). */
  [ENV.resultUrlTtl]: z.pipe(
    optionalPositiveInt.check(
      z.refine((value) => value === undefined || value <= MAX_PRESIGNED_URL_TTL_S, {
        error: `must be at most ${MAX_PRESIGNED_URL_TTL_S} seconds (7 days, the longest a presigned URL lives)`,
      }),
    ),
    z.transform((value) => value ?? 3600),
  ),
};
const poll = {
  [ENV.pollFirst]: optionalPositiveInt,
  [ENV.pollInterval]: optionalPositiveInt,
  /** Seconds after the execution started when polling gives up: the time budget's deadline, which the construct sets. */
  [ENV.pollDeadline]: optionalPositiveInt,
  /** `learning` (the default) learns from recent jobs; `static` keeps the fixed guess. */
  [ENV.pollStrategy]: z._default(z.enum(['learning', 'static'], { error: 'must be learning or static' }), 'learning'),
};
const segmindBaseUrl = {
  [ENV.segmindBaseUrl]: z._default(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    SEGMIND_DEFAULT_BASE_URL,
  ),
};

/** Segmind's base URL and where its key comes from: a secret in AWS, the environment locally. */
const segmind = z
  .object({
    ...segmindBaseUrl,
    [ENV.segmindApiKey]: z.optional(name),
    [ENV.segmindApiKeySecretArn]: z.optional(name),
  })
  .check(
    z.refine((env) => env.SEGMIND_API_KEY || env.SEGMIND_API_KEY_SECRET_ARN, {
      error: `set ${ENV.segmindApiKeySecretArn} (AWS) or ${ENV.segmindApiKey} (local)`,
      path: [ENV.segmindApiKeySecretArn],
    }),
  );

/** The webhook signing secret: a secret in AWS, the environment locally. */
const webhookSecret = z
  .object({ [ENV.webhookSecret]: z.optional(name), [ENV.webhookSecretArn]: z.optional(name) })
  .check(
    z.refine((env) => env.FRAMEBRIDGE_WEBHOOK_SECRET || env.WEBHOOK_SECRET_ARN, {
      error: `set ${ENV.webhookSecretArn} (AWS) or ${ENV.webhookSecret} (local)`,
      path: [ENV.webhookSecretArn],
    }),
  );

/** Every tenant's spend limits unless its key sets its own. */
const tenantLimitDefaults = {
  [ENV.maxActiveJobs]: z.pipe(
    optionalPositiveInt,
    z.transform((value) => value ?? 20),
  ),
  [ENV.maxJobsPerDay]: z.pipe(
    optionalPositiveInt,
    z.transform((value) => value ?? 1000),
  ),
};

/** Days a job record is kept before DynamoDB's TTL removes it (the pipeline's `retentionDays`). */
const jobRetention = {
  [ENV.jobRetentionDays]: z.pipe(
    optionalPositiveInt,
    z.transform((value) => value ?? 30),
  ),
};

/**
 * The deployment's upstream budget (`core/admission.ts`): requests per minute
 * (at least 2: the bucket keeps one of them for bursts), jobs in flight, and
 * how long an unrenewed slot stays taken.
 */
const upstreamBudget = {
  [ENV.upstreamRpm]: z.pipe(
    optionalPositiveInt.check(z.refine((value) => value === undefined || value >= 2, { error: 'must be at least 2' })),
    z.transform((value) => value ?? 50),
  ),
  [ENV.upstreamConcurrency]: z.pipe(
    optionalPositiveInt,
    z.transform((value) => value ?? 10),
  ),
  [ENV.upstreamLease]: z.pipe(
    optionalPositiveInt,
    z.transform((value) => value ?? 600),
  ),
};

/** What creates jobs (the API and the S3 intake) reads. */
const createJob = z.object({
  ...jobsTable,
  ...bucket,
  ...stateMachine,
  ...privateCallbacks,
  ...tenantLimitDefaults,
  ...jobRetention,
});

/** How often a handler that streams a job's progress re-reads the job (milliseconds, default 1 s). */
const jobPoll = {
  [ENV.jobPollMs]: z.pipe(
    optionalPositiveInt,
    z.transform((value) => value ?? 1000),
  ),
};

/**
 * Builds each schema on first use: a function parses only its own environment,
 * and building all of them at import would cost every cold start ~13 ms.
 */
function lazily<T extends Record<string, () => z.core.$ZodType>>(
  builders: T,
): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const built: Partial<Record<keyof T, z.core.$ZodType>> = {};
  const schemas = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const [name, build] of Object.entries(builders) as [keyof T, () => z.core.$ZodType][]) {
    Object.defineProperty(schemas, name, {
      enumerable: true,
      get: () => {
        built[name] ??= build();
        return built[name];
      },
    });
  }
  return schemas;
}

/** Each function's environment, by the name infra gives the function. */
export const FUNCTION_ENV = lazily({
  createTransition: () => createJob,
  getStatus: () => z.object(jobsTable),
  getResult: () => z.object({ ...jobsTable, ...bucket, ...resultUrl }),
  cancelRequest: () => z.object({ ...jobsTable, ...stateMachine, [ENV.cancellationTailArn]: z.optional(name) }),
  listRequests: () => z.object(jobsTable),
  createUpload: () => z.object(bucket),
  getOpenApi: () => z.object({}),
  streamEvents: () =>
    z.object({
      ...jobsTable,
      ...jobPoll,
      /** Milliseconds between SSE heartbeats (comment lines that keep proxies from closing an idle stream). */
      [ENV.eventsHeartbeatMs]: z.pipe(
        optionalPositiveInt,
        z.transform((value) => value ?? 15_000),
      ),
    }),
  syncTransition: () =>
    z.extend(createJob, {
      ...jobPoll,
      /** Seconds the route waits for the video before answering 202; never past the function's own time left. */
      [ENV.syncWait]: optionalPositiveInt,
      /** Largest video streamed in the answer; a larger one is answered 202 and fetched through the result URL. */
      [ENV.syncMaxVideoBytes]: optionalPositiveInt,
    }),
  getPlayground: () => z.object({}),
  submit: () =>
    z.intersection(
      z.object({
        ...jobsTable,
        ...bucket,
        ...poll,
        ...upstreamBudget,
        /** Seconds after the execution started when a job stops waiting for capacity: the time budget's, which the construct sets. */
        [ENV.capacityWait]: optionalPositiveInt,
      }),
      segmind,
    ),
  checkStatus: () => z.intersection(z.object({ ...jobsTable, ...poll, ...upstreamBudget }), segmind),
  copyToS3: () =>
    z.object({
      ...jobsTable,
      ...bucket,
      ...segmindBaseUrl,
      [ENV.outputHosts]: commaList,
      [ENV.maxVideoBytes]: optionalPositiveInt,
      /** Seconds without a byte before a download counts as stalled. */
      [ENV.videoIdleTimeout]: optionalPositiveInt,
    }),
  recordFailure: () => z.object(jobsTable),
  notify: () => z.object({ ...jobsTable, [ENV.webhookStateMachineArn]: name }),
  deliverWebhook: () =>
    z.intersection(
      z.object({
        ...jobsTable,
        // Set with the grant to presign the videos; the handler reads each video's bucket from its job.
        [ENV.bucket]: z.optional(name),
        ...resultUrl,
        ...privateCallbacks,
      }),
      webhookSecret,
    ),
  recordWebhookFailure: () => z.object(jobsTable),
  s3Manifest: () =>
    z.extend(createJob, {
      /** The tenant that owns (and is limited for) the jobs of dropped manifests. */
      [ENV.intakeTenant]: z._default(tenantIdSchema, 'intake'),
    }),
  authorizer: () => z.object({ [ENV.keysTable]: name }),
  // The secret to initialise arrives as a custom resource property.
  initWebhookSecret: () => z.object({}),
  writeOutbox: () => z.object({ ...jobsTable, ...bucket }),
  /** Ends the job of an execution that failed, timed out or was stopped, and announces it. */
  reconcileExecution: () => z.object({ ...jobsTable, [ENV.cancellationTailArn]: name }),
});

export type FunctionName = keyof typeof FUNCTION_ENV;

/** Shared by every function's SDK clients: s3rver serves path-style only; real S3 prefers virtual-hosted style. */
export const CLIENT_ENV = z.object({ [ENV.s3ForcePathStyle]: z._default(z.enum(['0', '1']), '0') });
