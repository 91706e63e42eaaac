/**
 * Status endpoint benchmark: p50/p99 latency of `GET /v2/requests/{id}/status`
 * on the local stack, with many clients each polling its job every second (the
 * cadence Segmind's SDK uses), over real keep-alive HTTP.
 *
 * The pollers run in a child process: in the stack's own process they would
 * share its event loop and measure themselves as much as the endpoint.
 *
 *   npx tsx bench/statusBench.ts [--quick]      # prints the JSON result
 */

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AUTHORIZER_CACHE_SECONDS } from '../lambdas/core/contract/names';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(THIS_FILE), '..');
const API_KEY = 'status-bench-key';
const TARGET_P99_MS = 50;
/** Submits in flight at once while preparing the jobs. */
const SUBMITS_IN_FLIGHT = 8;

export interface StatusBenchOptions {
  /** Concurrent clients, each with its own keep-alive connection. @default 200 */
  pollers?: number;
  /** Measured time. @default 30_000 */
  durationMs?: number;
  /** Each poller's period; 0 polls back to back (a saturation test, not a latency one). @default 1000 */
  intervalMs?: number;
  /** Jobs polled (the pollers share them round-robin). @default 50 */
  jobs?: number;
  /** Polling before the measured time, not recorded: connections open, code warms up. @default 2000 */
  warmupMs?: number;
  /**
   * Then, for this long, 20 clients poll back to back: the most requests a second
   * the local stack serves, to read the latencies against. 0 skips it. @default 5000
   */
  capacityProbeMs?: number;
}

export interface StatusBenchResult {
  pollers: number;
  durationMs: number;
  intervalMs: number;
  jobs: number;
  /** Answers recorded in the measured time. */
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers by HTTP status; anything but 200 is a defect here. */
  statusCodes: Record<string, number>;
  /** Requests that got no answer (socket errors, timeouts). */
  errors: number;
  /** Requests a second served to 20 back-to-back clients (`capacityProbeMs`); the pollers ask pollers/interval. */
  capacityRps?: number;
  targetP99Ms: number;
  meetsTarget: boolean;
  /** The machine's 1-minute load average before and after: other work on a 2-core machine shows in the tail. */
  loadAverage: { before: number; after: number };
  notes: string[];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PollerSettings {
  apiUrl: string;
  apiKey: string;
  ids: string[];
  pollers: number;
  durationMs: number;
  intervalMs: number;
  warmupMs: number;
}

interface PollerReport {
  latenciesMs: number[];
  statusCodes: Record<string, number>;
  errors: number;
}

/** One GET through the keep-alive agent, body read to the end: the latency a client sees. */
function getStatus(agent: http.Agent, url: URL, apiKey: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers: { 'x-api-key': apiKey }, timeout: 10_000 }, (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }));
      response.once('error', reject);
    });
    request.once('timeout', () => request.destroy(new Error('timeout')));
    request.once('error', reject);
  });
}

/**
 * Child: each poller polls on its own schedule, phases spread evenly over the
 * interval, so the endpoint sees a steady pollers/interval rate rather than bursts.
 */
async function runPollers(settings: PollerSettings): Promise<PollerReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: settings.pollers });
  const report: PollerReport = { latenciesMs: [], statusCodes: {}, errors: 0 };
  const started = performance.now();
  const recordFrom = started + settings.warmupMs;
  const end = recordFrom + settings.durationMs;
  const poller = async (index: number) => {
    const url = new URL(`${settings.apiUrl}/v2/requests/${settings.ids[index % settings.ids.length]}/status`);
    let next = started + (index / settings.pollers) * settings.intervalMs;
    while (next < end) {
      await sleep(Math.max(0, next - performance.now()));
      const sentAt = performance.now();
      try {
        const { status, ms } = await getStatus(agent, url, settings.apiKey);
        if (sentAt >= recordFrom) {
          report.latenciesMs.push(ms);
          report.statusCodes[status] = (report.statusCodes[status] ?? 0) + 1;
        }
      } catch {
        if (sentAt >= recordFrom) report.errors++;
      }
      next = Math.max(next + settings.intervalMs, performance.now());
    }
  };
  await Promise.all(Array.from({ length: settings.pollers }, (_, index) => poller(index)));
  agent.destroy();
  return report;
}

/** Runs the pollers in a child process; its last stdout line is the report. */
async function spawnPollers(settings: PollerSettings): Promise<PollerReport> {
  const child = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, '--child', JSON.stringify(settings)], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: settings.warmupMs + settings.durationMs + 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const last = stdout.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`the pollers failed (${code}): ${stderr.slice(-2000)}`);
  return JSON.parse(last) as PollerReport;
}

/** Submits `count` jobs through the API and answers their ids. */
async function submitJobs(apiUrl: string, frames: { first: string; last: string }, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += SUBMITS_IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(SUBMITS_IN_FLIGHT, count - start) }, async (_, offset) => {
      const response = await fetch(`${apiUrl}/v2/pixverse-5-transition`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({
          prompt: `status bench job ${start + offset}`,
          first_frame_url: frames.first,
          last_frame_url: frames.last,
          quality: '360p',
        }),
      });
      const body = (await response.json()) as { request_id?: unknown };
      if (response.status !== 202 || typeof body.request_id !== 'string') {
        throw new Error(`submit answered HTTP ${response.status}: ${JSON.stringify(body)}`);
      }
      return body.request_id;
    });
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

/**
 * Starts the local stack, submits `jobs` jobs that stay in flight for the whole
 * run (the emulator takes an hour, the workflow waits as long before its first
 * poll, so no execution competes for the CPU), then polls their status.
 */
export async function runStatusBench(options: StatusBenchOptions = {}): Promise<StatusBenchResult> {
  const pollers = options.pollers ?? 200;
  const durationMs = options.durationMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 1000;
  const jobs = options.jobs ?? 50;
  const warmupMs = options.warmupMs ?? 2000;
  const capacityProbeMs = options.capacityProbeMs ?? 5000;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const [{ startLocalStack }, { uploadExampleFrames }] = await Promise.all([
    import('../local/stack'),
    import('../local/clients'),
  ]);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'framebridge-status-bench-'));
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    apiKeys: [API_KEY],
    segmindApiKey: '',
    emulator: { latencySeconds: 3600 },
    pollFirstSeconds: 3600,
    pollIntervalSeconds: 60,
    lambdaEnvironment: { FRAMEBRIDGE_MAX_ACTIVE_JOBS: String(jobs) },
  }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  try {
    const { apiUrl } = stack.endpoints;
    const frames = await uploadExampleFrames(stack.endpoints, stack.ownerOf(API_KEY), 'status-bench');
    const ids = await submitJobs(apiUrl, frames, jobs);
    const loadBefore = loadavg()[0] ?? 0;
    const settings = { apiUrl, apiKey: API_KEY, ids };
    const report = await spawnPollers({ ...settings, pollers, durationMs, intervalMs, warmupMs });
    const loadAfter = loadavg()[0] ?? 0;
    const capacity =
      capacityProbeMs > 0
        ? await spawnPollers({ ...settings, pollers: 20, durationMs: capacityProbeMs, intervalMs: 0, warmupMs: 1000 })
        : undefined;
    const sorted = [...report.latenciesMs].sort((a, b) => a - b);
    const p99Ms = round(percentile(sorted, 99));
    return {
      pollers,
      durationMs,
      intervalMs,
      jobs,
      requests: sorted.length,
      requestsPerSecond: round(sorted.length / (durationMs / 1000)),
      p50Ms: round(percentile(sorted, 50)),
      p90Ms: round(percentile(sorted, 90)),
      p99Ms,
      maxMs: round(sorted.at(-1) ?? 0),
      statusCodes: report.statusCodes,
      errors: report.errors,
      ...(capacity ? { capacityRps: round(capacity.latenciesMs.length / (capacityProbeMs / 1000)) } : {}),
      targetP99Ms: TARGET_P99_MS,
      meetsTarget: sorted.length > 0 && p99Ms <= TARGET_P99_MS && report.errors === 0,
      loadAverage: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
      notes: [
        `Each poller polls one of ${jobs} in-flight jobs every ${intervalMs} ms over its own keep-alive connection (node:http), from a child process.`,
        `Every request runs the key authorizer (a GetItem and an UpdateItem of lastUsedAt) and the status handler (a GetItem), in the one local stack process, against dynalite; API Gateway would answer from its authorizer cache for ${AUTHORIZER_CACHE_SECONDS} s.`,
      ],
    };
  } finally {
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      quick: { type: 'boolean', default: false },
      pollers: { type: 'string' },
      duration: { type: 'string' },
      interval: { type: 'string' },
    },
  });
  if (values.child) {
    const report = await runPollers(JSON.parse(values.child) as PollerSettings);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const result = await runStatusBench({
      pollers: values.pollers === undefined ? undefined : Number(values.pollers),
      durationMs: values.duration === undefined ? (values.quick ? 5000 : undefined) : Number(values.duration),
      intervalMs: values.interval === undefined ? undefined : Number(values.interval),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
}
