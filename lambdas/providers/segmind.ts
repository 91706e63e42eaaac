import * as z from 'zod';
import {
  InvalidUpstreamOutputError,
  SubmitOutcomeUnknownError,
  UpstreamExpiredError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamUnavailableError,
} from '../core/errors';
import { redactSecrets } from '../core/redact';
import { decodeJson, parseVideoUrl, summarizeForMessage, truncate } from './segmindOutput';

export const SEGMIND_MODEL_PATH = '/v2/pixverse-5-transition';

export interface SegmindClientOptions {
  /** e.g. `https://api.segmind.com` or `http://127.0.0.1:PORT`; a trailing slash is ignored. */
  baseUrl: string;
  /** Resolved lazily (Secrets Manager in AWS) and called per request: the caller caches. */
  apiKey: () => Promise<string>;
  /** Per request, body included. @default 20_000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetchImpl?: typeof fetch;
}

export type UpstreamStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

export type TransportFailure = 'not-sent' | 'maybe-sent';

const DEFAULT_TIMEOUT_MS = 20_000;
/** Segmind's answers are small JSON documents; anything bigger is not one of them. */
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_DETAIL_CHARS = 500;
const RESET_AT_HEADER = 'x-rate-limit-reset-at-utc';

const upstreamStatus = z
  .string()
  .trim()
  .toUpperCase()
  .pipe(z.enum(['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED']));

/** Ids are used as a path segment: dot segments would be resolved away by URL parsing. */
const requestIdSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((id) => !/^(\.|%2e){1,2}$/i.test(id), 'a request id cannot be a dot segment');

const submitAnswer = z.object({ request_id: requestIdSchema, status: z.string().optional() });
/** Statuses meaning "accepted, poll it"; Segmind documents QUEUED, the others are tolerated. */
const ACCEPTED_SUBMIT_STATUSES = new Set(['QUEUED', 'PENDING', 'IN_QUEUE', 'PROCESSING']);

const statusAnswer = z.object({ status: upstreamStatus, error: z.unknown().optional() });
const resultAnswer = z.object({
  status: upstreamStatus,
  output: z.unknown().optional(),
  metrics: z.unknown().optional(),
  error: z.unknown().optional(),
});
const jsonObject = z.record(z.string(), z.unknown());

const optionsSchema = z.object({
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'baseUrl must be an absolute http(s) URL' })
    .refine((url) => !/[?#]/.test(url), 'baseUrl must not hold a query or fragment'),
  timeoutMs: z.number().int().positive().max(900_000).default(DEFAULT_TIMEOUT_MS),
});

/**
 * Transport error codes raised before any byte of the request reached the upstream.
 * Everything else (resets, closed sockets, timeouts, aborts) may have been sent.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'HOSTNAME_MISMATCH',
]);
/** Node tags failures of these calls with `syscall`: they happen before a connection exists. */
const NOT_SENT_SYSCALLS = new Set(['connect', 'getaddrinfo']);
const MAX_CAUSE_DEPTH = 8;

/** The fields of Node and undici errors we look at; anything else is ignored. */
const transportFields = z.object({
  name: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  code: z.string().optional().catch(undefined),
  syscall: z.string().optional().catch(undefined),
  errors: z.array(z.unknown()).optional().catch(undefined),
  cause: z.unknown().optional(),
});

/**
 * Whether a failed fetch may have delivered the request. Looks through undici's
 * `TypeError('fetch failed')`, its `cause` chain and AggregateError's `errors` (Node's
 * happy-eyeballs connect) for a code known to happen before sending. Unknown → 'maybe-sent'.
 */
export function classifyTransportError(error: unknown): TransportFailure {
  return classifyAt(error, 0);
}

function classifyAt(error: unknown, depth: number): TransportFailure {
  if (depth > MAX_CAUSE_DEPTH || typeof error !== 'object' || error === null) return 'maybe-sent';
  const fields = transportFields.safeParse(error);
  if (!fields.success) return 'maybe-sent';
  const { name, code, syscall, errors, cause } = fields.data;
  // Our own timeout or abort may fire while the request is in flight.
  if (name === 'TimeoutError' || name === 'AbortError') return 'maybe-sent';
  if (errors !== undefined && errors.length > 0) {
    return errors.every((nested) => classifyAt(nested, depth + 1) === 'not-sent') ? 'not-sent' : 'maybe-sent';
  }
  if (code !== undefined && NOT_SENT_CODES.has(code)) return 'not-sent';
  if (syscall !== undefined && NOT_SENT_SYSCALLS.has(syscall)) return 'not-sent';
  return cause === undefined ? 'maybe-sent' : classifyAt(cause, depth + 1);
}

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)" — for messages. */
function describeTransportError(error: unknown, depth = 0): string {
  const fields = transportFields.safeParse(error);
  if (depth > MAX_CAUSE_DEPTH || !fields.success) return String(error);
  const { name, message, code, errors, cause } = fields.data;
  const parts = [message || name || 'unknown error'];
  if (code !== undefined && !parts[0]?.includes(code)) parts[0] = `${parts[0]} (${code})`;
  if (errors !== undefined && errors.length > 0) {
    parts.push(`[${errors.map((nested) => describeTransportError(nested, depth + 1)).join('; ')}]`);
  } else if (cause !== undefined) {
    parts.push(describeTransportError(cause, depth + 1));
  }
  return parts.join(': ');
}

type BodyRead =
  | { ok: true; text: string }
  | { ok: false; reason: 'too-large' }
  | { ok: false; reason: 'unreadable'; error: unknown };

interface Answer {
  httpStatus: number;
  headers: Headers;
  body: BodyRead;
}

/** A fetch that failed before an answer (status line) came back. */
class NoAnswer {
  constructor(
    readonly error: unknown,
    readonly timedOut: boolean,
  ) {}
}

interface Exchange {
  /** Used in messages: "the submit", "the status of Segmind request X". */
  what: string;
  requestId?: string;
  /** Redacted from any upstream text we quote. */
  apiKey: string;
  timeoutMs: number;
}

export class SegmindClient {
  readonly #baseUrl: string;
  readonly #apiKey: () => Promise<string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: SegmindClientOptions) {
    const parsed = optionsSchema.safeParse({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs });
    if (!parsed.success) {
      throw new TypeError(`Invalid SegmindClientOptions: ${z.prettifyError(parsed.error)}`);
    }
    this.#baseUrl = parsed.data.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = parsed.data.timeoutMs;
    this.#apiKey = options.apiKey;
    // Resolved at call time so a fetch replaced after construction is still used.
    this.#fetch = options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  /**
   * Starts a paid job. Throws SubmitOutcomeUnknownError whenever the upstream may have
   * accepted it without us learning the request id: Segmind has no idempotency, so a
   * retry could bill the user twice.
   */
  async submit(body: Record<string, unknown>): Promise<{ requestId: string; status: 'QUEUED' }> {
    const exchange = await this.#exchange('the submit');
    const answer = await this.#send(SEGMIND_MODEL_PATH, exchange, 'POST', {
      body: JSON.stringify(body),
      // No pooled socket outlives a submit: one gone stale (e.g. across a frozen Lambda)
      // fails the next submit with a reset, which we would have to treat as possibly sent.
      headers: { 'content-type': 'application/json', connection: 'close' },
    });
    if (answer instanceof NoAnswer) {
      if (!answer.timedOut && classifyTransportError(answer.error) === 'not-sent') {
        throw new UpstreamUnavailableError(
          `Could not reach Segmind for the submit (the request was not sent, retrying is safe): ${describeTransportError(answer.error)}`,
          { cause: answer.error },
        );
      }
      const failure = answer.timedOut
        ? `Segmind did not answer the submit within ${exchange.timeoutMs} ms`
        : `The submit to Segmind failed after it may have been sent (${describeTransportError(answer.error)})`;
      throw new SubmitOutcomeUnknownError(
        `${failure}; Segmind may have accepted and billed the job, so it is not retried.`,
        { cause: answer.error },
      );
    }
    const { httpStatus } = answer;
    if (httpStatus >= 200 && httpStatus < 300) return acceptedSubmit(answer, exchange);
    if (httpStatus >= 400 && httpStatus < 600) throw failureError(answer, exchange);
    throw new SubmitOutcomeUnknownError(
      `Segmind answered the submit with HTTP ${httpStatus}${httpStatus < 400 ? ' (redirects are not followed)' : ''}; it may have accepted and billed the job, so it is not retried.`,
    );
  }

  /** Reads a job's state. Every failure here is safe to retry except 404 (record expired). */
  async status(requestId: string): Promise<{ status: UpstreamStatus; error?: string }> {
    const id = requireRequestId(requestId);
    const exchange = await this.#exchange(`the status of Segmind request ${id}`, id);
    const answer = await this.#read(`/v2/requests/${encodeURIComponent(id)}/status`, exchange);
    if (answer.httpStatus === 422) return failedJob(answer.body, exchange);
    const parsed = statusAnswer.safeParse(successBody(answer, exchange));
    if (!parsed.success) throw invalidBody(answer.body, exchange, parsed.error);
    return withError(parsed.data.status, parsed.data.error, exchange);
  }

  /** Reads a job's outcome; when COMPLETED, `videoUrl` is the absolute URL of the MP4. */
  async result(requestId: string): Promise<{
    status: UpstreamStatus;
    videoUrl?: string;
    metrics?: Record<string, unknown>;
    error?: string;
  }> {
    const id = requireRequestId(requestId);
    const exchange = await this.#exchange(`the result of Segmind request ${id}`, id);
    const answer = await this.#read(`/v2/requests/${encodeURIComponent(id)}`, exchange);
    if (answer.httpStatus === 422) return failedJob(answer.body, exchange);
    const parsed = resultAnswer.safeParse(successBody(answer, exchange));
    if (!parsed.success) throw invalidBody(answer.body, exchange, parsed.error);
    const { status, output, metrics, error } = parsed.data;
    if (status !== 'COMPLETED') return withError(status, error, exchange);
    const videoUrl = parseVideoUrl(output);
    const metricsObject = jsonObject.safeParse(metrics);
    return metricsObject.success ? { status, videoUrl, metrics: metricsObject.data } : { status, videoUrl };
  }

  async #exchange(what: string, requestId?: string): Promise<Exchange> {
    const apiKey = (await this.#apiKey()).trim();
    // fetch would quote an invalid header value in its error message: check it ourselves.
    if (!/^[\x20-\x7e]+$/.test(apiKey)) {
      throw new TypeError('The Segmind API key is empty or holds characters not allowed in an HTTP header');
    }
    return { what, requestId, apiKey, timeoutMs: this.#timeoutMs };
  }

  /** GET with the read-side mapping: anything but a usable answer is retryable. */
  async #read(path: string, exchange: Exchange): Promise<Answer> {
    const answer = await this.#send(path, exchange, 'GET', {});
    if (answer instanceof NoAnswer) {
      const reason = answer.timedOut
        ? `no answer within ${exchange.timeoutMs} ms`
        : describeTransportError(answer.error);
      throw new UpstreamUnavailableError(`Could not read ${exchange.what}: ${reason}`, { cause: answer.error });
    }
    const { httpStatus } = answer;
    if (httpStatus === 404) {
      throw new UpstreamExpiredError(
        `Segmind does not know request ${exchange.requestId}: the id is unknown or its record expired (Segmind keeps request records for 1 hour after submission).`,
      );
    }
    if (httpStatus === 422 || (httpStatus >= 200 && httpStatus < 300)) return answer;
    if (httpStatus >= 400 && httpStatus < 600) throw failureError(answer, exchange);
    throw new UpstreamUnavailableError(`Segmind answered ${exchange.what} with unexpected HTTP ${httpStatus}`, {
      httpStatus,
    });
  }

  async #send(
    path: string,
    exchange: Exchange,
    method: 'GET' | 'POST',
    request: { body?: string; headers?: Record<string, string> },
  ): Promise<Answer | NoAnswer> {
    const signal = AbortSignal.timeout(exchange.timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        body: request.body,
        headers: { ...request.headers, accept: 'application/json', 'x-api-key': exchange.apiKey },
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      return new NoAnswer(error, signal.aborted);
    }
    if (response.status >= 300 && response.status < 400) {
      // Redirects are never followed; the body is of no use.
      await response.body?.cancel().catch(() => undefined);
      return { httpStatus: response.status, headers: response.headers, body: { ok: true, text: '' } };
    }
    return { httpStatus: response.status, headers: response.headers, body: await readBoundedText(response) };
  }
}

async function readBoundedText(response: Response): Promise<BodyRead> {
  if (response.body === null) return { ok: true, text: '' };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: 'too-large' };
      }
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    return { ok: false, reason: 'unreadable', error };
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

function acceptedSubmit(answer: Answer, exchange: Exchange): { requestId: string; status: 'QUEUED' } {
  const { httpStatus, body } = answer;
  const unknownOutcome = (why: string, cause?: unknown) =>
    new SubmitOutcomeUnknownError(
      `Segmind answered the submit with HTTP ${httpStatus} ${why}; it may have accepted and billed the job, so it is not retried.`,
      { cause },
    );
  if (!body.ok) {
    throw body.reason === 'too-large'
      ? unknownOutcome(`but its body exceeds ${MAX_BODY_BYTES} bytes`)
      : unknownOutcome(`but its body could not be read (${describeTransportError(body.error)})`, body.error);
  }
  const parsed = submitAnswer.safeParse(decodeJson(body.text));
  if (!parsed.success) {
    throw unknownOutcome(`without a usable request_id (received ${quoteBody(body.text, exchange)})`);
  }
  const { request_id: requestId, status } = parsed.data;
  if (status !== undefined && !ACCEPTED_SUBMIT_STATUSES.has(status.trim().toUpperCase())) {
    throw unknownOutcome(`with request_id ${requestId} in unexpected status ${quoteText(status, exchange, 50)}`);
  }
  return { requestId, status: 'QUEUED' };
}

/** Maps an answered 4xx/5xx that is not specific to one operation. */
function failureError(answer: Answer, exchange: Exchange): Error {
  const { httpStatus } = answer;
  const detail = upstreamDetail(answer.body, exchange);
  const suffix = detail === undefined ? '' : `: ${detail}`;
  if (httpStatus === 429) {
    const resetAt = parseResetAt(answer.headers.get(RESET_AT_HEADER));
    const when = resetAt === undefined ? '' : ` until ${resetAt.toISOString()}`;
    return new UpstreamThrottledError(`Segmind throttled ${exchange.what} (HTTP 429)${when}${suffix}`, resetAt);
  }
  if (httpStatus >= 500) {
    return new UpstreamUnavailableError(`Segmind failed to answer ${exchange.what} (HTTP ${httpStatus})${suffix}`, {
      httpStatus,
    });
  }
  if (UpstreamRejectedError.isRejectionStatus(httpStatus)) {
    return new UpstreamRejectedError(httpStatus, `Segmind rejected ${exchange.what} (HTTP ${httpStatus})${suffix}`);
  }
  return new UpstreamRejectedError(
    400,
    `Segmind rejected ${exchange.what} with unexpected HTTP ${httpStatus}${suffix}`,
  );
}

/** The body of a 2xx read answer, decoded; anything unusable is the upstream's fault. */
function successBody(answer: Answer, exchange: Exchange): unknown {
  const { body } = answer;
  if (!body.ok && body.reason === 'unreadable') {
    throw new UpstreamUnavailableError(
      `Could not read the body of ${exchange.what}: ${describeTransportError(body.error)}`,
      { cause: body.error },
    );
  }
  if (!body.ok) {
    throw new InvalidUpstreamOutputError(`Segmind's answer to ${exchange.what} exceeds ${MAX_BODY_BYTES} bytes`);
  }
  return decodeJson(body.text);
}

function invalidBody(body: BodyRead, exchange: Exchange, error: z.ZodError): InvalidUpstreamOutputError {
  const received = body.ok ? quoteBody(body.text, exchange) : 'an unreadable body';
  return new InvalidUpstreamOutputError(
    `Segmind's answer to ${exchange.what} is not usable (${z.prettifyError(error).replaceAll('\n', ' ')}); received ${received}`,
  );
}

function failedJob(body: BodyRead, exchange: Exchange): { status: 'FAILED'; error: string } {
  return {
    status: 'FAILED',
    error: upstreamDetail(body, exchange) ?? 'Segmind reported the job FAILED without a reason',
  };
}

function withError(
  status: UpstreamStatus,
  error: unknown,
  exchange: Exchange,
): { status: UpstreamStatus; error?: string } {
  if (status !== 'FAILED') return { status };
  const text = detailText(error, exchange);
  return { status, error: text ?? 'Segmind reported the job FAILED without a reason' };
}

/**
 * Segmind's own words from an error body: its `error`, `message` or `detail` field, or
 * the raw text of a body that is not a JSON object (a gateway's plain-text page).
 */
function upstreamDetail(body: BodyRead, exchange: Exchange): string | undefined {
  if (!body.ok) return undefined;
  const decoded = jsonObject.safeParse(decodeJson(body.text));
  if (decoded.success) {
    for (const key of ['error', 'message', 'detail'] as const) {
      const text = detailText(decoded.data[key], exchange);
      if (text !== undefined) return text;
    }
    return undefined;
  }
  const raw = body.text.trim();
  return raw === '' ? undefined : quoteText(raw, exchange, MAX_DETAIL_CHARS);
}

function detailText(value: unknown, exchange: Exchange): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return quoteText(text, exchange, MAX_DETAIL_CHARS);
}

function quoteBody(text: string, exchange: Exchange): string {
  return summarizeForMessage(redact(text, exchange.apiKey));
}

function quoteText(text: string, exchange: Exchange, maxChars: number): string {
  return truncate(redact(text, exchange.apiKey), maxChars);
}

/** Upstream text is quoted in our messages, and some APIs echo the key they refused. */
function redact(text: string, apiKey: string): string {
  // Segmind may echo the presigned frame URLs we sent: their signatures go too.
  return redactSecrets(text, [apiKey]);
}

/** `x-rate-limit-reset-at-utc`: ISO 8601 (UTC if no offset) or epoch seconds. */
export function parseResetAt(header: string | null): Date | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  let millis: number;
  if (/^\d+(\.\d+)?$/.test(value)) {
    millis = Number(value) * 1000;
  } else if (/^\d{4}-\d{2}-\d{2}(T|$)/.test(value)) {
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) || !value.includes('T');
    millis = Date.parse(hasOffset ? value : `${value}Z`);
  } else {
    return undefined;
  }
  return Number.isFinite(millis) ? new Date(millis) : undefined;
}

function requireRequestId(requestId: string): string {
  const parsed = requestIdSchema.safeParse(requestId);
  if (!parsed.success) {
    throw new TypeError(
      `Invalid Segmind request id ${summarizeForMessage(requestId, 60)}: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}
