import type { WebhookRecord } from '../core/job';
import { type JobStore, patchJob } from './jobStore';

/*
 * The job's `webhook` field. These writes never touch the job's status: a
 * webhook's outcome is reported next to the job's, it does not change it.
 */

/** Records the delivery as pending, once: a Notify that runs again leaves an attempt already recorded alone. */
export function recordWebhookPending(store: JobStore, jobId: string, webhookId: string): Promise<boolean> {
  return patchJob(
    store,
    jobId,
    { webhook: { id: webhookId, status: 'pending', attempts: 0 } },
    { condition: 'attribute_not_exists(webhook)' },
  );
}

/** Replaces the record with the outcome of an attempt (or of the whole delivery). */
export function recordWebhook(store: JobStore, jobId: string, webhook: WebhookRecord): Promise<boolean> {
  return patchJob(store, jobId, { webhook });
}
