import { mkdir, mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UpstreamStatus } from '../../lambdas/core/contract';
import { downloadFrame } from './frames';
import { HttpError, sendJson } from './http';
import { JobStore, type JobTiming } from './jobStore';
import type { EmulatorScenario, MetricsShape } from './jobs';
import { type LatencyDistribution, latencySampler, typicalLatencyMs, validateLatency } from './latency';
import { RequestRateLimiter } from './rateLimit';
import { type RouteContext, route } from './routes';
import { createVideoStudio } from './videos';

export type { JobTiming } from './jobStore';
export type { EmulatorScenario, MetricsShape } from './jobs';
export type { LatencyDistribution } from './latency';

export interface EmulatorOptions {
  /** Port to listen on, on 127.0.0.1 only. @default 0 (a free port) */
  port?: number;
  /** The `x-api-key` value required on /v2 routes. @default 'emulator-key' */
  apiKey?: string;
  /** Submit → COMPLETED time; QUEUED for the first ~20 %, then PROCESSING. @default 5 */
  latencySeconds?: number;
  /**
   * Each job's own submit → COMPLETED time, drawn at submit: lognormal around a
   * median, or any sampler. Replaces `latencySeconds` when set.
   */
  latency?: LatencyDistribution;
  /**
   * A finished job's `metrics`: Segmind-like `{ queue_time, inference_time, total_time }`
   * in seconds, `inference_time` alone, or `null` (a client then only knows when it saw the job done).
   * @default 'timing'
   */
  metrics?: MetricsShape;
  /** Request records answer 404 this long after submit, like Segmind's. @default 3600 */
  recordTtlSeconds?: number;
  /** Where downloaded frames and rendered videos are kept (created). @default a fresh temp dir */
  workDir?: string;
  /** Fetches a frame URL. @default global fetch, http(s) */
  fetchFrame?: (url: string) => Promise<Buffer>;
  /** Per-job fault injection, chosen from the submitted body. */
  scenario?: (request: Record<string, unknown>) => EmulatorScenario | undefined;
  /** Jobs allowed to run at once; a submit beyond answers 429 with `x-rate-limit-reset-at-utc`. @default unlimited */
  maxConcurrentJobs?: number;
  /**
   * Authenticated /v2 requests (submit, status, result) served per sliding 60 s; one beyond answers
   * 429 with `x-rate-limit-reset-at-utc`, when the oldest request in the window leaves it.
   * @default unlimited
   */
  requestsPerMinute?: number;
}

export interface SegmindEmulator {
  /** Base URL, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** Submits accepted so far: each one is a job Segmind would bill. */
  submissions(): number;
  jobs(): ReadonlyArray<{ requestId: string; status: UpstreamStatus; body: Record<string, unknown> }>;
  /** Every job still on record, in submit order: its latency, when it completed and the reads it was served. */
  jobTimings(): ReadonlyArray<JobTiming>;
  /** Submit requests received, accepted or not. */
  submitRequests(): number;
  /** The most jobs that were running (not COMPLETED or FAILED) at once. */
  peakConcurrentJobs(): number;
  /** Authenticated /v2 requests received (submit, status, result), served or refused. */
  requestsReceived(): number;
  /** Requests answered 429 by `requestsPerMinute`. */
  rateLimitedRequests(): number;
  /** Submits answered 429 by `maxConcurrentJobs`. */
  concurrencyLimitedRequests(): number;
  /** The most requests received, served or refused, in any sliding 60 s. */
  peakRequestsPerMinute(): number;
  /** Stops accepting connections for `ms` (clients get ECONNREFUSED), then listens again on the same port. */
  refuseConnections(ms: number): Promise<void>;
  /** Stops listening, drops open connections and kills renders in flight. */
  close(): Promise<void>;
}

const METRICS_SHAPES: readonly MetricsShape[] = ['timing', 'inference-only', 'none'];

function validateOptions(options: EmulatorOptions): void {
  const { port, latencySeconds, recordTtlSeconds, apiKey, requestsPerMinute } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  if (latencySeconds !== undefined && !(Number.isFinite(latencySeconds) && latencySeconds >= 0)) {
    throw new RangeError(`latencySeconds must be a finite number ≥ 0, got ${latencySeconds}`);
  }
  if (recordTtlSeconds !== undefined && !(Number.isFinite(recordTtlSeconds) && recordTtlSeconds > 0)) {
    throw new RangeError(`recordTtlSeconds must be a finite number > 0, got ${recordTtlSeconds}`);
  }
  if (requestsPerMinute !== undefined && !(Number.isInteger(requestsPerMinute) && requestsPerMinute > 0)) {
    throw new RangeError(`requestsPerMinute must be an integer > 0, got ${requestsPerMinute}`);
  }
  if (apiKey !== undefined && apiKey.length === 0) {
    throw new RangeError('apiKey must not be empty');
  }
  if (options.metrics !== undefined && !METRICS_SHAPES.includes(options.metrics)) {
    throw new RangeError(`metrics must be one of ${METRICS_SHAPES.join(', ')}, got ${options.metrics}`);
  }
  validateLatency(options.latency);
}

/** An HTTP server for the routes: a thrown HttpError is its answer, anything else a 500. */
function serve(context: RouteContext): Server {
  return createServer((req, res) => {
    route(context, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) sendJson(res, error.status, { error: error.message });
      else sendJson(res, 500, { error: 'Internal server error' });
    });
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops listening and drops open connections; resolves once the server has closed. */
function stopListening(server: Server): Promise<void> {
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return stopped;
}

/**
 * Starts a Segmind-v2-compatible server for the Pixverse 5 Transition model that renders a
 * real MP4 with ffmpeg. Listens on 127.0.0.1 only.
 */
export async function startSegmindEmulator(options: EmulatorOptions = {}): Promise<SegmindEmulator> {
  validateOptions(options);
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'segmind-emulator-')));
  const framesDir = join(workDir, 'frames');
  const videosDir = join(workDir, 'videos');
  await mkdir(framesDir, { recursive: true });
  await mkdir(videosDir, { recursive: true });

  const shutdown = new AbortController();
  const studio = createVideoStudio({
    framesDir,
    videosDir,
    fetchFrame: options.fetchFrame ?? ((url: string) => downloadFrame(url, shutdown.signal)),
    signal: shutdown.signal,
  });
  const fixedSeconds = options.latencySeconds ?? 5;
  const store = new JobStore({
    sampleLatencyMs: latencySampler(options.latency, fixedSeconds),
    typicalLatencyMs: typicalLatencyMs(options.latency, fixedSeconds),
    ttlMs: (options.recordTtlSeconds ?? 3600) * 1000,
    produceVideo: studio.produce,
  });
  const rateLimiter = new RequestRateLimiter(options.requestsPerMinute);
  let baseUrl = '';
  const server = serve({
    store,
    apiKey: options.apiKey ?? 'emulator-key',
    baseUrl: () => baseUrl,
    videoPath: studio.videoPath,
    scenario: options.scenario,
    maxConcurrentJobs: options.maxConcurrentJobs,
    rateLimiter,
    metrics: options.metrics ?? 'timing',
  });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    submissions: () => store.submissions,
    submitRequests: () => store.submitRequests,
    peakConcurrentJobs: () => store.peakConcurrent,
    requestsReceived: () => rateLimiter.requests,
    rateLimitedRequests: () => rateLimiter.refused,
    concurrencyLimitedRequests: () => store.concurrencyRefusals,
    peakRequestsPerMinute: () => rateLimiter.peakPerWindow,
    refuseConnections: async (ms: number) => {
      await stopListening(server);
      await new Promise((resolve) => setTimeout(resolve, ms));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    jobs: () => store.list(),
    jobTimings: () => store.timings(),
    close: () => {
      closing ??= (async () => {
        shutdown.abort();
        const stopped = stopListening(server);
        await store.settled();
        await stopped;
      })();
      return closing;
    },
  };
}
