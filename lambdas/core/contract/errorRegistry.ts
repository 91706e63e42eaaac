/**
 * Every error a step can end with, grouped by how the state machine treats it,
 * with the code a failed job shows. The workflow's Retry lists are built from
 * the groups and the failure path reads the codes: nothing else decides retries.
 */

/** Errors of the Lambda service itself, not of our handlers: retried on every Lambda task. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/**
 * Errors of the native PutEvents integration worth another try: a rejected
 * entry (`EventBridge.FailedEntry`, usually throttling) and the service's own failures.
 */
export const EVENTBRIDGE_SERVICE_ERRORS = [
  'EventBridge.FailedEntry',
  'EventBridge.InternalException',
  'EventBridge.ThrottlingException',
  'EventBridge.SdkClientException',
] as const;

/** Our errors, by retry class; each maps to the code stored on a job that ends with it. */
export const ERROR_REGISTRY = {
  /** The upstream is known not to have acted (or answered a read): retried with backoff by Submit and Check Status. */
  upstreamTransient: {
    UpstreamThrottledError: 'upstream_throttled',
    UpstreamUnavailableError: 'upstream_unavailable',
  },
  /** The video download broke: Copy retries it. */
  downloadTransient: {
    VideoDownloadError: 'video_download_failed',
  },
  /**
   * The step ran out of time: its task's TimeoutSeconds (`States.Timeout`) or its
   * function's own timeout (`Sandbox.Timedout`; `Lambda.Unknown` as AWS documents
   * unhandled Lambda failures). Retried by the idempotent steps (Check Status,
   * Copy); final on Submit, which may have sent the paid request.
   */
  stepTimeout: {
    'States.Timeout': 'timeout',
    'Sandbox.Timedout': 'timeout',
    'Lambda.Unknown': 'internal_error',
  },
  /**
   * Not a failure: Submit found no upstream capacity, and the job waits for it
   * (caught into Wait For Capacity, then Submit again). Its code shows only if
   * something else let it end a job.
   */
  awaitingCapacity: {
    AwaitingCapacityError: 'upstream_capacity_unavailable',
  },
  /** Retrying cannot help, or would pay twice: caught straight into Record Failure. */
  final: {
    ValidationError: 'invalid_request',
    // Its precise code (by HTTP status) travels in the message; this is the fallback.
    UpstreamRejectedError: 'upstream_bad_request',
    SubmitOutcomeUnknownError: 'submit_outcome_unknown',
    UpstreamExpiredError: 'upstream_expired',
    UpstreamJobFailedError: 'upstream_failed',
    UpstreamTimeoutError: 'upstream_timeout',
    InvalidUpstreamOutputError: 'invalid_upstream_output',
    VideoRejectedError: 'video_rejected',
    CapacityWaitExceededError: 'upstream_capacity_unavailable',
  },
} as const;

export type RetryClass = keyof typeof ERROR_REGISTRY;
type Registry = typeof ERROR_REGISTRY;
export type RegisteredErrorName = { [C in RetryClass]: keyof Registry[C] }[RetryClass];

/** Codes a failed job can show besides those of registered errors. */
const OTHER_FAILURE_CODES = [
  'upstream_unauthorized',
  'upstream_forbidden',
  'upstream_insufficient_credits',
  'upstream_model_retired',
  'cancelled',
  'internal_error',
  // The reconciler's: the execution ended outside the failure path (lambdas/reconciler/).
  'execution_failed',
  'execution_timed_out',
  'execution_aborted',
] as const;

export type JobFailureCode =
  | { [C in RetryClass]: Registry[C][keyof Registry[C]] }[RetryClass]
  | (typeof OTHER_FAILURE_CODES)[number];

/** The error names of one retry class, as a state machine Retry lists them. */
export function errorNamesOf(retryClass: RetryClass): string[] {
  return Object.keys(ERROR_REGISTRY[retryClass]);
}

/** The code of a registered error name; anything unregistered is an `internal_error`. */
export function failureCodeForErrorName(name: string): JobFailureCode {
  for (const group of Object.values(ERROR_REGISTRY) as Record<string, JobFailureCode>[]) {
    if (Object.hasOwn(group, name)) return group[name] ?? 'internal_error';
  }
  return 'internal_error';
}

/** The retry class of a registered error name. */
export function retryClassOf(name: RegisteredErrorName): RetryClass {
  const found = (Object.keys(ERROR_REGISTRY) as RetryClass[]).find((retryClass) =>
    Object.hasOwn(ERROR_REGISTRY[retryClass], name),
  );
  return found ?? 'final';
}
