/**
 * Typed errors. The state machine retries and catches on `name`, so every class
 * sets it explicitly (minifiers rename classes). `code` is what a user sees on a
 * failed job; `retryable` documents how the workflow treats it.
 */

export type JobFailureCode =
  | 'invalid_request'
  | 'upstream_bad_request'
  | 'upstream_unauthorized'
  | 'upstream_forbidden'
  | 'upstream_insufficient_credits'
  | 'upstream_model_retired'
  | 'upstream_throttled'
  | 'upstream_unavailable'
  | 'submit_outcome_unknown'
  | 'upstream_expired'
  | 'upstream_failed'
  | 'upstream_timeout'
  | 'invalid_upstream_output'
  | 'video_rejected'
  | 'video_download_failed'
  | 'timeout'
  | 'cancelled'
  | 'internal_error';

abstract class FramebridgeError extends Error {
  abstract readonly code: JobFailureCode;
  abstract readonly retryable: boolean;
}

/** The request broke a rule; `issues` name each field and rule. Never retried. */
export class ValidationError extends FramebridgeError {
  override readonly name = 'ValidationError';
  readonly code = 'invalid_request';
  readonly retryable = false;
  constructor(
    message: string,
    readonly issues: readonly { field: string; rule: string }[] = [],
  ) {
    super(message);
  }
}

const rejectionCodes = {
  400: 'upstream_bad_request',
  401: 'upstream_unauthorized',
  403: 'upstream_forbidden',
  406: 'upstream_insufficient_credits',
  410: 'upstream_model_retired',
} as const satisfies Record<number, JobFailureCode>;
export type UpstreamRejectionStatus = keyof typeof rejectionCodes;

/** Segmind refused the request (400/401/403/406/410): retrying cannot help. */
export class UpstreamRejectedError extends FramebridgeError {
  override readonly name = 'UpstreamRejectedError';
  readonly retryable = false;
  readonly code: JobFailureCode;
  constructor(
    readonly httpStatus: UpstreamRejectionStatus,
    message: string,
  ) {
    // The status travels in the message: Lambda serialises only name and message,
    // and the failure path needs it to pick the code.
    super(`Segmind rejected the request (HTTP ${httpStatus}): ${message}`);
    this.code = rejectionCodes[httpStatus];
  }
  static isRejectionStatus(status: number): status is UpstreamRejectionStatus {
    return status in rejectionCodes;
  }
  static codeFromMessage(message: string): JobFailureCode {
    const status = Number(/\(HTTP (\d{3})\)/.exec(message)?.[1]);
    return UpstreamRejectedError.isRejectionStatus(status) ? rejectionCodes[status] : 'upstream_bad_request';
  }
}

/** 429. `resetAt` comes from `x-rate-limit-reset-at-utc` when Segmind sends it. */
export class UpstreamThrottledError extends FramebridgeError {
  override readonly name = 'UpstreamThrottledError';
  readonly code = 'upstream_throttled';
  readonly retryable = true;
  constructor(
    message: string,
    readonly resetAt?: Date,
  ) {
    super(message);
  }
}

/**
 * The upstream is known not to have acted on the request: 5xx answered, connection
 * refused, DNS failure — or, for reads, any transport failure. Safe to retry.
 */
export class UpstreamUnavailableError extends FramebridgeError {
  override readonly name = 'UpstreamUnavailableError';
  readonly code = 'upstream_unavailable';
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown; httpStatus?: number }) {
    super(message, { cause: options?.cause });
    this.httpStatus = options?.httpStatus;
  }
  readonly httpStatus?: number;
}

/**
 * A submit was sent but no answer came back (reset, timeout). Segmind may have
 * accepted — and billed — the job, and it has no idempotency: never retried.
 */
export class SubmitOutcomeUnknownError extends FramebridgeError {
  override readonly name = 'SubmitOutcomeUnknownError';
  readonly code = 'submit_outcome_unknown';
  readonly retryable = false;
}

/** 404 on status/result: the request id is unknown or its record expired (1 h). */
export class UpstreamExpiredError extends FramebridgeError {
  override readonly name = 'UpstreamExpiredError';
  readonly code = 'upstream_expired';
  readonly retryable = false;
}

/** The upstream job ended FAILED (HTTP 422); the message is Segmind's own. */
export class UpstreamJobFailedError extends FramebridgeError {
  override readonly name = 'UpstreamJobFailedError';
  readonly code = 'upstream_failed';
  readonly retryable = false;
}

/** The upstream job did not finish before our polling deadline. */
export class UpstreamTimeoutError extends FramebridgeError {
  override readonly name = 'UpstreamTimeoutError';
  readonly code = 'upstream_timeout';
  readonly retryable = false;
}

/** A 2xx answer whose body we cannot use (unknown status, unparseable `output`). */
export class InvalidUpstreamOutputError extends FramebridgeError {
  override readonly name = 'InvalidUpstreamOutputError';
  readonly code = 'invalid_upstream_output';
  readonly retryable = false;
}

/** The video is refused on its merits: host not allowed, redirect, not an MP4, too big. */
export class VideoRejectedError extends FramebridgeError {
  override readonly name = 'VideoRejectedError';
  readonly code = 'video_rejected';
  readonly retryable = false;
}

/** The download broke (cut off, stalled, 5xx): retrying may succeed. */
export class VideoDownloadError extends FramebridgeError {
  override readonly name = 'VideoDownloadError';
  readonly code = 'video_download_failed';
  readonly retryable = true;
}

/** A job id that does not exist (or belongs to someone else). */
export class JobNotFoundError extends Error {
  override readonly name = 'JobNotFoundError';
}

/** Names the workflow retries with backoff (besides Lambda's own service errors). */
export const transientErrorNames = [
  'UpstreamThrottledError',
  'UpstreamUnavailableError',
  'VideoDownloadError',
] as const;

const codesByErrorName: Record<string, JobFailureCode> = {
  ValidationError: 'invalid_request',
  UpstreamThrottledError: 'upstream_throttled',
  UpstreamUnavailableError: 'upstream_unavailable',
  SubmitOutcomeUnknownError: 'submit_outcome_unknown',
  UpstreamExpiredError: 'upstream_expired',
  UpstreamJobFailedError: 'upstream_failed',
  UpstreamTimeoutError: 'upstream_timeout',
  InvalidUpstreamOutputError: 'invalid_upstream_output',
  VideoRejectedError: 'video_rejected',
  VideoDownloadError: 'video_download_failed',
  'States.Timeout': 'timeout',
};

/**
 * Maps an error name caught by the state machine to the code stored on the job.
 * UpstreamRejectedError carries its precise code in the message payload instead.
 */
export function failureCodeForErrorName(name: string): JobFailureCode {
  return Object.hasOwn(codesByErrorName, name) ? (codesByErrorName[name] ?? 'internal_error') : 'internal_error';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
