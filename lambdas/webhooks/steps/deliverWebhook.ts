import { getJob, type JobStore } from '../../adapters/jobStore';
import { recordWebhook } from '../../adapters/webhookStore';
import { errorMessage } from '../../core/errors';
import { isTerminal, type WebhookRecord } from '../../core/job';
import {
  describeReceiverStatus,
  judgeReceiverStatus,
  signedWebhookHeaders,
  type WebhookDeliveryInput,
  WebhookGoneError,
  WebhookRefusedError,
  WebhookRetryableError,
  webhookPayload,
} from '../../core/webhook';
import type { GuardedPostAnswer } from '../guardedPost';

export interface DeliverWebhookDeps {
  store: JobStore;
  /** The signing secret (`whsec_…`). */
  signingSecret: () => Promise<string>;
  /** A fresh presigned GET for the video. */
  mintVideoUrl: (bucket: string, key: string) => Promise<{ url: string; expiresAt: Date }>;
  /** The guarded POST; rejects with `CallbackRefusedError` for a refused URL or address. */
  post: (url: string, body: string, headers: Record<string, string>) => Promise<GuardedPostAnswer>;
  now?: () => Date;
}

export interface DeliveredWebhook {
  jobId: string;
  webhookId: string;
  status: 'delivered';
  attempts: number;
}

/**
 * One delivery attempt: builds and signs the payload afresh (fresh video URL,
 * fresh timestamp, same webhook id), POSTs it, and records the attempt on the
 * job. 2xx delivers; 410 and a refused URL fail for good; anything else throws
 * WebhookRetryableError for the state machine to retry with backoff.
 */
export async function deliverWebhook(input: WebhookDeliveryInput, deps: DeliverWebhookDeps): Promise<DeliveredWebhook> {
  const job = await getJob(deps.store, input.jobId);
  if (!job) throw new WebhookRefusedError(`Job ${input.jobId} not found`);
  const previous: WebhookRecord = job.webhook ?? { id: input.webhookId, status: 'pending', attempts: 0 };
  const delivered = (record: WebhookRecord): DeliveredWebhook => ({
    jobId: job.id,
    webhookId: input.webhookId,
    status: 'delivered',
    attempts: record.attempts,
  });
  // A retried Lambda invocation must not POST again what was already received.
  if (previous.status === 'delivered') return delivered(previous);
  const callbackUrl = job.request.callback_url;
  if (!callbackUrl) throw new WebhookRefusedError(`Job ${job.id} has no callback_url`);
  if (!isTerminal(job.status)) throw new WebhookRefusedError(`Job ${job.id} is ${job.status}, not finished`);

  const now = deps.now?.() ?? new Date();
  const video =
    job.status === 'COMPLETED' && job.output
      ? await deps.mintVideoUrl(job.output.s3Bucket, job.output.videoKey)
      : undefined;
  const body = JSON.stringify(webhookPayload(job, video, now));
  const headers = signedWebhookHeaders(await deps.signingSecret(), input.webhookId, now, body);

  const attempt = {
    id: input.webhookId,
    attempts: previous.attempts + 1,
    lastAttemptAt: now.toISOString(),
  };
  let answer: GuardedPostAnswer;
  try {
    answer = await deps.post(callbackUrl, body, headers);
  } catch (error) {
    const refused = error instanceof Error && error.name === 'CallbackRefusedError';
    const lastError = refused ? errorMessage(error) : `The callback could not be delivered: ${errorMessage(error)}`;
    await recordWebhook(deps.store, job.id, { ...attempt, status: refused ? 'failed' : 'pending', lastError });
    throw refused ? new WebhookRefusedError(lastError, { cause: error }) : new WebhookRetryableError(lastError);
  }

  const verdict = judgeReceiverStatus(answer.status);
  if (verdict === 'delivered') {
    const record: WebhookRecord = {
      ...attempt,
      status: 'delivered',
      lastStatus: answer.status,
      deliveredAt: (deps.now?.() ?? new Date()).toISOString(),
    };
    await recordWebhook(deps.store, job.id, record);
    return delivered(record);
  }
  const lastError = describeReceiverStatus(answer.status, answer.location);
  await recordWebhook(deps.store, job.id, {
    ...attempt,
    status: verdict === 'gone' ? 'failed' : 'pending',
    lastStatus: answer.status,
    lastError,
  });
  throw verdict === 'gone' ? new WebhookGoneError(lastError) : new WebhookRetryableError(lastError);
}
