import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ENV, SEGMIND_DEFAULT_BASE_URL } from '../lambdas/core/contract';
import { tenantOfBareKey } from '../lambdas/core/tenants';
import { apiRoutesFromTemplate } from './apiRoutes';
import { startLocalApi } from './apiServer';
import { startLocalDynamo } from './dynamodb';
import { withFailureTags } from './emulator/failureTags';
import { type EmulatorOptions, type SegmindEmulator, startSegmindEmulator } from './emulator/server';
import { LocalEventBus } from './eventBus';
import { seedApiKeys } from './keys';
import { applyEnvironment, localLambdaEnvironment } from './lambdaEnvironment';
import { invokeLambda, type LambdaUsage, lambdaUsage } from './lambdaRuntime';
import { localS3Credentials, type S3FaultPlan, startLocalS3 } from './s3';
import { forwardS3Events } from './s3Events';
import { startStepFunctionsEndpoint } from './sfn/endpoint';
import type { LocalStepFunctions } from './sfn/executions';
import type { StateMachineRegistry } from './sfn/registry';
import { startStateMachines } from './sfn/stateMachines';
import type { TaskFaultPlan } from './taskHandlers';
import { type LocalTemplate, synthesizeTemplate } from './template';

/** Everything a tool needs to talk to the local stack; also written to `<data dir>/endpoints.json`. */
export interface LocalEndpoints {
  apiUrl: string;
  s3Url: string;
  stepFunctionsUrl: string;
  dynamoDbUrl: string;
  segmindUrl: string;
  segmindIsEmulator: boolean;
  bucket: string;
  jobsTable: string;
  /** API keys and their tenants (`framebridge keys` manages them). */
  keysTable: string;
  stateMachineArn: string;
  stateMachineArns: string[];
  eventBus: string;
  eventsFile: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The development keys, without their tenants. */
  apiKeys: string[];
  /** Verifies webhook signatures (Standard Webhooks `whsec_…`). */
  webhookSecret: string;
}

export interface LocalStackOptions {
  /** API port; 0 picks a free one. @default FRAMEBRIDGE_PORT or 3000 */
  port?: number;
  /** @default FRAMEBRIDGE_DATA_DIR or `.framebridge/` */
  dataDir?: string;
  /** `key` (its own tenant) or `tenant:key` entries. @default FRAMEBRIDGE_API_KEYS or `local-dev-key` */
  apiKeys?: string[];
  /** The real Segmind when set. @default SEGMIND_API_KEY */
  segmindApiKey?: string;
  /** @default SEGMIND_BASE_URL or Segmind's own API */
  segmindBaseUrl?: string;
  /** Emulator settings (only without a Segmind key). A `scenario` given here wins over the `[emulate:…]` prompt tags. */
  emulator?: Partial<Omit<EmulatorOptions, 'workDir'>>;
  /** Poll plan overrides. @default with the emulator and `emulatorPollShortcut`: first wait = its latency, then every second */
  pollFirstSeconds?: number;
  pollIntervalSeconds?: number;
  /**
   * With the emulator, poll on a shortcut (first wait = the emulator's latency,
   * then every second) so that tests finish fast; false runs the workflow's own
   * poll plan untouched, as against the real Segmind (benchmarks).
   * @default true
   */
  emulatorPollShortcut?: boolean;
  /** Replace every Retry interval with this many ms (tests). */
  retryIntervalMs?: number;
  /** @default FRAMEBRIDGE_WEBHOOK_SECRET or a generated `whsec_` secret */
  webhookSecret?: string;
  /** Extra Lambda environment (e.g. FRAMEBRIDGE_MAX_VIDEO_BYTES). */
  lambdaEnvironment?: Record<string, string>;
  /** Injects Lambda service failures around tasks (tests). */
  taskFault?: TaskFaultPlan;
  /** Makes S3 answer matching requests with an error status (tests). */
  s3Fault?: S3FaultPlan;
  /** Replaces the transition workflow's TimeoutSeconds (tests: an execution that times out). */
  executionTimeoutSeconds?: number;
}

export interface LocalStack {
  endpoints: LocalEndpoints;
  /** The transition workflow. */
  stepFunctions: LocalStepFunctions;
  /** Every state machine of the template, by ARN. */
  stateMachines: StateMachineRegistry;
  eventBus: LocalEventBus;
  emulator?: SegmindEmulator;
  template: LocalTemplate;
  /** Where `endpoints.json` was written (in the data directory). */
  endpointsFile: string;
  /** The tenant a development key belongs to (the owner of the jobs it creates). */
  ownerOf: (apiKey: string) => string;
  /** Resolves once no execution runs and no event delivery is in flight. */
  idle: () => Promise<void>;
  /** Every function's invocations and handler run time so far, by logical id (the process's, so the stack's). */
  lambdaUsage: () => Record<string, LambdaUsage>;
  close: () => Promise<void>;
}

const REGION = 'us-east-1';
const ACCOUNT_ID = '000000000000';
/** The key the local stack's emulator requires (x-api-key). */
export const EMULATOR_KEY = 'emulator-key';
const LOCAL_NAMES = {
  bucket: 'framebridge-local',
  jobsTable: 'framebridge-jobs',
  keysTable: 'framebridge-keys',
  transitionStateMachine: 'framebridge-transition',
  eventBus: 'framebridge-events',
};

const envNumber = (name: string): number | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
};

type Closers = (() => Promise<void>)[];

/** The options, filled in from the environment and defaults. */
function settingsOf(options: LocalStackOptions) {
  const dataDir = path.resolve(options.dataDir ?? process.env.FRAMEBRIDGE_DATA_DIR ?? '.framebridge');
  const apiKeys =
    options.apiKeys ??
    (process.env.FRAMEBRIDGE_API_KEYS ?? 'local-dev-key')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
  const segmindApiKey = options.segmindApiKey ?? process.env[ENV.segmindApiKey];
  const webhookSecret =
    options.webhookSecret ?? process.env[ENV.webhookSecret] ?? `whsec_${randomBytes(24).toString('base64')}`;
  return { dataDir, apiKeys, segmindApiKey, webhookSecret, eventsFile: path.join(dataDir, 'events.jsonl') };
}

/**
 * The real Segmind when there is a key, else the emulator; `emulatorLatency` is
 * its latency in seconds (the median of a latency distribution).
 */
async function startSegmind(options: LocalStackOptions, segmindApiKey: string | undefined, dataDir: string) {
  const segmindUrl = options.segmindBaseUrl ?? process.env[ENV.segmindBaseUrl] ?? SEGMIND_DEFAULT_BASE_URL;
  const fixedLatency = options.emulator?.latencySeconds ?? envNumber('FRAMEBRIDGE_EMULATOR_LATENCY_S') ?? 4;
  const distribution = options.emulator?.latency;
  const emulatorLatency = distribution && typeof distribution !== 'function' ? distribution.median : fixedLatency;
  if (segmindApiKey) return { emulator: undefined, segmindUrl, emulatorLatency };
  const emulator = await startSegmindEmulator({
    apiKey: EMULATOR_KEY,
    latencySeconds: fixedLatency,
    ...options.emulator,
    // The `[emulate:…]` prompt tags of emulator/failureTags.ts; a test's own scenario takes precedence.
    scenario: withFailureTags(options.emulator?.scenario),
    workDir: path.join(dataDir, 'emulator'),
  });
  return { emulator, segmindUrl: emulator.url, emulatorLatency };
}

/** The overrides when set; else, on the emulator's shortcut, its latency first, then every second. */
function pollPlan(options: LocalStackOptions, emulator: SegmindEmulator | undefined, emulatorLatency: number) {
  const shortcut = emulator !== undefined && options.emulatorPollShortcut !== false;
  const pollFirstSeconds =
    options.pollFirstSeconds ??
    envNumber(ENV.pollFirst) ??
    (shortcut ? Math.max(1, Math.round(emulatorLatency)) : undefined);
  const pollIntervalSeconds = options.pollIntervalSeconds ?? envNumber(ENV.pollInterval) ?? (shortcut ? 1 : undefined);
  return { pollFirstSeconds, pollIntervalSeconds };
}

/** The emulator accepts this many requests a minute unless told otherwise, so the budget need not be Segmind's. */
const EMULATOR_DEFAULT_BUDGET = { requestsPerMinute: 6000, concurrency: 100 };

/**
 * The deployment's upstream budget: the environment's when set, else what the
 * emulator enforces (its own limits, or a generous default when it has none).
 * Against the real Segmind the handlers' defaults apply, as in AWS.
 */
function upstreamBudget(options: LocalStackOptions, emulator: SegmindEmulator | undefined): Record<string, string> {
  if (!emulator) return {};
  return {
    [ENV.upstreamRpm]:
      process.env[ENV.upstreamRpm] ??
      String(options.emulator?.requestsPerMinute ?? EMULATOR_DEFAULT_BUDGET.requestsPerMinute),
    [ENV.upstreamConcurrency]:
      process.env[ENV.upstreamConcurrency] ??
      String(options.emulator?.maxConcurrentJobs ?? EMULATOR_DEFAULT_BUDGET.concurrency),
  };
}

/** Starts the services the handlers call and points the handlers at them. */
async function startServices(options: LocalStackOptions, settings: ReturnType<typeof settingsOf>, closers: Closers) {
  const { dataDir, segmindApiKey, webhookSecret, eventsFile } = settings;
  const template = await synthesizeTemplate(LOCAL_NAMES, REGION, ACCOUNT_ID);
  const s3 = await startLocalS3(path.join(dataDir, 's3'), LOCAL_NAMES.bucket);
  s3.injectFaults(options.s3Fault);
  closers.push(s3.close);
  const dynamo = await startLocalDynamo(template.tables, localS3Credentials());
  closers.push(dynamo.close);

  const { emulator, segmindUrl, emulatorLatency } = await startSegmind(options, segmindApiKey, dataDir);
  if (emulator) closers.push(() => emulator.close());

  const eventBus = new LocalEventBus(template.rules, invokeLambda, {
    region: REGION,
    accountId: ACCOUNT_ID,
    eventsFile,
    onError: (error) => process.stderr.write(`local event delivery failed: ${String(error)}\n`),
  });
  closers.push(() => eventBus.idle());
  const registry = startStateMachines(template, eventBus, options);
  closers.push(() => registry.close());
  const sfnEndpoint = await startStepFunctionsEndpoint(registry);
  closers.push(sfnEndpoint.close);

  applyEnvironment(
    localLambdaEnvironment(template, {
      region: REGION,
      credentials: localS3Credentials(),
      s3Url: s3.url,
      dynamoDbUrl: dynamo.url,
      stepFunctionsUrl: sfnEndpoint.url,
      segmindUrl,
      segmindApiKey: emulator ? EMULATOR_KEY : segmindApiKey,
      webhookSecret,
      ...pollPlan(options, emulator, emulatorLatency),
      extra: { ...upstreamBudget(options, emulator), ...options.lambdaEnvironment },
    }),
  );
  forwardS3Events(s3.server, eventBus);
  return { template, s3, dynamo, emulator, segmindUrl, eventBus, registry, sfnEndpoint };
}

/**
 * Starts the same handlers and the same definitions on this machine: s3rver,
 * dynalite, the Segmind emulator (or the real Segmind), every state machine of
 * the synthesized template run by aws-local-stepfunctions behind a Step
 * Functions endpoint, the template's EventBridge rules, and the API. Handlers
 * run in this process, configured through the environment exactly as in
 * Lambda — so one stack per process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const settings = settingsOf(options);
  const { dataDir, apiKeys, webhookSecret, eventsFile } = settings;
  await mkdir(dataDir, { recursive: true });

  const closers: Closers = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const services = await startServices(options, settings, closers);
    const { template, emulator, eventBus, registry } = services;
    const connection = {
      dynamoDbUrl: services.dynamo.url,
      region: REGION,
      credentials: localS3Credentials(),
      keysTable: LOCAL_NAMES.keysTable,
    };
    const tenantOfKey = await seedApiKeys(connection, apiKeys);
    const api = await startLocalApi({
      routes: apiRoutesFromTemplate(template.template),
      port: options.port ?? envNumber('FRAMEBRIDGE_PORT') ?? 3000,
    });
    closers.push(api.close);

    const endpoints: LocalEndpoints = {
      apiUrl: api.url,
      s3Url: services.s3.url,
      stepFunctionsUrl: services.sfnEndpoint.url,
      dynamoDbUrl: services.dynamo.url,
      segmindUrl: services.segmindUrl,
      segmindIsEmulator: Boolean(emulator),
      bucket: LOCAL_NAMES.bucket,
      jobsTable: LOCAL_NAMES.jobsTable,
      keysTable: LOCAL_NAMES.keysTable,
      stateMachineArn: template.mainStateMachineArn,
      stateMachineArns: template.stateMachines.map((machine) => machine.arn),
      eventBus: LOCAL_NAMES.eventBus,
      eventsFile,
      region: REGION,
      credentials: localS3Credentials(),
      apiKeys: [...tenantOfKey.keys()],
      webhookSecret,
    };
    const endpointsFile = path.join(dataDir, 'endpoints.json');
    await writeFile(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`);
    const idle = async () => {
      // Executions put events and events start executions: settle until both are quiet.
      for (let round = 0; round < 10; round++) {
        await registry.idle();
        await eventBus.idle();
      }
    };
    return {
      endpoints,
      stepFunctions: registry.machine(template.mainStateMachineArn),
      stateMachines: registry,
      eventBus,
      emulator,
      template,
      endpointsFile,
      ownerOf: (apiKey) => tenantOfKey.get(apiKey) ?? tenantOfBareKey(apiKey),
      idle,
      lambdaUsage,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
