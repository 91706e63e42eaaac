import { dynamo } from '../adapters/dynamoClient';
import { httpHandler, json, ownerOf, pathId } from '../adapters/http';
import { statusView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { ownedJob } from './ownedJob';

const env = parseEnv(FUNCTION_ENV.getStatus);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

/** GET /v2/requests/{id}/status — FAILED is answered 422, as Segmind does. */
export const handler = httpHandler(async (event) => {
  const job = await ownedJob(store, pathId(event), ownerOf(event));
  return json(job.status === 'FAILED' ? 422 : 200, statusView(job));
});
