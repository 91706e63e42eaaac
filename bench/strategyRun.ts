/**
 * One poll strategy on its own local stack: submits a scripted set of jobs
 * through the API at scripted times to an emulator whose per-job latencies are
 * scripted too, waits for every job to end, and measures what the strategy
 * cost. Strategies are selected through the Lambda environment, which is
 * process-wide, so `pollStrategies.ts` runs each in its own child process:
 *
 *   node --import tsx bench/strategyRun.ts '<StrategyRunConfig as JSON>'
 *
 * prints `ready` once warm, starts the jobs when a line arrives on stdin, and
 * at the end prints one `StrategyRow` as JSON on stdout (logs go to stderr).
 */

import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import * as z from 'zod';
import { ENV } from '../lambdas/core/contract';
import { apiRoutesFromTemplate } from '../local/apiRoutes';
import { localS3Client, uploadExampleFrames } from '../local/clients';
import type { JobTiming, SegmindEmulator } from '../local/emulator/server';
import { type LambdaUsage, loadHandler } from '../local/lambdaRuntime';
import { EMULATOR_KEY, type LocalStack, type LocalStackOptions, startLocalStack } from '../local/stack';

export const STRATEGIES = ['learning', 'static', 'fixed-2s', 'fixed-1s', 'fixed-10s'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export type Budget = 'ample' | 'tight';

export const strategyRunConfigSchema = z.object({
  strategy: z.enum(STRATEGIES),
  budget: z.enum(['ample', 'tight']),
  /** The deployment's upstream budget (FRAMEBRIDGE_UPSTREAM_RPM / _CONCURRENCY). */
  requestsPerMinute: z.int().positive(),
  concurrency: z.int().positive(),
  /** Job i is submitted `arrivalSeconds[i]` after the first. */
  arrivalSeconds: z.array(z.number().nonnegative()).min(1),
  /** Job i takes the emulator `latencySeconds[i]`, submit → COMPLETED. */
  latencySeconds: z.array(z.number().positive()).min(1),
  quality: z.enum(['360p', '540p', '720p', '1080p']),
  duration: z.union([z.literal(5), z.literal(8)]),
  /** Jobs from this index on arrive once a learning plan can have history: `addedP50Steady` and `addedP95Steady` count them. */
  steadyFromIndex: z.int().nonnegative(),
  /** The run gives up on jobs still open this long after the first submit. */
  timeoutSeconds: z.number().positive(),
  /** The stack's data directory (the caller creates and removes it). */
  dataDir: z.string().min(1),
});
export type StrategyRunConfig = z.infer<typeof strategyRunConfigSchema>;

export interface StrategyRow {
  strategy: Strategy;
  budget: Budget;
  requestsPerMinute: number;
  jobs: number;
  completed: number;
  /** Jobs that ended otherwise, or were still open when the run gave up. */
  notCompleted: number;
  /** Seconds from the emulator's job turning COMPLETED to our job record's completion (video in S3). */
  addedP50: number;
  addedP95: number;
  addedMax: number;
  /** The same over the jobs from `steadyFromIndex` on (the learning plan has history by then). */
  addedP50Steady: number;
  addedP95Steady: number;
  steadyFromIndex: number;
  /** Per job in submit order; null for a job that did not complete. */
  addedSeconds: (number | null)[];
  /** The emulator's latencies the jobs drew. */
  upstreamLatencyP50: number;
  /** States entered plus task retries, over every execution of every state machine, per job: what Standard workflows bill. */
  transitionsPerJob: number;
  /** Lambda invocations per job: the submit API, the workflow's tasks, the functions events trigger (not the cached authorizer). */
  invocationsPerJob: number;
  invocationsByFunction: Record<string, number>;
  /** Handler run time per invocation, by function (ms, mean). */
  meanMsByFunction: Record<string, number>;
  /** GB-seconds per job: handler run time × configured memory. */
  lambdaGbSecondsPerJob: number;
  /** Upstream status reads per job. */
  statusCallsPerJob: number;
  /** Upstream result reads per job. */
  resultCallsPerJob: number;
  /** The most upstream requests in any sliding minute (submits, status and result reads). */
  upstreamPeakRequestsPerMinute: number;
  costPerJobUsd: number;
  costPerJobBreakdownUsd: { transitions: number; lambdaRequests: number; lambdaCompute: number };
  /** First submit to the last job ending. */
  wallSeconds: number;
}

/*
 * AWS list prices, us-east-1, arm64. Left out of the cost: API Gateway
 * requests, DynamoDB reads and writes (job records, the upstream budget's token
 * bucket, the learning plan's latency history), EventBridge events, S3 requests
 * and storage, CloudWatch Logs and X-Ray, data transfer, free tiers, Lambda
 * cold-start init time, and Segmind's own price. Lambda durations are the
 * handlers' run times measured here (in-process, unbundled, on a shared
 * two-core machine), not AWS's; a learning plan's Check Status that watches a
 * job bills its pauses too, as it would in Lambda.
 */
const USD_PER_TRANSITION = 0.025 / 1000;
const USD_PER_LAMBDA_REQUEST = 0.2 / 1_000_000;
const USD_PER_GB_SECOND = 0.0000133334;
/** CloudFormation's default when a function sets no MemorySize. */
const DEFAULT_MEMORY_MB = 128;

const API_KEY = 'bench-key';
/** What the child prints once warm, before it waits for the go. */
export const READY = 'ready';

type Frames = { first: string; last: string };
const promptOf = (index: number) => `poll strategy bench job ${index}`;
const indexOfPrompt = (prompt: unknown) => Number(/job (\d+)$/.exec(String(prompt))?.[1] ?? Number.NaN);

/** The nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Lambda environment and poll overrides that select a strategy. */
function strategyOptions(config: StrategyRunConfig): Partial<LocalStackOptions> {
  const budget = {
    [ENV.upstreamRpm]: String(config.requestsPerMinute),
    [ENV.upstreamConcurrency]: String(config.concurrency),
    // The per-tenant limits are not what is measured: one tenant submits every job.
    [ENV.maxActiveJobs]: '1000',
    [ENV.maxJobsPerDay]: '100000',
  };
  const fixed = /^fixed-(\d+)s$/.exec(config.strategy);
  if (fixed) {
    const seconds = Number(fixed[1]);
    return { pollFirstSeconds: seconds, pollIntervalSeconds: seconds, lambdaEnvironment: budget };
  }
  return { lambdaEnvironment: { ...budget, [ENV.pollStrategy]: config.strategy } };
}

/** Every function's configured memory in MB, by logical id. */
function memoryOf(stack: LocalStack): Record<string, number> {
  return Object.fromEntries(
    Object.entries(stack.template.template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([id, resource]) => [id, Number(resource.Properties?.MemorySize ?? DEFAULT_MEMORY_MB)]),
  );
}

/** Usage accrued between two snapshots, without the API authorizer (API Gateway caches its answers). */
function usageBetween(
  before: Record<string, LambdaUsage>,
  after: Record<string, LambdaUsage>,
  excluded: ReadonlySet<string>,
): Record<string, LambdaUsage> {
  const delta: Record<string, LambdaUsage> = {};
  for (const [name, usage] of Object.entries(after)) {
    if (excluded.has(name)) continue;
    const invocations = usage.invocations - (before[name]?.invocations ?? 0);
    if (invocations > 0) delta[name] = { invocations, billedMs: usage.billedMs - (before[name]?.billedMs ?? 0) };
  }
  return delta;
}

/** States entered plus retries over every execution the stack ran. */
function billedTransitions(stack: LocalStack): number {
  return stack.stateMachines
    .all()
    .flatMap((machine) => machine.list(machine.stateMachineArn))
    .reduce((sum, execution) => sum + execution.stateTransitions + execution.stateRetries, 0);
}

const submitted = z.object({ request_id: z.string() });
const statusView = z.looseObject({ status: z.string(), completed_at: z.string().optional() });
const resultView = z.looseObject({ output: z.looseObject({ s3_uri: z.string() }).optional() });

async function submitJobs(
  stack: LocalStack,
  config: StrategyRunConfig,
  frames: Frames,
): Promise<(string | undefined)[]> {
  const started = Date.now();
  return Promise.all(
    config.arrivalSeconds.map(async (offset, index) => {
      await sleep(Math.max(0, started + offset * 1000 - Date.now()));
      const response = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({
          prompt: promptOf(index),
          first_frame_url: frames.first,
          last_frame_url: frames.last,
          quality: config.quality,
          duration: config.duration,
        }),
      });
      const body: unknown = await response.json();
      if (response.status !== 202) {
        process.stderr.write(`job ${index}: submit answered ${response.status} ${JSON.stringify(body)}\n`);
        return undefined;
      }
      return submitted.parse(body).request_id;
    }),
  );
}

/** Our job's completion time (epoch ms), when it is COMPLETED with its video in S3. */
async function completionOf(stack: LocalStack, jobId: string): Promise<number | undefined> {
  const get = async (suffix: string) =>
    (
      await fetch(`${stack.endpoints.apiUrl}/v2/requests/${jobId}${suffix}`, { headers: { 'x-api-key': API_KEY } })
    ).json();
  const status = statusView.parse(await get('/status'));
  if (status.status !== 'COMPLETED' || !status.completed_at) return undefined;
  const s3Uri = resultView.parse(await get('')).output?.s3_uri;
  const match = s3Uri ? /^s3:\/\/([^/]+)\/(.+)$/.exec(s3Uri) : null;
  if (!match?.[1] || !match[2]) return undefined;
  const s3 = localS3Client(stack.endpoints);
  try {
    await s3.send(new HeadObjectCommand({ Bucket: match[1], Key: match[2] }));
  } catch {
    return undefined;
  } finally {
    s3.destroy();
  }
  return Date.parse(status.completed_at);
}

/** An s3:// URI as a presigned GET URL (the emulator downloads frames over http). */
async function presigned(stack: LocalStack, uri: string): Promise<string> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new Error(`Not an s3:// URI: ${uri}`);
  const s3 = localS3Client(stack.endpoints);
  try {
    return await getSignedUrl(s3, new GetObjectCommand({ Bucket: match[1], Key: match[2] }), { expiresIn: 600 });
  } finally {
    s3.destroy();
  }
}

/**
 * What a warm deployment has before the measured jobs: every handler module
 * loaded, and the emulator's render of these frames done (it renders once per
 * frames and settings, with ffmpeg, which would otherwise eat the CPU the
 * strategies are measured on). The render is asked of the emulator directly,
 * so that no job of ours, and no latency the learning plan could learn from, is added.
 */
async function warmUp(stack: LocalStack, emulator: SegmindEmulator, config: StrategyRunConfig, frames: Frames) {
  await Promise.all(Object.values(stack.template.functionsByArn).map((fn) => loadHandler(fn.handler)));
  const response = await fetch(`${emulator.url}/v2/pixverse-5-transition`, {
    method: 'POST',
    headers: { 'x-api-key': EMULATOR_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({
      prompt: 'render warm-up',
      first_frame_url: await presigned(stack, frames.first),
      last_frame_url: await presigned(stack, frames.last),
      quality: config.quality,
      duration: config.duration,
    }),
  });
  const { request_id: requestId } = submitted.parse(await response.json());
  for (let waited = 0; ; waited += 200) {
    if (emulator.jobTimings().find((job) => job.requestId === requestId)?.completedAt !== undefined) return;
    if (waited > 120_000) throw new Error('The emulator did not render the warm-up video within 2 min');
    await sleep(200);
  }
}

/** Tells the parent it is ready and waits for its go (a line on stdin), so that strategies start together. */
async function readyThenGo(): Promise<void> {
  process.stdout.write(`${READY}\n`);
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
}

async function measure(
  stack: LocalStack,
  config: StrategyRunConfig,
  awaitGo: () => Promise<void>,
): Promise<StrategyRow> {
  const emulator = stack.emulator;
  if (!emulator) throw new Error('The poll strategy bench needs the emulator');
  const frames = await uploadExampleFrames(stack.endpoints, stack.ownerOf(API_KEY), 'bench');
  await warmUp(stack, emulator, config, frames);
  const authorizers = new Set(
    apiRoutesFromTemplate(stack.template.template).flatMap((route) =>
      route.authorizer ? [route.authorizer.functionName] : [],
    ),
  );
  await awaitGo();
  const usageBefore = stack.lambdaUsage();
  const transitionsBefore = billedTransitions(stack);
  const started = Date.now();

  const jobIds = await submitJobs(stack, config, frames);
  const finished = await Promise.race([
    stack.idle().then(() => true),
    sleep(Math.max(0, started + config.timeoutSeconds * 1000 - Date.now())).then(() => false),
  ]);
  const wallSeconds = (Date.now() - started) / 1000;
  if (!finished) process.stderr.write(`${config.strategy}/${config.budget}: gave up waiting after ${wallSeconds} s\n`);
  // Counted before the reads below, which are the bench's, not the strategy's.
  const usage = usageBetween(usageBefore, stack.lambdaUsage(), authorizers);
  const transitions = billedTransitions(stack) - transitionsBefore;

  const upstreamByIndex = new Map<number, JobTiming>();
  const timings = new Map(emulator.jobTimings().map((timing) => [timing.requestId, timing]));
  for (const job of emulator.jobs()) {
    const timing = timings.get(job.requestId);
    const index = indexOfPrompt(job.body.prompt);
    if (timing && Number.isInteger(index)) upstreamByIndex.set(index, timing);
  }
  const addedSeconds: (number | null)[] = [];
  for (const [index, jobId] of jobIds.entries()) {
    const upstreamDone = upstreamByIndex.get(index)?.completedAt;
    const ours = jobId ? await completionOf(stack, jobId) : undefined;
    addedSeconds.push(upstreamDone !== undefined && ours !== undefined ? round((ours - upstreamDone) / 1000, 3) : null);
  }

  const jobs = config.arrivalSeconds.length;
  const memory = memoryOf(stack);
  const invocations = Object.values(usage).reduce((sum, { invocations: n }) => sum + n, 0);
  const gbSeconds = Object.entries(usage).reduce(
    (sum, [name, { billedMs }]) => sum + (billedMs / 1000) * ((memory[name] ?? DEFAULT_MEMORY_MB) / 1024),
    0,
  );
  const upstream = [...upstreamByIndex.values()];
  const breakdown = {
    transitions: (transitions * USD_PER_TRANSITION) / jobs,
    lambdaRequests: (invocations * USD_PER_LAMBDA_REQUEST) / jobs,
    lambdaCompute: (gbSeconds * USD_PER_GB_SECOND) / jobs,
  };
  const ascending = (values: (number | null)[]) =>
    values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  const all = ascending(addedSeconds);
  const steady = ascending(addedSeconds.slice(config.steadyFromIndex));
  return {
    strategy: config.strategy,
    budget: config.budget,
    requestsPerMinute: config.requestsPerMinute,
    jobs,
    completed: all.length,
    notCompleted: jobs - all.length,
    addedP50: percentile(all, 50),
    addedP95: percentile(all, 95),
    addedMax: all.at(-1) ?? Number.NaN,
    addedP50Steady: percentile(steady, 50),
    addedP95Steady: percentile(steady, 95),
    steadyFromIndex: config.steadyFromIndex,
    addedSeconds,
    upstreamLatencyP50: round(percentile(ascending(config.latencySeconds), 50), 2),
    transitionsPerJob: round(transitions / jobs, 2),
    invocationsPerJob: round(invocations / jobs, 2),
    invocationsByFunction: Object.fromEntries(Object.entries(usage).map(([name, { invocations: n }]) => [name, n])),
    meanMsByFunction: Object.fromEntries(
      Object.entries(usage).map(([name, { invocations: n, billedMs }]) => [name, Math.round(billedMs / n)]),
    ),
    lambdaGbSecondsPerJob: round(gbSeconds / jobs, 4),
    statusCallsPerJob: round(upstream.reduce((sum, job) => sum + job.statusRequests, 0) / jobs, 2),
    resultCallsPerJob: round(upstream.reduce((sum, job) => sum + job.resultRequests, 0) / jobs, 2),
    upstreamPeakRequestsPerMinute: emulator.peakRequestsPerMinute(),
    costPerJobUsd: round(breakdown.transitions + breakdown.lambdaRequests + breakdown.lambdaCompute, 8),
    costPerJobBreakdownUsd: {
      transitions: round(breakdown.transitions, 8),
      lambdaRequests: round(breakdown.lambdaRequests, 8),
      lambdaCompute: round(breakdown.lambdaCompute, 8),
    },
    wallSeconds: round(wallSeconds, 1),
  };
}

/**
 * Runs one strategy on a fresh local stack in `config.dataDir`. `awaitGo` is
 * called once the stack is warm, and the jobs start when it resolves.
 */
export async function runStrategy(
  config: StrategyRunConfig,
  awaitGo: () => Promise<void> = async () => undefined,
): Promise<StrategyRow> {
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      port: 0,
      dataDir: config.dataDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulatorPollShortcut: false,
      emulator: {
        // The scripted latency by job; the warm-up render is done as soon as it is rendered.
        latency: (request) => config.latencySeconds[indexOfPrompt(request.prompt)] ?? 0,
        metrics: 'timing',
      },
      ...strategyOptions(config),
    });
    return await measure(stack, config, awaitGo);
  } finally {
    await stack?.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const config = strategyRunConfigSchema.parse(JSON.parse(process.argv[2] ?? 'null'));
  const row = await runStrategy(config, readyThenGo);
  process.stdout.write(`${JSON.stringify(row)}\n`);
  // Open keep-alive sockets and SDK clients must not hold the process.
  process.exit(0);
}
