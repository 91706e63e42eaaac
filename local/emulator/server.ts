import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { applyHttpFault, applyVideoFault, type HttpFault } from './faults';
import { checkFrame, downloadFrame, FrameError } from './frames';
import { type EmulatorScenario, inferenceSeconds, type Job, jobError, jobStatus, shapeOutput } from './jobs';
import { createLimiter } from './limiter';
import { renderTransition } from './renderer';
import { deferredRejection, parseSubmitBody } from './request';

export type { EmulatorScenario } from './jobs';

export interface EmulatorOptions {
  /** Port to listen on, on 127.0.0.1 only. @default 0 (a free port) */
  port?: number;
  /** The `x-api-key` value required on /v2 routes. @default 'emulator-key' */
  apiKey?: string;
  /** Submit → COMPLETED time; QUEUED for the first ~20 %, then PROCESSING. @default 5 */
  latencySeconds?: number;
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
}

export interface SegmindEmulator {
  /** Base URL, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** Submits accepted so far: each one is a job Segmind would bill. */
  submissions(): number;
  jobs(): ReadonlyArray<{ requestId: string; status: string; body: Record<string, unknown> }>;
  /** Submit requests received, accepted or not. */
  submitRequests(): number;
  /** The most jobs that were running (not COMPLETED or FAILED) at once. */
  peakConcurrentJobs(): number;
  /** Stops accepting connections for `ms` (clients get ECONNREFUSED), then listens again on the same port. */
  refuseConnections(ms: number): Promise<void>;
  /** Stops listening, drops open connections and kills renders in flight. */
  close(): Promise<void>;
}

const MODEL_PATH = '/v2/pixverse-5-transition';
const MAX_BODY_BYTES = 1024 * 1024;
/** Two renders at once keep a two-core machine busy without starving either. */
const RENDER_CONCURRENCY = 2;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const STATUS_ROUTE = new RegExp(`^/v2/requests/(${UUID})/status$`);
const RESULT_ROUTE = new RegExp(`^/v2/requests/(${UUID})$`);
const FILE_ROUTE = new RegExp(`^/files/(${UUID})\\.mp4$`);

class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HttpError(406, 'Content-Type must be application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
  }
}

function validateOptions(options: EmulatorOptions): void {
  const { port, latencySeconds, recordTtlSeconds, apiKey } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  if (latencySeconds !== undefined && !(Number.isFinite(latencySeconds) && latencySeconds >= 0)) {
    throw new RangeError(`latencySeconds must be a finite number ≥ 0, got ${latencySeconds}`);
  }
  if (recordTtlSeconds !== undefined && !(Number.isFinite(recordTtlSeconds) && recordTtlSeconds > 0)) {
    throw new RangeError(`recordTtlSeconds must be a finite number > 0, got ${recordTtlSeconds}`);
  }
  if (apiKey !== undefined && apiKey.length === 0) {
    throw new RangeError('apiKey must not be empty');
  }
}

/**
 * Starts a Segmind-v2-compatible server for the Pixverse 5 Transition model that renders a
 * real MP4 with ffmpeg. Listens on 127.0.0.1 only.
 */
export async function startSegmindEmulator(options: EmulatorOptions = {}): Promise<SegmindEmulator> {
  validateOptions(options);
  const apiKey = options.apiKey ?? 'emulator-key';
  const latencyMs = (options.latencySeconds ?? 5) * 1000;
  const ttlMs = (options.recordTtlSeconds ?? 3600) * 1000;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'segmind-emulator-')));
  const framesDir = join(workDir, 'frames');
  const videosDir = join(workDir, 'videos');
  await mkdir(framesDir, { recursive: true });
  await mkdir(videosDir, { recursive: true });

  const shutdown = new AbortController();
  const fetchFrame = options.fetchFrame ?? ((url: string) => downloadFrame(url, shutdown.signal));
  const renderSlot = createLimiter(RENDER_CONCURRENCY);
  const jobs = new Map<string, Job>();
  const inFlight = new Set<Promise<void>>();
  let submissions = 0;
  let submitRequests = 0;
  let peakConcurrent = 0;
  const submitAttempts = new Map<string, number>();
  let baseUrl = '';

  const videoPath = (id: string) => join(videosDir, `${id}.mp4`);
  const videoUrl = (id: string) => `${baseUrl}/files/${id}.mp4`;

  /** A live record, or undefined when unknown or expired (expired ones are dropped). */
  function findJob(id: string): Job | undefined {
    const now = Date.now();
    // Map order is submit order, so expired records are all at the front.
    for (const [key, job] of jobs) {
      if (now - job.submittedAt < ttlMs) break;
      jobs.delete(key);
    }
    const job = jobs.get(id);
    return job?.scenario.expireImmediately ? undefined : job;
  }

  async function fetchFrameFile(job: Job, which: 'first' | 'last'): Promise<{ path: string; bytes: Buffer }> {
    const field = `${which}_frame_url` as const;
    let bytes: Buffer;
    try {
      bytes = await fetchFrame(job.params[field]);
    } catch (error) {
      throw new FrameError(`Could not download ${field}: ${errorMessage(error)}`, { cause: error });
    }
    const format = checkFrame(bytes, field);
    const path = join(framesDir, `${job.requestId}-${which}.${format}`);
    await writeFile(path, bytes);
    return { path, bytes };
  }

  /**
   * Renders are deterministic (same frames and parameters → same bytes), so one
   * render serves every job that asks for the same thing: load tests measure the
   * pipeline, not ffmpeg.
   */
  const renders = new Map<string, Promise<string>>();

  async function produceVideo(job: Job): Promise<void> {
    try {
      const [first, last] = await Promise.all([fetchFrameFile(job, 'first'), fetchFrameFile(job, 'last')]);
      const { duration, quality, seed, sound_effect_switch: sound } = job.params;
      const key = createHash('sha256')
        .update(first.bytes)
        .update(last.bytes)
        .update(JSON.stringify([duration, quality, seed, sound]))
        .digest('hex');
      let rendered = renders.get(key);
      if (!rendered) {
        const outPath = videoPath(job.requestId);
        rendered = renderSlot(() =>
          renderTransition({
            firstFramePath: first.path,
            lastFramePath: last.path,
            outPath,
            durationSeconds: duration,
            quality,
            seed,
            sound,
            signal: shutdown.signal,
          }),
        ).then(() => outPath);
        renders.set(key, rendered);
        rendered.catch(() => renders.delete(key));
      }
      const source = await rendered;
      if (source !== videoPath(job.requestId)) await copyFile(source, videoPath(job.requestId));
      job.renderedAt = Date.now();
    } catch (error) {
      job.error = error instanceof FrameError ? error.message : `Video rendering failed: ${errorMessage(error)}`;
    }
  }

  function runningJobs(now: number): number {
    let running = 0;
    for (const job of jobs.values()) {
      const status = jobStatus(job, now, latencyMs);
      if (status === 'QUEUED' || status === 'PROCESSING') running += 1;
    }
    return running;
  }

  /** The submit, or the scripted fault for this attempt of this body. */
  function submitOrFault(res: ServerResponse, body: unknown): void {
    submitRequests += 1;
    if (!isPlainObject(body)) throw new HttpError(400, 'Request body must be a JSON object');
    const scenario = options.scenario?.(body) ?? {};
    // Counted per prompt: frame URLs are presigned afresh on every attempt.
    const key = String(body.prompt);
    const attempt = (submitAttempts.get(key) ?? 0) + 1;
    submitAttempts.set(key, attempt);
    const fault = scenario.submitFaults?.[attempt - 1];
    if (fault && 'kind' in fault && fault.kind.startsWith('accept-then-')) {
      submit(body, scenario);
      if (fault.kind === 'accept-then-reset') res.socket?.destroy();
      return;
    }
    if (fault) {
      applyHttpFault(res, fault as HttpFault);
      return;
    }
    if (options.maxConcurrentJobs !== undefined && runningJobs(Date.now()) >= options.maxConcurrentJobs) {
      const resetAt = new Date(Date.now() + Math.min(latencyMs, 2000) + 250).toISOString();
      res.writeHead(429, { 'content-type': 'application/json', 'x-rate-limit-reset-at-utc': resetAt });
      res.end(JSON.stringify({ error: 'Too many concurrent requests' }));
      return;
    }
    sendJson(res, 200, submit(body, scenario));
    peakConcurrent = Math.max(peakConcurrent, runningJobs(Date.now()));
  }

  function submit(body: Record<string, unknown>, scenario: EmulatorScenario): Record<string, unknown> {
    const parsed = parseSubmitBody(body);
    if (!parsed.ok) throw new HttpError(400, parsed.error);
    const job: Job = {
      requestId: randomUUID(),
      body,
      params: parsed.value,
      scenario,
      submittedAt: Date.now(),
      plannedFailure: scenario.fail ?? deferredRejection(parsed.value),
      statusReads: 0,
      resultReads: 0,
      videoReads: 0,
    };
    jobs.set(job.requestId, job);
    submissions += 1;
    // A job that will fail or never finish needs no video; skip the render.
    if (job.plannedFailure === undefined && !scenario.neverFinish) {
      const work = produceVideo(job).finally(() => inFlight.delete(work));
      inFlight.add(work);
    }
    const statusUrl = `${baseUrl}/v2/requests/${job.requestId}/status`;
    return {
      request_id: job.requestId,
      status: 'QUEUED',
      status_url: statusUrl,
      response_url: `${baseUrl}/v2/requests/${job.requestId}`,
      poll_url: statusUrl,
    };
  }

  function statusBody(id: string, withResult: boolean): { code: number; body: Record<string, unknown> } {
    const job = findJob(id);
    if (!job) return { code: 404, body: { error: 'Request not found' } };
    const status = jobStatus(job, Date.now(), latencyMs);
    if (status === 'FAILED') {
      return { code: 422, body: { request_id: id, status, error: jobError(job) } };
    }
    if (!withResult) return { code: 200, body: { request_id: id, status } };
    if (status !== 'COMPLETED') {
      return { code: 200, body: { request_id: id, status, output: null, metrics: null } };
    }
    return {
      code: 200,
      body: {
        request_id: id,
        status,
        output: shapeOutput(job.scenario.videoUrlOverride ?? videoUrl(id), job.scenario.outputShape),
        metrics: { inference_time: inferenceSeconds(job, latencyMs) },
      },
    };
  }

  async function serveVideo(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const path = videoPath(id);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new HttpError(404, 'File not found');
    const job = jobs.get(id);
    const fault = job ? job.scenario.videoFaults?.[job.videoReads++] : undefined;
    if (fault) {
      const head = Buffer.alloc(Math.min(info.size, 64 * 1024));
      const handle = createReadStream(path, { start: 0, end: head.length - 1 });
      let offset = 0;
      for await (const chunk of handle) offset += (chunk as Buffer).copy(head, offset);
      return applyVideoFault(res, fault, head, info.size, videoUrl(id));
    }
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': info.size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(createReadStream(path), res);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) throw new HttpError(405, `Method ${method} not allowed`);
    };

    const file = FILE_ROUTE.exec(pathname);
    if (file?.[1]) {
      allow('GET', 'HEAD');
      return serveVideo(req, res, file[1]);
    }
    if (!pathname.startsWith('/v2/')) throw new HttpError(404, 'Not found');
    if (req.headers['x-api-key'] !== apiKey) throw new HttpError(401, 'Invalid or missing API key');

    if (pathname === MODEL_PATH) {
      allow('POST');
      const body = await readJsonBody(req);
      return submitOrFault(res, body);
    }
    const statusMatch = STATUS_ROUTE.exec(pathname);
    const resultMatch = RESULT_ROUTE.exec(pathname);
    const id = statusMatch?.[1] ?? resultMatch?.[1];
    if (id) {
      allow('GET');
      const job = jobs.get(id);
      const fault = resultMatch
        ? job?.scenario.resultFaults?.[job.resultReads++]
        : job?.scenario.statusFaults?.[job.statusReads++];
      if (fault) return applyHttpFault(res, fault);
      const { code, body } = statusBody(id, resultMatch !== null);
      return sendJson(res, code, body);
    }
    // Segmind answers an id that was never issued with 404 too, whatever its format.
    if (pathname.startsWith('/v2/requests/')) throw new HttpError(404, 'Request not found');
    throw new HttpError(404, 'Not found');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) sendJson(res, error.status, { error: error.message });
      else sendJson(res, 500, { error: 'Internal server error' });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    submissions: () => submissions,
    submitRequests: () => submitRequests,
    peakConcurrentJobs: () => peakConcurrent,
    refuseConnections: async (ms: number) => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      await new Promise((resolve) => setTimeout(resolve, ms));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    jobs: () =>
      [...jobs.values()].map((job) => ({
        requestId: job.requestId,
        status: jobStatus(job, Date.now(), latencyMs),
        body: job.body,
      })),
    close: () => {
      closing ??= (async () => {
        shutdown.abort();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.allSettled([...inFlight]);
        await stopped;
      })();
      return closing;
    },
  };
}
