import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uploadExampleFrames } from '../local/clients';
import { startLocalStack } from '../local/stack';

export interface LoadOptions {
  jobs: number;
  /** The emulator's own limit: submits beyond it answer 429 with a reset time. */
  upstreamConcurrency: number;
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
  upstreamPeakConcurrency: number;
  upstreamConcurrencyLimit: number;
  wallSeconds: number;
  jobsPerMinute: number;
  apiRequests: number;
  apiP50Ms: number;
  apiP99Ms: number;
  peakRssMiB: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * Submits `jobs` transitions at once to the local stack (loopback only), polls
 * each to a terminal state, and reports throughput, API latency, upstream
 * concurrency, duplicates and the process's peak memory.
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
    emulator: { latencySeconds: options.latencySeconds, maxConcurrentJobs: options.upstreamConcurrency },
    pollFirstSeconds: Math.ceil(options.latencySeconds),
    pollIntervalSeconds: 1,
    // One tenant submits every job at once: lift its active-job cap to the run's size.
    lambdaEnvironment: { FRAMEBRIDGE_MAX_ACTIVE_JOBS: String(Math.max(options.jobs, 1)) },
  });
  try {
    const { endpoints } = stack;
    const frames = await uploadExampleFrames(endpoints, stack.ownerOf('load-key'), 'load');

    const latencies: number[] = [];
    const started = performance.now();
    const finals = await Promise.all(
      Array.from({ length: options.jobs }, (_, index) => runOneJob(endpoints.apiUrl, frames, index, latencies)),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    await stack.idle();

    const accepted = stack.emulator?.jobs() ?? [];
    const prompts = accepted.map((job) => String(job.body.prompt));
    const failures: Record<string, number> = {};
    for (const final of finals)
      if (final.status !== 'COMPLETED') failures[final.code] = (failures[final.code] ?? 0) + 1;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      jobs: options.jobs,
      completed: finals.filter((final) => final.status === 'COMPLETED').length,
      failed: finals.filter((final) => final.status === 'FAILED').length,
      failures,
      lost: finals.filter((final) => final.status === 'LOST').length,
      duplicateSubmits: prompts.length - new Set(prompts).size,
      upstreamSubmitRequests: stack.emulator?.submitRequests() ?? 0,
      upstreamPeakConcurrency: stack.emulator?.peakConcurrentJobs() ?? 0,
      upstreamConcurrencyLimit: options.upstreamConcurrency,
      wallSeconds: Math.round(wallSeconds * 10) / 10,
      jobsPerMinute: Math.round((options.jobs / wallSeconds) * 60),
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

type JobEnd = { status: string; code: string };

/** Submits one job and polls its status to the end, recording each API call's latency. */
async function runOneJob(
  apiUrl: string,
  frames: { first: string; last: string },
  index: number,
  latencies: number[],
): Promise<JobEnd> {
  const api = async (url: string, init?: RequestInit) => {
    const started = performance.now();
    const response = await fetch(url, {
      ...init,
      headers: { 'x-api-key': 'load-key', 'content-type': 'application/json' },
    });
    const body = (await response.json()) as Record<string, unknown>;
    latencies.push(performance.now() - started);
    return { status: response.status, body };
  };
  const submitted = await api(`${apiUrl}/v2/pixverse-5-transition`, {
    method: 'POST',
    body: JSON.stringify({
      prompt: `load job ${index}`,
      first_frame_url: frames.first,
      last_frame_url: frames.last,
      quality: '360p',
    }),
  });
  if (submitted.status !== 202) return { status: `HTTP ${submitted.status}`, code: 'refused' };
  const deadline = Date.now() + 20 * 60_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { body } = await api(String(submitted.body.status_url));
    if (body.status === 'COMPLETED' || body.status === 'FAILED') {
      return { status: String(body.status), code: String(body.error_code ?? '') };
    }
  }
  return { status: 'LOST', code: 'lost' };
}
