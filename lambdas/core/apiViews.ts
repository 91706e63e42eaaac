import * as z from 'zod/mini';
import { API_ERROR_CODES, type ApiErrorCode, apiErrorCodes } from './contract/apiErrors';
import { type Job, jobPhases, jobStatuses } from './job';
import { frameContentTypes } from './uploads';
import { withMeta } from './zodMini';

/*
 * Every answer body has a zod schema here; the view functions are typed by
 * them, and the OpenAPI document is generated from them, so the spec cannot
 * drift from what the handlers send.
 */

/** A request id in a path: what every id framebridge hands out looks like. */
export const requestIdSchema = withMeta(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/)), {
  description: 'The request id (a ULID, or idem-… for an idempotent submit)',
});
const requestId = requestIdSchema;
/** ISO 8601, UTC, as `Date.prototype.toISOString` writes it. */
const timestamp = withMeta(z.string(), { format: 'date-time' });
const count = z.number().check(z.int()).check(z.nonnegative());

/** Each field a refusal names, with the rule it breaks. */
const errorDetail = z.object({ field: z.string(), rule: z.string() });

/**
 * Every 4xx and 5xx answer, in Segmind's shape: `error` is the message as a
 * string (Segmind's SDK shows it as the exception's detail), `error_code` sits
 * beside it as on a FAILED job.
 */
export const errorBodySchema = z.object({
  error: withMeta(z.string(), { description: 'What went wrong, for people; a 5xx message carries no internals' }),
  error_code: withMeta(z.enum(apiErrorCodes), {
    description: `Stable, machine-readable. ${apiErrorCodes.map((code) => `\`${code}\` (${API_ERROR_CODES[code].status}): ${API_ERROR_CODES[code].meaning}`).join('; ')}.`,
  }),
  details: withMeta(z.array(errorDetail), {
    description: 'Each field (or header, path or query parameter) and the rule it breaks; empty when none',
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The body of an error answer; `details` defaults to none. */
export function errorView(
  code: ApiErrorCode,
  message: string,
  details: readonly z.infer<typeof errorDetail>[] = [],
): ErrorBody {
  return { error: message, error_code: code, details: details.map(({ field, rule }) => ({ field, rule })) };
}

export const submittedViewSchema = z.object({
  request_id: requestId,
  status: z.literal('QUEUED'),
  status_url: z.url(),
  response_url: z.url(),
  poll_url: z.url(),
});
export type SubmittedView = z.infer<typeof submittedViewSchema>;

export const webhookViewSchema = z.object({
  id: withMeta(z.string(), { description: 'The webhook-id header, the same on every attempt' }),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: count,
  last_status: z.optional(z.number().check(z.int()).check(z.gte(100)).check(z.lte(599))),
  last_error: z.optional(z.string()),
  last_attempt_at: z.optional(timestamp),
  delivered_at: z.optional(timestamp),
});

export const statusViewSchema = z.object({
  request_id: requestId,
  status: z.enum(jobStatuses),
  phase: withMeta(z.enum(jobPhases), { description: 'Finer progress than status' }),
  created_at: timestamp,
  updated_at: timestamp,
  submitted_at: z.optional(timestamp),
  completed_at: z.optional(timestamp),
  error: z.optional(z.string()),
  error_code: z.optional(z.string()),
  webhook: withMeta(z.optional(webhookViewSchema), {
    description: 'The callback_url delivery, when one was asked for',
  }),
});
export type StatusView = z.infer<typeof statusViewSchema>;

export const cancelledViewSchema = z.extend(statusViewSchema, {
  note: withMeta(z.string(), { description: 'Whether the upstream job was already submitted and may still be billed' }),
});
export type CancelledView = z.infer<typeof cancelledViewSchema>;

export const listViewSchema = z.object({
  requests: withMeta(z.array(statusViewSchema), { description: 'Newest first' }),
  next_cursor: withMeta(z.nullable(z.string()), { description: 'Pass as cursor for the next page; null on the last' }),
});
export type ListView = z.infer<typeof listViewSchema>;

export const resultViewSchema = z.union([
  z.object({
    request_id: requestId,
    status: z.literal('COMPLETED'),
    output: z.object({
      video_url: withMeta(z.url(), { description: 'Presigned; minted afresh on every read' }),
      expires_at: timestamp,
      s3_uri: z.string(),
      content_type: z.string(),
      bytes: count,
    }),
    metrics: z.record(z.string(), z.unknown()),
  }),
  z.object({
    request_id: requestId,
    status: z.enum(['QUEUED', 'PROCESSING', 'COMPLETED']),
    output: z.null(),
    phase: z.enum(jobPhases),
  }),
  z.object({
    request_id: requestId,
    status: z.literal('FAILED'),
    error: z.optional(z.string()),
    error_code: z.optional(z.string()),
  }),
]);
export type ResultView = z.infer<typeof resultViewSchema>;

const frameContentType = z.enum(Object.keys(frameContentTypes) as [keyof typeof frameContentTypes]);

export const uploadViewSchema = z.object({
  upload_url: withMeta(z.url(), {
    description:
      'PUT the image here, with exactly the headers below. Both are signed: S3 refuses (403) a PUT of another content type or size.',
  }),
  method: z.literal('PUT'),
  headers: z.object({
    'content-type': frameContentType,
    'content-length': withMeta(z.string().check(z.regex(/^[1-9]\d*$/)), {
      description: 'The content_length asked for, in bytes: the body must be exactly this long',
    }),
  }),
  s3_uri: withMeta(z.string(), { description: 'Use as first_frame_url or last_frame_url' }),
  expires_at: timestamp,
});
export type UploadView = z.infer<typeof uploadViewSchema>;

/** URLs a client polls, Segmind-style: absolute, under this API's base URL. */
export function requestUrls(baseUrl: string, id: string) {
  const statusUrl = `${baseUrl}/v2/requests/${id}/status`;
  return { status_url: statusUrl, response_url: `${baseUrl}/v2/requests/${id}`, poll_url: statusUrl };
}

/**
 * The answer to an accepted submit. A replayed idempotent submit answers the
 * same, byte for byte: the job was QUEUED when it was accepted; its status
 * since then is what status_url is for.
 */
export function submittedView(job: Pick<Job, 'id'>, baseUrl: string): SubmittedView {
  return { request_id: job.id, status: 'QUEUED', ...requestUrls(baseUrl, job.id) };
}

/** Progress a client can show: Segmind's status plus our finer phase and timestamps. */
export function statusView(job: Job): StatusView {
  const { webhook } = job;
  return {
    request_id: job.id,
    status: job.status,
    phase: job.phase,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    ...(job.submittedAt ? { submitted_at: job.submittedAt } : {}),
    ...(job.completedAt ? { completed_at: job.completedAt } : {}),
    ...(job.error ? { error: job.error.message, error_code: job.error.code } : {}),
    ...(webhook
      ? {
          webhook: {
            id: webhook.id,
            status: webhook.status,
            attempts: webhook.attempts,
            ...(webhook.lastStatus === undefined ? {} : { last_status: webhook.lastStatus }),
            ...(webhook.lastError === undefined ? {} : { last_error: webhook.lastError }),
            ...(webhook.lastAttemptAt === undefined ? {} : { last_attempt_at: webhook.lastAttemptAt }),
            ...(webhook.deliveredAt === undefined ? {} : { delivered_at: webhook.deliveredAt }),
          },
        }
      : {}),
  };
}

export function cancelledView(job: Job, note: string): CancelledView {
  return { ...statusView(job), note };
}

export function listView(jobs: readonly Job[], nextCursor: string | null): ListView {
  return { requests: jobs.map(statusView), next_cursor: nextCursor };
}

export function uploadView(upload: {
  url: string;
  contentType: UploadView['headers']['content-type'];
  /** The exact size signed into the URL, in bytes. */
  contentLength: number;
  bucket: string;
  key: string;
  expiresAt: Date;
}): UploadView {
  return {
    upload_url: upload.url,
    method: 'PUT',
    headers: { 'content-type': upload.contentType, 'content-length': String(upload.contentLength) },
    s3_uri: `s3://${upload.bucket}/${upload.key}`,
    expires_at: upload.expiresAt.toISOString(),
  };
}

export interface MintedVideoUrl {
  url: string;
  expiresAt: Date;
}

export function resultView(job: Job, video: MintedVideoUrl | undefined): ResultView {
  const base = { request_id: job.id };
  if (job.status === 'FAILED') {
    return { ...base, status: 'FAILED', error: job.error?.message, error_code: job.error?.code };
  }
  if (job.status !== 'COMPLETED' || !job.output || !video) {
    return { ...base, status: job.status, output: null, phase: job.phase };
  }
  return {
    ...base,
    status: 'COMPLETED',
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
