import * as z from 'zod';
import { cancelledView } from '../core/apiViews';
import { jobsTableEnv, parseEnv } from '../core/config';
import { dynamo } from '../shared/dynamoClient';
import { httpHandler, json, ownerOf, pathId } from '../shared/http';
import { cancelOwnedJob } from '../shared/ownedJob';
import { sfn } from '../shared/sfnClient';

const env = parseEnv(jobsTableEnv.extend({ STATE_MACHINE_ARN: z.string().min(1) }));
const deps = { store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME }, sfn, stateMachineArn: env.STATE_MACHINE_ARN };

/**
 * DELETE /v2/requests/{id} — stops the job; it ends FAILED with code `cancelled`.
 * The note says whether the upstream job may still be billed (Segmind has no cancel).
 */
export const handler = httpHandler(async (event) => {
  const { job, note } = await cancelOwnedJob(deps, pathId(event), ownerOf(event));
  return json(200, cancelledView(job, note));
});
