import type { JobFailureCode } from './errorRegistry';

/**
 * Who a failed job's code points at. Only `system` failures (our code, AWS,
 * time running out, our Segmind account) page anyone; a refusal of the user's
 * request (moderation, bad frames) or the upstream's own failure does not.
 */
export type FailureClass = 'system' | 'upstream' | 'user';

export const FAILURE_CLASS_OF = {
  internal_error: 'system',
  timeout: 'system',
  execution_failed: 'system',
  execution_timed_out: 'system',
  execution_aborted: 'system',
  submit_outcome_unknown: 'system',
  // Our own budget held the job back: a wait that ended a job is ours to look at.
  upstream_capacity_unavailable: 'system',
  upstream_unauthorized: 'system',
  upstream_forbidden: 'system',
  upstream_insufficient_credits: 'system',
  upstream_model_retired: 'system',
  upstream_failed: 'upstream',
  upstream_throttled: 'upstream',
  upstream_unavailable: 'upstream',
  upstream_expired: 'upstream',
  upstream_timeout: 'upstream',
  invalid_upstream_output: 'upstream',
  video_rejected: 'upstream',
  video_download_failed: 'upstream',
  invalid_request: 'user',
  upstream_bad_request: 'user',
  cancelled: 'user',
} as const satisfies Record<JobFailureCode, FailureClass>;

/** The class of a stored code; a code this version does not know counts as a system failure. */
export function failureClassOf(code: string): FailureClass {
  return Object.hasOwn(FAILURE_CLASS_OF, code) ? FAILURE_CLASS_OF[code as JobFailureCode] : 'system';
}

/** The log line every function writes when it ends a job FAILED; metric filters count it per class. */
export const JOB_FAILED_LOG = {
  message: 'job failed',
  namespace: 'framebridge',
  metricNames: { system: 'SystemFailures', upstream: 'UpstreamFailures', user: 'UserFailures' },
} as const satisfies { message: string; namespace: string; metricNames: Record<FailureClass, string> };
