import { describe, expect, it } from 'vitest';
import { requestUrls, resultView, statusView, submittedView } from '../../../lambdas/core/apiViews';
import type { Job } from '../../../lambdas/core/job';
import { parseTransitionRequest } from '../../../lambdas/core/schemas';

const BASE = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod';
const ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';

function job(fields: Partial<Job> = {}): Job {
  return {
    id: ID,
    owner: 'key-owner-1',
    status: 'QUEUED',
    phase: 'queued',
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

const completed = job({
  status: 'COMPLETED',
  phase: 'completed',
  submittedAt: '2025-01-01T10:00:02.000Z',
  completedAt: '2025-01-01T10:01:30.000Z',
  output: {
    s3Bucket: 'framebridge-bucket',
    videoKey: `jobs/${ID}/video.mp4`,
    resultKey: `jobs/${ID}/result.json`,
    bytes: 1234,
    contentType: 'video/mp4',
  },
  metrics: { predict_time: 71.2 },
});

describe('Core: API views', () => {
  it('builds absolute Segmind-style poll URLs under the base URL', () => {
    expect(requestUrls(BASE, ID)).toEqual({
      status_url: `${BASE}/v2/requests/${ID}/status`,
      response_url: `${BASE}/v2/requests/${ID}`,
      poll_url: `${BASE}/v2/requests/${ID}/status`,
    });
  });

  it('answers a submit like Segmind does', () => {
    expect(submittedView(job(), BASE)).toEqual({
      request_id: ID,
      status: 'QUEUED',
      status_url: `${BASE}/v2/requests/${ID}/status`,
      response_url: `${BASE}/v2/requests/${ID}`,
      poll_url: `${BASE}/v2/requests/${ID}/status`,
    });
  });

  describe('statusView', () => {
    it('shows status, phase and timestamps of a job in progress', () => {
      expect(
        statusView(job({ status: 'PROCESSING', phase: 'generating', submittedAt: '2025-01-01T10:00:02.000Z' })),
      ).toEqual({
        request_id: ID,
        status: 'PROCESSING',
        phase: 'generating',
        created_at: '2025-01-01T10:00:00.000Z',
        updated_at: '2025-01-01T10:00:01.000Z',
        submitted_at: '2025-01-01T10:00:02.000Z',
      });
    });

    it('shows the error and its code on a failed job', () => {
      const view = statusView(
        job({ status: 'FAILED', phase: 'failed', error: { code: 'video_rejected', message: 'not an MP4' } }),
      );

      expect(view).toMatchObject({ status: 'FAILED', error: 'not an MP4', error_code: 'video_rejected' });
    });

    it('does not show the owner or the stored request', () => {
      expect(Object.keys(statusView(completed))).not.toEqual(expect.arrayContaining(['owner']));
      expect(statusView(completed)).not.toHaveProperty('request');
    });
  });

  describe('resultView', () => {
    it('shows a completed job with the minted URL, its expiry and the S3 URI', () => {
      // Arrange
      const video = {
        url: 'https://framebridge-bucket.s3.amazonaws.com/v.mp4?X-Amz-Signature=abc',
        expiresAt: new Date('2025-01-01T11:00:00.000Z'),
      };

      // Act
      const view = resultView(completed, video);

      // Assert
      expect(view).toEqual({
        request_id: ID,
        status: 'COMPLETED',
        output: {
          video_url: video.url,
          expires_at: '2025-01-01T11:00:00.000Z',
          s3_uri: `s3://framebridge-bucket/jobs/${ID}/video.mp4`,
          content_type: 'video/mp4',
          bytes: 1234,
        },
        metrics: { predict_time: 71.2 },
      });
    });

    it('shows a failed job with its error and code', () => {
      const view = resultView(
        job({ status: 'FAILED', phase: 'failed', error: { code: 'cancelled', message: 'Cancelled by the owner' } }),
        undefined,
      );

      expect(view).toEqual({
        request_id: ID,
        status: 'FAILED',
        error: 'Cancelled by the owner',
        error_code: 'cancelled',
      });
    });

    it('shows a job in progress with a null output and its phase', () => {
      expect(resultView(job({ status: 'PROCESSING', phase: 'copying' }), undefined)).toEqual({
        request_id: ID,
        status: 'PROCESSING',
        output: null,
        phase: 'copying',
      });
    });

    it('answers an empty metrics object when none were recorded', () => {
      const { metrics: _none, ...withoutMetrics } = completed;

      expect(resultView(withoutMetrics, { url: 'https://x.example.com/v', expiresAt: new Date(0) })).toMatchObject({
        metrics: {},
      });
    });
  });
});
