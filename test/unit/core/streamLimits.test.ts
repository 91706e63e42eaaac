import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lambdas/core/job';
import { parseTransitionRequest } from '../../../lambdas/core/schemas';
import {
  DEFAULT_SYNC_WAIT_MS,
  END_MARGIN_MS,
  STREAMING_RESERVE_MS,
  streamableBytes,
  syncOutcome,
  syncWaitDeadline,
  THROTTLED_BYTES_PER_SECOND,
  UNTHROTTLED_BYTES,
} from '../../../lambdas/core/streamLimits';

const ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const MB = 1024 * 1024;

function job(fields: Partial<Job> = {}): Job {
  return {
    id: ID,
    owner: 'tenant-1',
    status: 'PROCESSING',
    phase: 'generating',
    request: parseTransitionRequest({
      prompt: 'dawn to dusk',
      first_frame_url: 'https://cdn.example.com/a.png',
      last_frame_url: 'https://cdn.example.com/b.png',
    }),
    createdAt: '2025-01-01T10:00:00.000Z',
    updatedAt: '2025-01-01T10:00:01.000Z',
    expiresAt: 1_738_000_000,
    ...fields,
  };
}

const completed = (bytes: number) =>
  job({
    status: 'COMPLETED',
    phase: 'completed',
    output: {
      s3Bucket: 'bucket',
      videoKey: `jobs/${ID}/video.mp4`,
      resultKey: `jobs/${ID}/result.json`,
      bytes,
      contentType: 'video/mp4',
    },
  });

describe('Function: streamableBytes', () => {
  it('is API Gateway’s 10 MB at full speed plus 2 MB/s for the time left', () => {
    expect(UNTHROTTLED_BYTES).toBe(10 * MB);
    expect(THROTTLED_BYTES_PER_SECOND).toBe(2 * MB);
    expect(streamableBytes(30_000)).toBe(10 * MB + 60 * MB);
  });

  it('is nothing when no time is left', () => {
    expect(streamableBytes(0)).toBe(0);
    expect(streamableBytes(-5)).toBe(0);
  });
});

describe('Function: syncWaitDeadline', () => {
  const now = 1_000_000;

  it('waits 4.5 minutes by default, under the 5-minute idle timeout of a stream', () => {
    expect(DEFAULT_SYNC_WAIT_MS).toBeLessThan(5 * 60_000);
    expect(syncWaitDeadline(now, 900_000)).toBe(now + DEFAULT_SYNC_WAIT_MS);
  });

  it('takes a configured wait', () => {
    expect(syncWaitDeadline(now, 900_000, 8_000)).toBe(now + 8_000);
  });

  it('keeps time to stream the video before the function ends', () => {
    expect(syncWaitDeadline(now, 120_000, 600_000)).toBe(now + 120_000 - STREAMING_RESERVE_MS - END_MARGIN_MS);
    expect(syncWaitDeadline(now, 10_000)).toBe(now);
  });
});

describe('Function: syncOutcome', () => {
  it('streams a finished video that fits', () => {
    expect(syncOutcome(completed(5 * MB), 10 * MB)).toEqual({
      kind: 'video',
      bucket: 'bucket',
      key: `jobs/${ID}/video.mp4`,
      contentType: 'video/mp4',
    });
  });

  it('answers a video too large to stream in time as pending', () => {
    expect(syncOutcome(completed(11 * MB), 10 * MB)).toEqual({ kind: 'pending', reason: 'too_large' });
  });

  it('answers a running job as pending, and a failed one as failed', () => {
    expect(syncOutcome(job(), 10 * MB)).toEqual({ kind: 'pending', reason: 'running' });
    expect(syncOutcome(job({ status: 'FAILED', phase: 'failed' }), 10 * MB)).toEqual({ kind: 'failed' });
  });
});
