import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { UPSTREAM_STATUS_TABLE, type UpstreamStatus } from '../../lambdas/core/contract';
import { applyHttpFault, applyVideoFault, type HttpFault } from './faults';
import { HttpError, isPlainObject, readJsonBody, sendJson } from './http';
import type { JobStore } from './jobStore';
import {
  type EmulatorScenario,
  type Job,
  jobError,
  jobMetrics,
  type MetricsShape,
  scenarioTiming,
  shapeOutput,
} from './jobs';
import { type RequestRateLimiter, sendTooManyRequests } from './rateLimit';
import { deferredRejection, parseSubmitBody } from './request';

const MODEL_PATH = '/v2/pixverse-5-transition';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const STATUS_ROUTE = new RegExp(`^/v2/requests/(${UUID})/status$`);
const RESULT_ROUTE = new RegExp(`^/v2/requests/(${UUID})$`);
const FILE_ROUTE = new RegExp(`^/files/(${UUID})\\.mp4$`);
/** What a submit answers: every job starts queued. */
const SUBMITTED: UpstreamStatus = 'QUEUED';

export interface RouteContext {
  store: JobStore;
  /** The `x-api-key` value required on /v2 routes. */
  apiKey: string;
  /** The base URL the server answers on, known once it listens. */
  baseUrl: () => string;
  videoPath: (id: string) => string;
  scenario?: (request: Record<string, unknown>) => EmulatorScenario | undefined;
  maxConcurrentJobs?: number;
  /** Counts every authenticated /v2 request and refuses those beyond its per-minute limit. */
  rateLimiter: RequestRateLimiter;
  /** What a finished job's `metrics` carry. */
  metrics: MetricsShape;
}

const videoUrl = (context: RouteContext, id: string) => `${context.baseUrl()}/files/${id}.mp4`;

/** Segmind's v2 queue API for one model, plus the rendered files; everything else is 404. */
export async function route(context: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname } = new URL(req.url ?? '/', 'http://emulator');
  const method = req.method ?? 'GET';
  const allow = (...methods: string[]) => {
    if (!methods.includes(method)) throw new HttpError(405, `Method ${method} not allowed`);
  };

  const file = FILE_ROUTE.exec(pathname);
  if (file?.[1]) {
    allow('GET', 'HEAD');
    return serveVideo(context, req, res, file[1]);
  }
  if (!pathname.startsWith('/v2/')) throw new HttpError(404, 'Not found');
  if (req.headers['x-api-key'] !== context.apiKey) throw new HttpError(401, 'Invalid or missing API key');
  const admission = context.rateLimiter.admit(Date.now());
  if (!admission.admitted) {
    if (pathname === MODEL_PATH && method === 'POST') context.store.submitRequests += 1;
    return sendTooManyRequests(res, admission.resetAt, 'Too many requests per minute');
  }

  if (pathname === MODEL_PATH) {
    allow('POST');
    const body = await readJsonBody(req);
    return submitOrFault(context, res, body);
  }
  const statusMatch = STATUS_ROUTE.exec(pathname);
  const resultMatch = RESULT_ROUTE.exec(pathname);
  const id = statusMatch?.[1] ?? resultMatch?.[1];
  if (id) {
    allow('GET');
    const job = context.store.get(id);
    if (job && resultMatch) job.resultRequests += 1;
    else if (job) job.statusRequests += 1;
    const fault = resultMatch
      ? job?.scenario.resultFaults?.[job.resultReads++]
      : job?.scenario.statusFaults?.[job.statusReads++];
    if (fault) return applyHttpFault(res, fault);
    const { code, body } = statusBody(context, id, resultMatch !== null);
    return sendJson(res, code, body);
  }
  // Segmind answers an id that was never issued with 404 too, whatever its format.
  if (pathname.startsWith('/v2/requests/')) throw new HttpError(404, 'Request not found');
  throw new HttpError(404, 'Not found');
}

/** The submit, or the scripted fault for this attempt of this body. */
function submitOrFault(context: RouteContext, res: ServerResponse, body: unknown): void {
  const { store } = context;
  store.submitRequests += 1;
  if (!isPlainObject(body)) throw new HttpError(400, 'Request body must be a JSON object');
  const scenario = context.scenario?.(body) ?? {};
  if (scenario.rejectSubmit !== undefined) throw new HttpError(400, scenario.rejectSubmit);
  // Counted per prompt: frame URLs are presigned afresh on every attempt.
  const attempt = store.nextAttempt(String(body.prompt));
  const fault = scenario.submitFaults?.[attempt - 1];
  if (fault && 'kind' in fault && fault.kind.startsWith('accept-then-')) {
    submit(context, body, scenario);
    if (fault.kind === 'accept-then-reset') res.socket?.destroy();
    if (fault.kind === 'accept-then-answer') applyHttpFault(res, { status: fault.status, body: fault.body });
    return;
  }
  if (fault) {
    applyHttpFault(res, fault as HttpFault);
    return;
  }
  if (context.maxConcurrentJobs !== undefined && store.running(Date.now()) >= context.maxConcurrentJobs) {
    store.concurrencyRefusals += 1;
    // A running job may finish any moment: suggest a retry within its latency.
    sendTooManyRequests(res, Date.now() + Math.min(store.typicalLatencyMs, 2000) + 250, 'Too many concurrent requests');
    return;
  }
  sendJson(res, 200, submit(context, body, scenario));
  store.notePeak();
}

/** Accepts a job (and bills it) or answers 400 naming the first bad field. */
function submit(
  context: RouteContext,
  body: Record<string, unknown>,
  scenario: EmulatorScenario,
): Record<string, unknown> {
  const parsed = parseSubmitBody(body);
  if (!parsed.ok) throw new HttpError(400, parsed.error);
  const job: Job = {
    requestId: randomUUID(),
    body,
    params: parsed.value,
    scenario,
    submittedAt: Date.now(),
    ...scenarioTiming(context.store.latencyFor(body), scenario),
    plannedFailure: scenario.fail ?? deferredRejection(parsed.value),
    statusReads: 0,
    resultReads: 0,
    videoReads: 0,
    statusRequests: 0,
    resultRequests: 0,
  };
  context.store.add(job);
  const baseUrl = context.baseUrl();
  const statusUrl = `${baseUrl}/v2/requests/${job.requestId}/status`;
  return {
    request_id: job.requestId,
    status: SUBMITTED,
    status_url: statusUrl,
    response_url: `${baseUrl}/v2/requests/${job.requestId}`,
    poll_url: statusUrl,
  };
}

/** The status (or result) answer, shaped by where the status leads in the contract's status table. */
function statusBody(
  context: RouteContext,
  id: string,
  withResult: boolean,
): { code: number; body: Record<string, unknown> } {
  const job = context.store.find(id);
  if (!job) return { code: 404, body: { error: 'Request not found' } };
  const status = context.store.statusOf(job);
  const { next } = UPSTREAM_STATUS_TABLE[status];
  if (next === 'fail') {
    return { code: 422, body: { request_id: id, status, error: jobError(job) } };
  }
  if (!withResult) return { code: 200, body: { request_id: id, status } };
  if (next !== 'copy') {
    return { code: 200, body: { request_id: id, status, output: null, metrics: null } };
  }
  return {
    code: 200,
    body: {
      request_id: id,
      status,
      output: shapeOutput(job.scenario.videoUrlOverride ?? videoUrl(context, id), job.scenario.outputShape),
      metrics: jobMetrics(job, context.metrics),
    },
  };
}

async function serveVideo(context: RouteContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const path = context.videoPath(id);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new HttpError(404, 'File not found');
  const job = context.store.get(id);
  const fault = job ? job.scenario.videoFaults?.[job.videoReads++] : undefined;
  if (fault) {
    const head = Buffer.alloc(Math.min(info.size, 64 * 1024));
    const handle = createReadStream(path, { start: 0, end: head.length - 1 });
    let offset = 0;
    for await (const chunk of handle) offset += (chunk as Buffer).copy(head, offset);
    return applyVideoFault(res, fault, head, info.size, videoUrl(context, id));
  }
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': info.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(path), res);
}
