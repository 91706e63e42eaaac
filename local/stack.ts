import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { apiRoutesFromTemplate } from './apiRoutes';
import { apiKeyIdFor, startLocalApi } from './apiServer';
import { startLocalDynamo } from './dynamodb';
import { type EmulatorOptions, type SegmindEmulator, startSegmindEmulator } from './emulator/server';
import { invokeLambda } from './lambdaRuntime';
import { localS3Credentials, startLocalS3 } from './s3';
import { startStepFunctionsEndpoint } from './sfn/endpoint';
import { LocalStepFunctions, type TaskHandler } from './sfn/executions';
import { synthesizeTemplate } from './template';

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
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  apiKeys: string[];
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
  /** Extra Lambda environment (e.g. FRAMEBRIDGE_MAX_VIDEO_BYTES). */
  lambdaEnvironment?: Record<string, string>;
}

export interface LocalStack {
  endpoints: LocalEndpoints;
  stepFunctions: LocalStepFunctions;
  emulator?: SegmindEmulator;
  ownerOf: (apiKey: string) => string;
  close: () => Promise<void>;
}

const REGION = 'us-east-1';
const EMULATOR_KEY = 'emulator-key';
const BUCKET = 'framebridge-local';
const JOBS_TABLE = 'framebridge-jobs';
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:000000000000:stateMachine:framebridge-transition`;

const envNumber = (name: string): number | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
};

/**
 * Starts the same handlers and the same state machine definition on this
 * machine: s3rver, dynalite, the Segmind emulator (or the real Segmind), the
 * ASL from the synthesized template run by aws-local-stepfunctions, a Step
 * Functions endpoint, and the API. Handlers run in this process, configured
 * through the environment exactly as in Lambda — so one stack per process.
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
  await mkdir(dataDir, { recursive: true });

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const synthesized = await synthesizeTemplate();
    const s3 = await startLocalS3(path.join(dataDir, 's3'), BUCKET);
    closers.push(s3.close);
    const dynamo = await startLocalDynamo(
      { name: JOBS_TABLE, props: synthesized.jobsTableProperties },
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

    const stepFunctionsPort = { url: '' };
    const pollFirst =
      options.pollFirstSeconds ??
      envNumber('FRAMEBRIDGE_POLL_FIRST_S') ??
      (emulator ? Math.max(1, Math.round(emulatorLatency)) : undefined);
    const pollInterval =
      options.pollIntervalSeconds ?? envNumber('FRAMEBRIDGE_POLL_INTERVAL_S') ?? (emulator ? 1 : undefined);
    const lambdaEnv: Record<string, string | undefined> = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: localS3Credentials().accessKeyId,
      AWS_SECRET_ACCESS_KEY: localS3Credentials().secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      FRAMEBRIDGE_S3_FORCE_PATH_STYLE: '1',
      POWERTOOLS_LOG_LEVEL: process.env.FRAMEBRIDGE_LOG_LEVEL ?? 'WARN',
      POWERTOOLS_DEV: 'false',
      JOBS_TABLE_NAME: JOBS_TABLE,
      BUCKET_NAME: BUCKET,
      STATE_MACHINE_ARN: STATE_MACHINE_ARN,
      SEGMIND_BASE_URL: segmindUrl,
      SEGMIND_API_KEY: emulator ? EMULATOR_KEY : segmindApiKey,
      SEGMIND_API_KEY_SECRET_ARN: undefined,
      FRAMEBRIDGE_POLL_FIRST_S: pollFirst === undefined ? undefined : String(pollFirst),
      FRAMEBRIDGE_POLL_INTERVAL_S: pollInterval === undefined ? undefined : String(pollInterval),
      ...options.lambdaEnvironment,
    };

    const taskHandlers: Record<string, TaskHandler> = {};
    for (const [stateName, state] of Object.entries(synthesized.definition.States)) {
      if (state.Type !== 'Task') continue;
      const functionArn = (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName;
      const fn = functionArn ? synthesized.functionsByArn[functionArn] : undefined;
      if (!fn) throw new Error(`Task state "${stateName}" calls no function the template defines`);
      // The lambda:invoke integration's answer: the function's result under Payload.
      taskHandlers[stateName] = async (input) => {
        const payload = (input as { Payload?: unknown } | null)?.Payload ?? null;
        const result = await invokeLambda(fn.handler, fn.logicalId, payload, fn.timeoutSeconds * 1000);
        return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: result } as never;
      };
    }
    const stepFunctions = new LocalStepFunctions({
      stateMachineArn: STATE_MACHINE_ARN,
      definition: synthesized.definition as StateMachineDefinition,
      taskHandlers,
      retryIntervalMs: options.retryIntervalMs,
    });
    closers.push(() => stepFunctions.close());
    const sfnEndpoint = await startStepFunctionsEndpoint(stepFunctions);
    closers.push(sfnEndpoint.close);
    stepFunctionsPort.url = sfnEndpoint.url;
    lambdaEnv.AWS_ENDPOINT_URL_SFN = sfnEndpoint.url;

    for (const [name, value] of Object.entries(lambdaEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }

    const api = await startLocalApi({
      routes: apiRoutesFromTemplate(synthesized.template),
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
      bucket: BUCKET,
      jobsTable: JOBS_TABLE,
      stateMachineArn: STATE_MACHINE_ARN,
      region: REGION,
      credentials: localS3Credentials(),
      apiKeys,
    };
    await writeFile(path.join(dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
    return { endpoints, stepFunctions, emulator, ownerOf: apiKeyIdFor, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
