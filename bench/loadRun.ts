import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localJobsClient, uploadExampleFrames } from '../local/clients';
import { createLimiter } from '../local/emulator/limiter';
import type { SegmindEmulator } from '../local/emulator/server';
import { type LocalEndpoints, startLocalStack } from '../local/stack';

export interface LoadOptions {
  jobs: number;
  /** The emulator's concurrency limit (429 beyond), and the pipeline's upstream concurrency budget. */
  upstreamConcurrency: number;
  /** The emulator's requests-per-minute limit (429 beyond), and the pipeline's upstream rate budget. */
  requestsPerMinute: number;
  /** Emulator submit → COMPLETED seconds. */
  latencySeconds: number;
}

export interface LoadReport {
  jobs: number;
  completed: number;
  failed: number;
  failures: Record<string, number>;
  /** Jobs still not terminal when the run ended (must be 0). */
  lost: number;
  /** Upstream submits beyond one per job (must be 0). */
  duplicateSubmits: number;
  upstreamSubmitRequests: number;
  /** Every request the upstream received: submits, status polls, result reads. */
  upstreamRequests: number;
  /** Requests the upstream answered 429, for either limit. */
  upstream429s: number;
  upstream429sForConcurrency: number;
  upstream429sForRate: number;
  upstream429Percent: number;
  upstreamPeakConcurrency: number;
  upstreamConcurrencyLimit: number;
  /** The most requests the upstream received in any sliding minute, refused ones included. */
  upstreamPeakRequestsPerMinute: number;
  upstreamRequestsPerMinuteLimit: number;
  /** What the upstream's limits allow at best. */
  allowedJobsPerMinute: number;
  /** First submit to the last job seen terminal. */
  wallSeconds: number;
  /** Completed jobs per minute of wall time. */
  jobsPerMinute: number;
  throughputPercent: number;
  /** Upstream slots still held after every job ended and the stack went idle (must be 0). */
  leakedSlots: number;
  apiRequests: number;
  apiP50Ms: number;
  apiP99Ms: number;
  peakRssMiB: number;
}

/** A job needs at least three upstream requests: its submit, a status poll that sees COMPLETED, its result. */
const REQUESTS_PER_JOB = 3;

/**
 * How often each simulated client polls its job. Every poll runs the authorizer
 * and the status handler in this process, against the same DynamoDB as the
 * pipeline: a tighter loop would measure the load generator eating the two
 * cores and the SDK's socket pool, not the pipeline. A job's end is taken from
 * its record (`completed_at`, `updated_at`), so the interval does not bias the
 * throughput.
 */
const CLIENT_POLL_MS = 10_000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The best the upstream's limits allow: its concurrency over the latency, or its rate over 3 requests a job. */
export function allowedJobsPerMinute(options: LoadOptions): number {
  return Math.min(
    (options.upstreamConcurrency * 60) / options.latencySeconds,
    options.requestsPerMinute / REQUESTS_PER_JOB,
  );
}

/**
 * Submits `jobs` transitions at once to the local stack (loopback only), the
 * pipeline's upstream budget set to the emulator's limits; polls each job to a
 * terminal state; and reports throughput against what those limits allow, the
 * upstream's own count of requests, 429s and peaks, leaked upstream slots, API
 * latency, duplicates and the process's peak memory.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'framebridge-load-'));
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    apiKeys: ['load-key'],
    segmindApiKey: '',
    emulator: {
      latencySeconds: options.latencySeconds,
      maxConcurrentJobs: options.upstreamConcurrency,
      requestsPerMinute: options.requestsPerMinute,
    },
    pollFirstSeconds: Math.ceil(options.latencySeconds),
    pollIntervalSeconds: 1,
    lambdaEnvironment: {
      // One tenant submits every job at once: lift its active-job cap to the run's size.
      FRAMEBRIDGE_MAX_ACTIVE_JOBS: String(Math.max(options.jobs, 1)),
      FRAMEBRIDGE_UPSTREAM_RPM: String(options.requestsPerMinute),
      FRAMEBRIDGE_UPSTREAM_CONCURRENCY: String(options.upstreamConcurrency),
    },
  });
  try {
    const { endpoints, emulator } = stack;
    if (!emulator) throw new Error('the load run needs the Segmind emulator');
    const frames = await uploadExampleFrames(endpoints, stack.ownerOf('load-key'), 'load');

    const latencies: number[] = [];
    const submitSlots = createLimiter(SUBMITS_IN_FLIGHT);
    const started = Date.now();
    const finals = await Promise.all(
      Array.from({ length: options.jobs }, (_, index) =>
        runOneJob(endpoints.apiUrl, frames, index, latencies, submitSlots),
      ),
    );
    const wallSeconds = (Math.max(started, ...finals.map((final) => final.endedAt)) - started) / 1000;
    await stack.idle();
    const leakedSlots = await countHeldSlots(endpoints);

    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      ...jobFigures(options, finals, emulator),
      ...upstreamFigures(options, emulator),
      ...throughputFigures(options, finals, wallSeconds),
      leakedSlots,
      apiRequests: latencies.length,
      apiP50Ms: Math.round(percentile(sorted, 50)),
      apiP99Ms: Math.round(percentile(sorted, 99)),
      peakRssMiB: Math.round(peakRss / 1024 / 1024),
    };
  } finally {
    clearInterval(sampler);
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** How a job ended, and when (epoch ms). */
type JobEnd = { status: string; code: string; endedAt: number };

function jobFigures(options: LoadOptions, finals: JobEnd[], emulator: SegmindEmulator) {
  const prompts = emulator.jobs().map((job) => String(job.body.prompt));
  const failures: Record<string, number> = {};
  for (const final of finals) {
    if (final.status !== 'COMPLETED') failures[final.code] = (failures[final.code] ?? 0) + 1;
  }
  return {
    jobs: options.jobs,
    completed: finals.filter((final) => final.status === 'COMPLETED').length,
    failed: finals.filter((final) => final.status === 'FAILED').length,
    failures,
    lost: finals.filter((final) => final.status === 'LOST').length,
    duplicateSubmits: prompts.length - new Set(prompts).size,
  };
}

/** The upstream's own count: what it received and refused, and its peaks against its limits. */
function upstreamFigures(options: LoadOptions, emulator: SegmindEmulator) {
  const requests = emulator.requestsReceived();
  const forConcurrency = emulator.concurrencyLimitedRequests();
  const forRate = emulator.rateLimitedRequests();
  const refused = forConcurrency + forRate;
  return {
    upstreamSubmitRequests: emulator.submitRequests(),
    upstreamRequests: requests,
    upstream429s: refused,
    upstream429sForConcurrency: forConcurrency,
    upstream429sForRate: forRate,
    upstream429Percent: requests === 0 ? 0 : round((refused / requests) * 100, 2),
    upstreamPeakConcurrency: emulator.peakConcurrentJobs(),
    upstreamConcurrencyLimit: options.upstreamConcurrency,
    upstreamPeakRequestsPerMinute: emulator.peakRequestsPerMinute(),
    upstreamRequestsPerMinuteLimit: options.requestsPerMinute,
  };
}

function throughputFigures(options: LoadOptions, finals: JobEnd[], wallSeconds: number) {
  const completed = finals.filter((final) => final.status === 'COMPLETED').length;
  const jobsPerMinute = wallSeconds > 0 ? (completed / wallSeconds) * 60 : 0;
  const allowed = allowedJobsPerMinute(options);
  return {
    allowedJobsPerMinute: round(allowed, 1),
    wallSeconds: round(wallSeconds, 1),
    jobsPerMinute: round(jobsPerMinute, 1),
    throughputPercent: round((jobsPerMinute / allowed) * 100, 1),
  };
}

/** Upstream slots the admission item still holds; after every job ended, each one is a leak. */
async function countHeldSlots(endpoints: LocalEndpoints): Promise<number> {
  // Imported here, not at the top: handler code builds the shared logger as it loads, from
  // POWERTOOLS_LOG_LEVEL, which the stack sets when it starts, as Lambda does before init.
  const { readAdmission } = await import('../lambdas/adapters/upstreamAdmission');
  const doc = localJobsClient(endpoints);
  try {
    const admission = await readAdmission({ doc, tableName: endpoints.jobsTable });
    return Object.keys(admission?.slots ?? {}).length;
  } finally {
    doc.destroy();
  }
}

/**
 * POSTs in flight at once. A batch client bounds them as any production client
 * would (API Gateway would throttle the rest). Four still submit ~20 jobs/s,
 * six times what the upstream admits, so the line is always full; with 16 the
 * intake took the one local process's CPU from the pipeline for the first
 * half-minute of a 300-job run (upstream at ~2 requests/s instead of 10),
 * which measures this process, not admission control: API Gateway and the
 * workflow's Lambdas do not share a CPU in AWS.
 */
const SUBMITS_IN_FLIGHT = 4;
/** Attempts per submit: a 429 or 5xx is sent again under the same Idempotency-Key, so it can never create a second job. */
const SUBMIT_ATTEMPTS = 5;

/** Submits one job (retrying under its Idempotency-Key) and polls its status to the end, recording each API call's latency. */
async function runOneJob(
  apiUrl: string,
  frames: { first: string; last: string },
  index: number,
  latencies: number[],
  submitSlots: <T>(task: () => Promise<T>) => Promise<T>,
): Promise<JobEnd> {
  const api = async (url: string, init?: RequestInit & { idempotencyKey?: string }) => {
    const started = performance.now();
    const response = await fetch(url, {
      ...init,
      headers: {
        'x-api-key': 'load-key',
        'content-type': 'application/json',
        ...(init?.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
      },
    });
    const body = (await response.json()) as Record<string, unknown>;
    latencies.push(performance.now() - started);
    return { status: response.status, body };
  };
  const submitOnce = () =>
    api(`${apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      idempotencyKey: `load-${index}`,
      body: JSON.stringify({
        prompt: `load job ${index}`,
        first_frame_url: frames.first,
        last_frame_url: frames.last,
        quality: '360p',
      }),
    });
  let submitted = await submitSlots(submitOnce);
  for (
    let attempt = 2;
    attempt <= SUBMIT_ATTEMPTS && (submitted.status === 429 || submitted.status >= 500);
    attempt++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    submitted = await submitSlots(submitOnce);
  }
  if (submitted.status !== 202) {
    return { status: `HTTP ${submitted.status}`, code: `refused_${submitted.status}`, endedAt: Date.now() };
  }
  const deadline = Date.now() + 20 * 60_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, CLIENT_POLL_MS));
    const { body } = await api(String(submitted.body.status_url));
    if (body.status === 'COMPLETED' || body.status === 'FAILED') {
      const endedAt = Date.parse(String(body.completed_at ?? body.updated_at));
      return { status: String(body.status), code: String(body.error_code ?? ''), endedAt: endedAt || Date.now() };
    }
  }
  return { status: 'LOST', code: 'lost', endedAt: Date.now() };
}
