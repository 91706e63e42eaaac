import { dynamo } from '../adapters/dynamoClient';
import { httpHandler, json, ownerOf, pathId } from '../adapters/http';
import { sfn } from '../adapters/sfnClient';
import { cancelledView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { cancelJob } from './cancelJob';

const env = parseEnv(FUNCTION_ENV.cancelRequest);
const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  sfn,
  stateMachineArn: env.STATE_MACHINE_ARN,
  cancellationTailArn: env.CANCELLATION_TAIL_ARN,
};

/**
 * DELETE /v2/requests/{id} — stops the job; it ends FAILED with code `cancelled`.
 * The note says whether the upstream job may still be billed (Segmind has no cancel).
 */
export const handler = httpHandler(async (event) => {
  const { job, note } = await cancelJob(deps, pathId(event), ownerOf(event));
  return json(200, cancelledView(job, note));
});
