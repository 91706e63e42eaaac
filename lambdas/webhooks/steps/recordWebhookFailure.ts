import { getJob, type JobStore } from '../../adapters/jobStore';
import { logger } from '../../adapters/logger';
import { recordWebhook } from '../../adapters/webhookStore';
import { causeMessage } from '../../core/failure';
import { failedWebhookRecord, recordedWebhookErrorNames, type WebhookFailureInput } from '../../core/webhook';

export interface WebhookFailureOutput {
  jobId: string;
  webhookId: string;
  attempts: number;
  message: string;
}

/** Why the delivery ended, for a failure the delivery step could not record itself (timeout, crash). */
function unrecordedReason(error: NonNullable<WebhookFailureInput['error']>): string {
  if (error.Error === 'States.Timeout') return 'A delivery attempt timed out';
  logger.error('webhook delivery failed internally', { error });
  return 'framebridge failed internally while delivering the webhook; it has been logged';
}

/**
 * The end of a delivery that failed for good (retries exhausted, 410, refused
 * URL, or a crash): the job's webhook is marked failed, keeping the last
 * attempt's status and error. The job's own status is left alone.
 */
export async function recordWebhookFailure(
  input: WebhookFailureInput,
  deps: { store: JobStore },
): Promise<WebhookFailureOutput> {
  const job = await getJob(deps.store, input.jobId);
  const previous = job?.webhook;
  const recordedByDelivery = (recordedWebhookErrorNames as readonly string[]).includes(input.error?.Error ?? '');
  const reason =
    input.error === undefined
      ? undefined
      : recordedByDelivery
        ? (previous?.lastError ?? causeMessage(input.error.Cause))
        : unrecordedReason(input.error);
  const record = failedWebhookRecord(previous, input.webhookId, reason);
  if (job) await recordWebhook(deps.store, job.id, record);
  else logger.warn('webhook failed for a job that no longer exists', { jobId: input.jobId });
  return {
    jobId: input.jobId,
    webhookId: input.webhookId,
    attempts: record.attempts,
    message: `Webhook ${input.webhookId} was not delivered after ${record.attempts} attempt(s): ${record.lastError ?? 'unknown error'}`,
  };
}
