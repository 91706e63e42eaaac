import type { Job } from './job';

/*
 * API Gateway REST response streaming (responseTransferMode STREAM), as AWS
 * documents it: a stream lasts at most 15 minutes; a regional endpoint closes
 * one idle for 5 minutes; the first 10 MB of each answer are sent at full speed,
 * the rest at 2 MB/s. The synchronous route's limits follow from these.
 */

/** Bytes of an answer API Gateway sends unthrottled. */
export const UNTHROTTLED_BYTES = 10 * 1024 * 1024;
/** API Gateway's bandwidth for a streamed answer past its first 10 MB, in bytes per second. */
export const THROTTLED_BYTES_PER_SECOND = 2 * 1024 * 1024;

/**
 * How long the synchronous route waits for the video by default: nothing can be
 * sent before the outcome is known (its status code comes first), and a
 * regional endpoint ends a stream idle for 5 minutes, so it answers before that.
 */
export const DEFAULT_SYNC_WAIT_MS = 270_000;
/** Kept free after the wait, so that a finished video still has time to be streamed. */
export const STREAMING_RESERVE_MS = 60_000;
/** Kept before the function's own end: the last write must land before Lambda stops it. */
export const END_MARGIN_MS = 3_000;

/** The most bytes that can be streamed through API Gateway within `msLeft`. */
export function streamableBytes(msLeft: number): number {
  if (msLeft <= 0) return 0;
  return UNTHROTTLED_BYTES + Math.floor((THROTTLED_BYTES_PER_SECOND * msLeft) / 1000);
}

/**
 * When the synchronous route stops waiting (epoch ms): after its configured wait,
 * but early enough to stream a video in the function's time left.
 */
export function syncWaitDeadline(now: number, msLeft: number, waitMs: number = DEFAULT_SYNC_WAIT_MS): number {
  return now + Math.max(0, Math.min(waitMs, msLeft - STREAMING_RESERVE_MS - END_MARGIN_MS));
}

/** What the synchronous route answers for the job as it last read it. */
export type SyncOutcome =
  | { kind: 'video'; bucket: string; key: string; contentType: string }
  /** FAILED: the status endpoint's 422. */
  | { kind: 'failed' }
  /** Still running, or a video too large to stream in time: 202, continue by polling. */
  | { kind: 'pending'; reason: 'running' | 'too_large' };

export function syncOutcome(job: Job, maxBytes: number): SyncOutcome {
  if (job.status === 'FAILED') return { kind: 'failed' };
  if (job.status !== 'COMPLETED' || !job.output) return { kind: 'pending', reason: 'running' };
  if (job.output.bytes > maxBytes) return { kind: 'pending', reason: 'too_large' };
  return {
    kind: 'video',
    bucket: job.output.s3Bucket,
    key: job.output.videoKey,
    contentType: job.output.contentType,
  };
}
