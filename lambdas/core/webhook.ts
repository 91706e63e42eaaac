import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import * as z from 'zod/mini';
import './zodMini';
import type { Job, WebhookRecord } from './job';

/**
 * Webhooks after the Standard Webhooks spec (https://www.standardwebhooks.com):
 * the payload, its signature headers, how a receiver's answer is judged, and the
 * typed errors the delivery state machine retries and catches on.
 */

export const WEBHOOK_USER_AGENT = 'framebridge-webhooks/1';
const SECRET_PREFIX = 'whsec_';

/** One id per job, the same on every attempt, so receivers can drop duplicates. */
export function webhookIdFor(jobId: string): string {
  return `msg_${jobId}`;
}

export const webhookTypes = ['transition.completed', 'transition.failed'] as const;

/** The body a receiver gets (also what it should validate). */
export const webhookPayloadSchema = z.object({
  type: z.enum(webhookTypes),
  timestamp: z.iso.datetime(),
  data: z.object({
    request_id: z.string(),
    status: z.enum(['COMPLETED', 'FAILED']),
    video_url: z.nullable(z.url()),
    expires_at: z.nullable(z.iso.datetime()),
    s3_uri: z.nullable(z.string()),
    error: z.nullable(z.object({ code: z.string(), message: z.string() })),
  }),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** The delivery state machine's input, and what a Catch adds to it. */
export const webhookDeliveryInputSchema = z.object({
  jobId: z.string().check(z.minLength(1)),
  webhookId: z.string().check(z.minLength(1)),
});
export type WebhookDeliveryInput = z.infer<typeof webhookDeliveryInputSchema>;
export const webhookFailureInputSchema = z.extend(webhookDeliveryInputSchema, {
  error: z.optional(z.object({ Error: z.string(), Cause: z.nullish(z.string()) })),
});
export type WebhookFailureInput = z.infer<typeof webhookFailureInputSchema>;

/**
 * The payload for a finished job, built afresh on every attempt: the video URL
 * is minted for this attempt (a URL signed by a Lambda role dies with its session).
 */
export function webhookPayload(
  job: Pick<Job, 'id' | 'status' | 'output' | 'error'>,
  video: { url: string; expiresAt: Date } | undefined,
  now: Date,
): WebhookPayload {
  if (job.status !== 'COMPLETED' && job.status !== 'FAILED') {
    throw new Error(`Job ${job.id} is ${job.status}: a webhook is only sent for a finished job`);
  }
  const completed = job.status === 'COMPLETED';
  return {
    type: completed ? 'transition.completed' : 'transition.failed',
    timestamp: now.toISOString(),
    data: {
      request_id: job.id,
      status: job.status,
      video_url: completed && video ? video.url : null,
      expires_at: completed && video ? video.expiresAt.toISOString() : null,
      s3_uri: completed && job.output ? `s3://${job.output.s3Bucket}/${job.output.videoKey}` : null,
      error: completed ? null : (job.error ?? { code: 'internal_error', message: 'The job failed' }),
    },
  };
}

/**
 * The signing secret in the spec's `whsec_<base64 key>` form. A secret without
 * the prefix (Secrets Manager generates plain alphanumerics) is taken as the
 * key's raw bytes: receivers then verify with `whsec_` + base64 of that string
 * (`'whsec_' + Buffer.from(secret).toString('base64')`), or pass the string with
 * `{ format: 'raw' }`.
 */
/** Whether a secret already has the Standard Webhooks form: `whsec_` + base64 of at least 24 bytes. */
export function isStandardSigningSecret(secret: string): boolean {
  const key = secret.trim().startsWith(SECRET_PREFIX) ? secret.trim().slice(SECRET_PREFIX.length) : undefined;
  return key !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(key) && key.length % 4 === 0 && key.length >= 32;
}

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newStandardSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export function standardSigningSecret(secret: string): string {
  const trimmed = secret.trim();
  if (trimmed === '') throw new Error('The webhook signing secret is empty');
  if (!trimmed.startsWith(SECRET_PREFIX)) return `${SECRET_PREFIX}${Buffer.from(trimmed, 'utf8').toString('base64')}`;
  const key = trimmed.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) {
    throw new Error('The webhook signing secret starts with whsec_ but the rest is not base64');
  }
  return trimmed;
}

export type WebhookHeaders = Record<
  'webhook-id' | 'webhook-timestamp' | 'webhook-signature' | 'content-type' | 'user-agent',
  string
>;

/** The spec's three headers, signed over `id.timestamp.body`, plus content type and user agent. */
export function signedWebhookHeaders(secret: string, webhookId: string, at: Date, body: string): WebhookHeaders {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(standardSigningSecret(secret)).sign(webhookId, at, body),
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
  };
}

export type ReceiverVerdict = 'delivered' | 'gone' | 'retry';

/** 2xx delivers; 410 means the receiver is gone for good; anything else (3xx included) is tried again. */
export function judgeReceiverStatus(status: number): ReceiverVerdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'gone';
  return 'retry';
}

/** What a failed answer is recorded as on the job (shown to the client). */
export function describeReceiverStatus(status: number, location?: string): string {
  if (status >= 300 && status < 400) {
    const target = location ? ` to ${location.slice(0, 300)}` : '';
    return `The receiver answered a redirect (HTTP ${status}${target}); redirects are not followed`;
  }
  if (status === 410) return 'The receiver answered HTTP 410 Gone; no further attempts are made';
  return `The receiver answered HTTP ${status}`;
}

/** The receiver failed this attempt (non-2xx but 410, timeout, connection error): tried again with backoff. */
export class WebhookRetryableError extends Error {
  override readonly name = 'WebhookRetryableError';
}

/** The receiver answered 410 Gone: never tried again. */
export class WebhookGoneError extends Error {
  override readonly name = 'WebhookGoneError';
}

/** The callback URL is refused (scheme, credentials, non-public address): never tried again. */
export class WebhookRefusedError extends Error {
  override readonly name = 'WebhookRefusedError';
}

/** Errors the delivery step records on the job itself before throwing. */
export const recordedWebhookErrorNames = ['WebhookRetryableError', 'WebhookGoneError', 'WebhookRefusedError'] as const;

/** The record after a delivery that finally failed; the last attempt's details are kept. */
export function failedWebhookRecord(
  previous: WebhookRecord | undefined,
  webhookId: string,
  reason: string | undefined,
): WebhookRecord {
  const base: WebhookRecord = previous ?? { id: webhookId, status: 'pending', attempts: 0 };
  return { ...base, status: 'failed', ...(reason === undefined ? {} : { lastError: reason }) };
}
