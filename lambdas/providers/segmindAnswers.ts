import * as z from 'zod/mini';
import '../core/zodMini';
import { UPSTREAM_STATUS_TABLE, type UpstreamStatus, upstreamStatuses } from '../core/contract/upstreamStatus';
import {
  InvalidUpstreamOutputError,
  SubmitOutcomeUnknownError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamUnavailableError,
} from '../core/errors';
import { redactSecrets } from '../core/redact';
import { decodeJson, parseVideoUrl, summarizeForMessage, truncate } from './segmindOutput';
import { type Answer, type BodyRead, describeTransportError, MAX_BODY_BYTES } from './segmindTransport';

/** One operation against Segmind, as its answers are read and quoted. */
export interface Exchange {
  /** Used in messages: "the submit", "the status of Segmind request X". */
  what: string;
  requestId?: string;
  /** Redacted from any upstream text we quote. */
  apiKey: string;
  timeoutMs: number;
}

export interface StatusAnswer {
  status: UpstreamStatus;
  error?: string;
}

export interface ResultAnswer extends StatusAnswer {
  /** The absolute URL of the MP4, when COMPLETED. */
  videoUrl?: string;
  metrics?: Record<string, unknown>;
}

const MAX_DETAIL_CHARS = 500;
const RESET_AT_HEADER = 'x-rate-limit-reset-at-utc';
const FAILED_WITHOUT_REASON = 'Segmind reported the job FAILED without a reason';

/** Exactly the statuses of the contract's status table, however Segmind cases or pads them. */
const upstreamStatus = z.pipe(z.string().check(z.trim(), z.toUpperCase()), z.enum(upstreamStatuses));

/** Ids are used as a path segment: dot segments would be resolved away by URL parsing. */
export const requestIdSchema = z
  .string()
  .check(z.minLength(1))
  .check(z.maxLength(256))
  .check(z.refine((id) => !/^(\.|%2e){1,2}$/i.test(id), 'a request id cannot be a dot segment'));

const submitAnswer = z.object({ request_id: requestIdSchema, status: z.optional(z.string()) });
/** Statuses meaning "accepted, poll it"; Segmind documents QUEUED, the others are tolerated. */
const ACCEPTED_SUBMIT_STATUSES = new Set(['QUEUED', 'PENDING', 'IN_QUEUE', 'PROCESSING']);

const statusAnswer = z.object({ status: upstreamStatus, error: z.optional(z.unknown()) });
const resultAnswer = z.object({
  status: upstreamStatus,
  output: z.optional(z.unknown()),
  metrics: z.optional(z.unknown()),
  error: z.optional(z.unknown()),
});
const jsonObject = z.record(z.string(), z.unknown());

/** The request id of an accepted (2xx) submit; anything short of one is an unknown outcome. */
export function acceptedSubmit(answer: Answer, exchange: Exchange): { requestId: string; status: 'QUEUED' } {
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

/** A status read answered 2xx or 422. */
export function statusFrom(answer: Answer, exchange: Exchange): StatusAnswer {
  if (answer.httpStatus === 422) return failedJob(answer.body, exchange);
  const parsed = statusAnswer.safeParse(successBody(answer, exchange));
  if (!parsed.success) throw invalidBody(answer.body, exchange, parsed.error);
  return withError(parsed.data.status, parsed.data.error, exchange);
}

/** A result read answered 2xx or 422; a finished one (COMPLETED) must hold a video URL. */
export function resultFrom(answer: Answer, exchange: Exchange): ResultAnswer {
  if (answer.httpStatus === 422) return failedJob(answer.body, exchange);
  const parsed = resultAnswer.safeParse(successBody(answer, exchange));
  if (!parsed.success) throw invalidBody(answer.body, exchange, parsed.error);
  const { status, output, metrics, error } = parsed.data;
  if (UPSTREAM_STATUS_TABLE[status].next !== 'copy') return withError(status, error, exchange);
  const videoUrl = parseVideoUrl(output);
  const metricsObject = jsonObject.safeParse(metrics);
  return metricsObject.success ? { status, videoUrl, metrics: metricsObject.data } : { status, videoUrl };
}

/** Maps an answered 4xx/5xx that is not specific to one operation. */
export function failureError(answer: Answer, exchange: Exchange): Error {
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

function invalidBody(body: BodyRead, exchange: Exchange, error: z.core.$ZodError): InvalidUpstreamOutputError {
  const received = body.ok ? quoteBody(body.text, exchange) : 'an unreadable body';
  return new InvalidUpstreamOutputError(
    `Segmind's answer to ${exchange.what} is not usable (${z.prettifyError(error).replaceAll('\n', ' ')}); received ${received}`,
  );
}

/** Segmind serves FAILED as HTTP 422. */
function failedJob(body: BodyRead, exchange: Exchange): { status: 'FAILED'; error: string } {
  return { status: 'FAILED', error: upstreamDetail(body, exchange) ?? FAILED_WITHOUT_REASON };
}

/** A status that ends the job carries Segmind's reason. */
function withError(status: UpstreamStatus, error: unknown, exchange: Exchange): StatusAnswer {
  if (UPSTREAM_STATUS_TABLE[status].next !== 'fail') return { status };
  return { status, error: detailText(error, exchange) ?? FAILED_WITHOUT_REASON };
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
