import type { ApiErrorCode } from '../lambdas/core/contract/apiErrors';
import { isRecord, type StatusView } from './views';

/** One field (or header, path or query parameter) a refusal names, with the rule it breaks. */
export interface ErrorDetail {
  field: string;
  rule: string;
}

export interface FramebridgeErrorInit {
  /** The HTTP status of the answer. */
  status: number;
  /** The answer's `error_code`: an API error code, a failed job's code, or one of the client's own. */
  code: string;
  message: string;
  details?: readonly ErrorDetail[];
  /** Seconds the server asked the client to wait (`Retry-After`), when it said. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * Every error the API answers, and every job that ended FAILED. Branch on the
 * subclass (`instanceof NotFoundError`) or on `code`, never on the message.
 */
export class FramebridgeError extends Error {
  override name = 'FramebridgeError';
  readonly status: number;
  readonly code: string;
  readonly details: readonly ErrorDetail[];
  readonly retryAfterSeconds: number | undefined;

  constructor(init: FramebridgeErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** `invalid_request` (400): a field, query parameter, path id or header breaks a rule; `details` names each. */
export class ValidationError extends FramebridgeError {
  override name = 'ValidationError';
}
/** `invalid_json` (400): the body is empty or not JSON. */
export class InvalidJsonError extends FramebridgeError {
  override name = 'InvalidJsonError';
}
/** `bad_request` (400): refused before any handler ran. */
export class BadRequestError extends FramebridgeError {
  override name = 'BadRequestError';
}
/** `unauthorized` (401): no API key was sent. */
export class UnauthorizedError extends FramebridgeError {
  override name = 'UnauthorizedError';
}
/** `forbidden` (403): the API key is unknown or revoked. */
export class ForbiddenError extends FramebridgeError {
  override name = 'ForbiddenError';
}
/** `not_found` (404): no such request for this key's tenant (another tenant's reads the same), or no such route. */
export class NotFoundError extends FramebridgeError {
  override name = 'NotFoundError';
}
/** `method_not_allowed` (405): a known path with a method it does not serve. */
export class MethodNotAllowedError extends FramebridgeError {
  override name = 'MethodNotAllowedError';
}
/** `conflict` (409): a cancel of a request that already finished. */
export class ConflictError extends FramebridgeError {
  override name = 'ConflictError';
}
/** `idempotency_conflict` (409): the Idempotency-Key was used before with another body. */
export class IdempotencyConflictError extends FramebridgeError {
  override name = 'IdempotencyConflictError';
}
/** `payload_too_large` (413): the body is over 10 MB. */
export class PayloadTooLargeError extends FramebridgeError {
  override name = 'PayloadTooLargeError';
}
/** `unsupported_media_type` (415): the body was not sent as JSON. */
export class UnsupportedMediaTypeError extends FramebridgeError {
  override name = 'UnsupportedMediaTypeError';
}
/** `tenant_limit_exceeded` (429): an active-job cap or daily quota; `retryAfterSeconds` says when to retry. */
export class TenantLimitExceededError extends FramebridgeError {
  override name = 'TenantLimitExceededError';
}
/** `throttled` (429): over the API's request rate. */
export class ThrottledError extends FramebridgeError {
  override name = 'ThrottledError';
}
/** `internal_error` (500): something failed on framebridge's side. */
export class InternalServerError extends FramebridgeError {
  override name = 'InternalServerError';
}
/** `bad_gateway` (502): the route's function crashed or gave no usable answer. */
export class BadGatewayError extends FramebridgeError {
  override name = 'BadGatewayError';
}
/** `gateway_timeout` (504): the route's function did not answer in time. */
export class GatewayTimeoutError extends FramebridgeError {
  override name = 'GatewayTimeoutError';
}

type ApiErrorClass = new (init: FramebridgeErrorInit) => FramebridgeError;

/**
 * The class of each API error code. `satisfies` makes the compiler refuse this
 * table when a code is added to or removed from the API's list
 * (lambdas/core/contract/apiErrors.ts), with no runtime import of the server's code.
 */
export const API_ERROR_CLASSES = {
  invalid_request: ValidationError,
  invalid_json: InvalidJsonError,
  bad_request: BadRequestError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  method_not_allowed: MethodNotAllowedError,
  conflict: ConflictError,
  idempotency_conflict: IdempotencyConflictError,
  payload_too_large: PayloadTooLargeError,
  unsupported_media_type: UnsupportedMediaTypeError,
  tenant_limit_exceeded: TenantLimitExceededError,
  throttled: ThrottledError,
  internal_error: InternalServerError,
  bad_gateway: BadGatewayError,
  gateway_timeout: GatewayTimeoutError,
} as const satisfies Record<ApiErrorCode, ApiErrorClass>;

/**
 * The code a bare HTTP status stands for, when the body is not framebridge's
 * (a proxy's HTML page, a wrong base URL): the caller still gets a typed error.
 */
const CODE_OF_STATUS: Readonly<Record<number, ApiErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'throttled',
  500: 'internal_error',
  502: 'bad_gateway',
  504: 'gateway_timeout',
};

/** The client's own code for an answer it cannot read as the API's. */
export const UNEXPECTED_RESPONSE = 'unexpected_response';

const isApiErrorCode = (code: string): code is ApiErrorCode => Object.hasOwn(API_ERROR_CLASSES, code);

function detailsOf(value: unknown): ErrorDetail[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) =>
    isRecord(item) && typeof item.field === 'string' && typeof item.rule === 'string'
      ? [{ field: item.field, rule: item.rule }]
      : [],
  );
}

/** Seconds from a `Retry-After` header: a number of seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * The typed error for an error answer. The body is read in Segmind's shape
 * (`{error, error_code, details}`); a body without a known code is typed by
 * its HTTP status, so a `catch (e) { if (e instanceof NotFoundError) … }` holds
 * whoever answered.
 */
export function errorFromAnswer(status: number, body: unknown, retryAfter: string | null): FramebridgeError {
  const retryAfterSeconds = parseRetryAfter(retryAfter);
  const fields = isRecord(body) ? body : {};
  const message =
    typeof fields.error === 'string' && fields.error
      ? fields.error
      : `HTTP ${status}${typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : ''}`;
  const sentCode = typeof fields.error_code === 'string' ? fields.error_code : undefined;
  const code = sentCode ?? CODE_OF_STATUS[status] ?? UNEXPECTED_RESPONSE;
  const init = { status, code, message, details: detailsOf(fields.details), retryAfterSeconds };
  return isApiErrorCode(code) ? new API_ERROR_CLASSES[code](init) : new FramebridgeError(init);
}

/** The job ended FAILED. `code` is the job's `error_code` (`upstream_failed`, `cancelled`, …); `job` its status body. */
export class JobFailedError extends FramebridgeError {
  override name = 'JobFailedError';
  readonly job: StatusView;

  constructor(job: StatusView) {
    super({
      status: 422,
      code: job.error_code ?? 'failed',
      message: job.error ?? `Request ${job.request_id} failed`,
    });
    this.job = job;
  }

  get requestId(): string {
    return this.job.request_id;
  }
}

/** `wait` gave up after its `timeoutMs`; the job may still finish. `lastStatus` is the last state seen. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  readonly requestId: string;
  readonly timeoutMs: number;
  readonly lastStatus: StatusView | undefined;

  constructor(requestId: string, timeoutMs: number, lastStatus: StatusView | undefined) {
    super(
      `Request ${requestId} did not finish within ${timeoutMs} ms${lastStatus ? ` (last seen ${lastStatus.status}, ${lastStatus.phase})` : ''}`,
    );
    this.requestId = requestId;
    this.timeoutMs = timeoutMs;
    this.lastStatus = lastStatus;
  }
}
