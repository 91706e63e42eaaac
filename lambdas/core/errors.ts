/**
 * Typed errors. The state machine retries and catches on `name`, so every class
 * sets it explicitly (minifiers rename classes). Its code and whether it is
 * retried come from the error registry in `contract/errorRegistry.ts`.
 */
import {
  failureCodeForErrorName,
  type JobFailureCode,
  type RegisteredErrorName,
  retryClassOf,
} from './contract/errorRegistry';

export { failureCodeForErrorName, type JobFailureCode };

abstract class FramebridgeError extends Error {
  abstract override readonly name: RegisteredErrorName;
  /** What a user sees on a job that failed with this error. */
  get code(): JobFailureCode {
    return failureCodeForErrorName(this.name);
  }
  /** Whether the workflow retries it (its registry class is not `final`). */
  get retryable(): boolean {
    return retryClassOf(this.name) !== 'final';
  }
}

export interface FieldIssue {
  readonly field: string;
  readonly rule: string;
}

/** "Invalid <what>: field rule; field rule": how every refusal reads. */
export function invalidMessage(what: string, issues: readonly FieldIssue[]): string {
  return `Invalid ${what}: ${issues.map((issue) => `${issue.field} ${issue.rule}`).join('; ')}`;
}

/** The request broke a rule; `issues` name each field and rule. Never retried. */
export class ValidationError extends FramebridgeError {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
  /** "Invalid <what>: field rule; field rule" — the one message format for every refusal. */
  static fromIssues(what: string, issues: readonly FieldIssue[]): ValidationError {
    return new ValidationError(invalidMessage(what, issues), issues);
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
  constructor(
    readonly httpStatus: UpstreamRejectionStatus,
    message: string,
  ) {
    // The status travels in the message: Lambda serialises only name and message,
    // and the failure path needs it to pick the code. A message that already
    // says so (the provider's own) is kept as it is, not said twice.
    super(
      message.includes(`(HTTP ${httpStatus})`)
        ? message
        : `Segmind rejected the request (HTTP ${httpStatus}): ${message}`,
    );
  }
  override get code(): JobFailureCode {
    return rejectionCodes[this.httpStatus];
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
}

/** 404 on status/result: the request id is unknown or its record expired (1 h). */
export class UpstreamExpiredError extends FramebridgeError {
  override readonly name = 'UpstreamExpiredError';
}

/** The upstream job ended FAILED (HTTP 422); the message is Segmind's own. */
export class UpstreamJobFailedError extends FramebridgeError {
  override readonly name = 'UpstreamJobFailedError';
}

/** The upstream job did not finish before our polling deadline. */
export class UpstreamTimeoutError extends FramebridgeError {
  override readonly name = 'UpstreamTimeoutError';
}

/** A 2xx answer whose body we cannot use (unknown status, unparseable `output`). */
export class InvalidUpstreamOutputError extends FramebridgeError {
  override readonly name = 'InvalidUpstreamOutputError';
}

/** The video is refused on its merits: host not allowed, redirect, not an MP4, too big. */
export class VideoRejectedError extends FramebridgeError {
  override readonly name = 'VideoRejectedError';
}

/** The download broke (cut off, stalled, 5xx): retrying may succeed. */
export class VideoDownloadError extends FramebridgeError {
  override readonly name = 'VideoDownloadError';
}

/**
 * The deployment's upstream budget has no room for this job now: it waits and
 * Submit asks again. Not a failure: the state machine catches it into its wait
 * for capacity, which reads the time to ask again from the message (an ISO
 * timestamp, since Step Functions hands a Catch only the error's name and message).
 */
export class AwaitingCapacityError extends FramebridgeError {
  override readonly name = 'AwaitingCapacityError';
  constructor(readonly retryAt: Date) {
    super(retryAt.toISOString());
  }
}

/** The job waited for upstream capacity as long as the deployment allows (`maxCapacityWait`). */
export class CapacityWaitExceededError extends FramebridgeError {
  override readonly name = 'CapacityWaitExceededError';
}

/** A job id that does not exist (or belongs to someone else). */
export class JobNotFoundError extends Error {
  override readonly name = 'JobNotFoundError';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
