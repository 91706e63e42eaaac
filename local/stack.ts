import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { apiRoutesFromTemplate } from './apiRoutes';
import { apiKeyIdFor, startLocalApi } from './apiServer';
import { startLocalDynamo } from './dynamodb';
import { type EmulatorOptions, type SegmindEmulator, startSegmindEmulator } from './emulator/server';
import { LocalEventBus } from './eventBus';
import { invokeLambda } from './lambdaRuntime';
import { localS3Credentials, type S3FaultPlan, startLocalS3 } from './s3';
import { forwardS3Events } from './s3Events';
import { startStepFunctionsEndpoint } from './sfn/endpoint';
import { LocalStepFunctions } from './sfn/executions';
import { StateMachineRegistry } from './sfn/registry';
import { type TaskFaultPlan, taskHandlersFor } from './taskHandlers';
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
  stateMachineArn: string;
  stateMachineArns: string[];
  eventBus: string;
  eventsFile: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  apiKeys: string[];
  /** Verifies webhook signatures (Standard Webhooks `whsec_…`). */
  webhookSecret: string;
}

export interface LocalStackOptions {
  /** API port; 0 picks a free one. @default FRAMEBRIDGE_PORT or 3000 */
  port?: number;
  /** @default FRAMEBRIDGE_DATA_DIR or `.framebridge/` */
  dataDir?: string;
  /** @default FRAMEBRIDGE_API_KEYS or `local-dev-key` */
  apiKeys?: string[];
  /** The real Segmind when set. @default SEGMIND_API_KEY */
  segmindApiKey?: string;
  /** @default SEGMIND_BASE_URL or https://api.segmind.com */
  segmindBaseUrl?: string;
  /** Emulator settings (only without a Segmind key). */
  emulator?: Partial<Omit<EmulatorOptions, 'workDir'>>;
  /** Poll plan overrides. @default with the emulator: first wait = its latency, then every second */
  pollFirstSeconds?: number;
  pollIntervalSeconds?: number;
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
  ownerOf: (apiKey: string) => string;
  /** Resolves once no execution runs and no event delivery is in flight. */
  idle: () => Promise<void>;
  close: () => Promise<void>;
}

const REGION = 'us-east-1';
const ACCOUNT_ID = '000000000000';
const EMULATOR_KEY = 'emulator-key';
const LOCAL_NAMES = {
  bucket: 'framebridge-local',
  jobsTable: 'framebridge-jobs',
  transitionStateMachine: 'framebridge-transition',
  eventBus: 'framebridge-events',
};
/** Variables that only make sense in AWS: locally the values come from the environment instead. */
const AWS_ONLY_VARIABLES = new Set(['SEGMIND_API_KEY_SECRET_ARN', 'WEBHOOK_SECRET_ARN', 'NODE_OPTIONS']);

const envNumber = (name: string): number | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
};

/** The union of every function's environment from the template; two functions may not disagree. */
function templateEnvironment(template: LocalTemplate): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const fn of Object.values(template.functionsByArn)) {
    for (const [name, value] of Object.entries(fn.environment)) {
      if (AWS_ONLY_VARIABLES.has(name)) continue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (merged[name] !== undefined && merged[name] !== text) {
        throw new Error(
          `Functions disagree on ${name} (${merged[name]} vs ${text}); the local stack shares one environment`,
        );
      }
      merged[name] = text;
    }
  }
  return merged;
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
  const dataDir = path.resolve(options.dataDir ?? process.env.FRAMEBRIDGE_DATA_DIR ?? '.framebridge');
  const apiKeys =
    options.apiKeys ??
    (process.env.FRAMEBRIDGE_API_KEYS ?? 'local-dev-key')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
  const segmindApiKey = options.segmindApiKey ?? process.env.SEGMIND_API_KEY;
  const webhookSecret =
    options.webhookSecret ?? process.env.FRAMEBRIDGE_WEBHOOK_SECRET ?? `whsec_${randomBytes(24).toString('base64')}`;
  const eventsFile = path.join(dataDir, 'events.jsonl');
  await mkdir(dataDir, { recursive: true });

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const template = await synthesizeTemplate(LOCAL_NAMES, REGION, ACCOUNT_ID);
    const s3 = await startLocalS3(path.join(dataDir, 's3'), LOCAL_NAMES.bucket);
    s3.injectFaults(options.s3Fault);
    closers.push(s3.close);
    const dynamo = await startLocalDynamo(
      { name: LOCAL_NAMES.jobsTable, props: template.jobsTableProperties },
      localS3Credentials(),
    );
    closers.push(dynamo.close);

    let emulator: SegmindEmulator | undefined;
    let segmindUrl = options.segmindBaseUrl ?? process.env.SEGMIND_BASE_URL ?? 'https://api.segmind.com';
    const emulatorLatency = options.emulator?.latencySeconds ?? envNumber('FRAMEBRIDGE_EMULATOR_LATENCY_S') ?? 4;
    if (!segmindApiKey) {
      emulator = await startSegmindEmulator({
        apiKey: EMULATOR_KEY,
        latencySeconds: emulatorLatency,
        ...options.emulator,
        workDir: path.join(dataDir, 'emulator'),
      });
      closers.push(() => emulator?.close() ?? Promise.resolve());
      segmindUrl = emulator.url;
    }

    const eventBus = new LocalEventBus(template.rules, invokeLambda, {
      region: REGION,
      accountId: ACCOUNT_ID,
      eventsFile,
      onError: (error) => process.stderr.write(`local event delivery failed: ${String(error)}\n`),
    });
    closers.push(() => eventBus.idle());
    const registry = new StateMachineRegistry();
    for (const machine of template.stateMachines) {
      registry.add(
        new LocalStepFunctions({
          stateMachineArn: machine.arn,
          definition: machine.definition as unknown as StateMachineDefinition,
          taskHandlers: taskHandlersFor(machine, template, {
            eventBus,
            stateMachines: registry,
            taskFault: options.taskFault,
          }),
          retryIntervalMs: options.retryIntervalMs,
        }),
      );
    }
    closers.push(() => registry.close());
    const sfnEndpoint = await startStepFunctionsEndpoint(registry);
    closers.push(sfnEndpoint.close);

    const pollFirst =
      options.pollFirstSeconds ??
      envNumber('FRAMEBRIDGE_POLL_FIRST_S') ??
      (emulator ? Math.max(1, Math.round(emulatorLatency)) : undefined);
    const pollInterval =
      options.pollIntervalSeconds ?? envNumber('FRAMEBRIDGE_POLL_INTERVAL_S') ?? (emulator ? 1 : undefined);
    const credentials = localS3Credentials();
    const lambdaEnv: Record<string, string | undefined> = {
      ...templateEnvironment(template),
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_SFN: sfnEndpoint.url,
      FRAMEBRIDGE_S3_FORCE_PATH_STYLE: '1',
      POWERTOOLS_LOG_LEVEL: process.env.FRAMEBRIDGE_LOG_LEVEL ?? 'WARN',
      POWERTOOLS_DEV: 'false',
      SEGMIND_BASE_URL: segmindUrl,
      SEGMIND_API_KEY: emulator ? EMULATOR_KEY : segmindApiKey,
      FRAMEBRIDGE_WEBHOOK_SECRET: webhookSecret,
      FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS: process.env.FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS ?? '1',
      FRAMEBRIDGE_POLL_FIRST_S: pollFirst === undefined ? undefined : String(pollFirst),
      FRAMEBRIDGE_POLL_INTERVAL_S: pollInterval === undefined ? undefined : String(pollInterval),
      ...options.lambdaEnvironment,
    };
    for (const [name, value] of Object.entries(lambdaEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }

    forwardS3Events(s3.server, eventBus);

    const api = await startLocalApi({
      routes: apiRoutesFromTemplate(template.template),
      apiKeys,
      port: options.port ?? envNumber('FRAMEBRIDGE_PORT') ?? 3000,
    });
    closers.push(api.close);

    const endpoints: LocalEndpoints = {
      apiUrl: api.url,
      s3Url: s3.url,
      stepFunctionsUrl: sfnEndpoint.url,
      dynamoDbUrl: dynamo.url,
      segmindUrl,
      segmindIsEmulator: Boolean(emulator),
      bucket: LOCAL_NAMES.bucket,
      jobsTable: LOCAL_NAMES.jobsTable,
      stateMachineArn: template.mainStateMachineArn,
      stateMachineArns: template.stateMachines.map((machine) => machine.arn),
      eventBus: LOCAL_NAMES.eventBus,
      eventsFile,
      region: REGION,
      credentials: localS3Credentials(),
      apiKeys,
      webhookSecret,
    };
    await writeFile(path.join(dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
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
      ownerOf: apiKeyIdFor,
      idle,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
