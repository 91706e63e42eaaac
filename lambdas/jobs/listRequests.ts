import { dynamo } from '../adapters/dynamoClient';
import { httpHandler, json, ownerOf } from '../adapters/http';
import { listJobsByOwner } from '../adapters/jobQueries';
import { listView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { decodeCursor, encodeCursor, parseListQuery } from '../core/cursor';

const env = parseEnv(FUNCTION_ENV.listRequests);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

/** GET /v2/requests?limit=&status=&cursor= — the caller's requests, newest first. */
export const handler = httpHandler(async (event) => {
  const owner = ownerOf(event);
  const query = parseListQuery(event.queryStringParameters);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, owner);
  const page = await listJobsByOwner(store, owner, { limit: query.limit, status: query.status, after });
  return json(200, listView(page.jobs, page.next ? encodeCursor(page.next) : null));
});
