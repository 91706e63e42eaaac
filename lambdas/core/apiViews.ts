import type { Job } from './job';

/** URLs a client polls, Segmind-style: absolute, under this API's base URL. */
export function requestUrls(baseUrl: string, id: string) {
  const statusUrl = `${baseUrl}/v2/requests/${id}/status`;
  return { status_url: statusUrl, response_url: `${baseUrl}/v2/requests/${id}`, poll_url: statusUrl };
}

export function submittedView(job: Job, baseUrl: string) {
  return { request_id: job.id, status: job.status, ...requestUrls(baseUrl, job.id) };
}

/** Progress a client can show: Segmind's status plus our finer phase and timestamps. */
export function statusView(job: Job) {
  return {
    request_id: job.id,
    status: job.status,
    phase: job.phase,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    ...(job.submittedAt ? { submitted_at: job.submittedAt } : {}),
    ...(job.completedAt ? { completed_at: job.completedAt } : {}),
    ...(job.error ? { error: job.error.message, error_code: job.error.code } : {}),
  };
}

export interface MintedVideoUrl {
  url: string;
  expiresAt: Date;
}

export function resultView(job: Job, video: MintedVideoUrl | undefined) {
  const base = { request_id: job.id, status: job.status };
  if (job.status === 'FAILED') return { ...base, error: job.error?.message, error_code: job.error?.code };
  if (job.status !== 'COMPLETED' || !job.output || !video) return { ...base, output: null, phase: job.phase };
  return {
    ...base,
    output: {
      video_url: video.url,
      expires_at: video.expiresAt.toISOString(),
      s3_uri: `s3://${job.output.s3Bucket}/${job.output.videoKey}`,
      content_type: job.output.contentType,
      bytes: job.output.bytes,
    },
    metrics: job.metrics ?? {},
  };
}
