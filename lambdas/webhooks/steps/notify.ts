import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { getJob, type JobStore } from '../../adapters/jobStore';
import { logger } from '../../adapters/logger';
import { recordWebhookPending } from '../../adapters/webhookStore';
import { webhookIdFor } from '../../core/webhook';

export interface NotifyDeps {
  store: JobStore;
  sfn: Pick<SFNClient, 'send'>;
  webhookStateMachineArn: string;
}

export type NotifyOutcome = { jobId: string; webhookId: string } | { jobId: string; webhookId: null };

/**
 * Hands a finished job's webhook to the delivery state machine, which retries
 * for over an hour without holding this workflow. The delivery is named after
 * the job's execution (`msg_<execution name>`), so running Notify twice cannot
 * deliver twice, while a job re-created under the same id (an idempotency key
 * reused after its record expired) still gets its own delivery. The webhook id
 * receivers dedupe on stays `msg_<job id>`.
 */
export async function notify(jobId: string, deps: NotifyDeps): Promise<NotifyOutcome> {
  const job = await getJob(deps.store, jobId);
  if (!job) throw new Error(`Job ${jobId} not found`);
  if (!job.request.callback_url) return { jobId, webhookId: null };

  const webhookId = webhookIdFor(jobId);
  await recordWebhookPending(deps.store, jobId, webhookId);
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.webhookStateMachineArn,
        name: webhookIdFor(job.executionName ?? jobId),
        input: JSON.stringify({ jobId, webhookId }),
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    logger.info('webhook delivery already started', { jobId, webhookId });
  }
  return { jobId, webhookId };
}
