import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { dynamo } from '../adapters/dynamoClient';
import { httpHandler, json, ownerOf, pathId } from '../adapters/http';
import { logger } from '../adapters/logger';
import { sfn } from '../adapters/sfnClient';
import { cancelledView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import type { Job } from '../core/job';
import { cancelOwnedJob } from './ownedJob';

const env = parseEnv(FUNCTION_ENV.cancelRequest);
const deps = { store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME }, sfn, stateMachineArn: env.STATE_MACHINE_ARN };

/**
 * The stopped execution never reaches its tail, so the cancellation tail puts
 * the `Transition Failed` event and sends the webhook instead. Named after the
 * job: it runs once. A failure here is logged; the cancel itself stands.
 */
async function announceCancellation(job: Job): Promise<void> {
  if (!env.CANCELLATION_TAIL_ARN) return;
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: env.CANCELLATION_TAIL_ARN,
        name: `cancelled-${job.id}`,
        input: JSON.stringify({
          jobId: job.id,
          status: 'FAILED',
          code: 'cancelled',
          message: job.error?.message ?? '',
        }),
      }),
    );
  } catch (error) {
    logger.warn('could not announce the cancellation', { jobId: job.id, error });
  }
}

/**
 * DELETE /v2/requests/{id} — stops the job; it ends FAILED with code `cancelled`.
 * The note says whether the upstream job may still be billed (Segmind has no cancel).
 */
export const handler = httpHandler(async (event) => {
  const { job, note } = await cancelOwnedJob(deps, pathId(event), ownerOf(event));
  await announceCancellation(job);
  return json(200, cancelledView(job, note));
});
