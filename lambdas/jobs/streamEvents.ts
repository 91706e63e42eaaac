import type { APIGatewayProxyEvent } from 'aws-lambda';
import { dynamo } from '../adapters/dynamoClient';
import { header, ownerOf, pathId } from '../adapters/http';
import { getJob } from '../adapters/jobStore';
import { streamingHttpHandler } from '../adapters/responseStream';
import { statusView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { ValidationError } from '../core/errors';
import { isTerminal } from '../core/job';
import { LAST_EVENT_ID_RULE, nextStatusEvent, parseLastEventId, SSE_HEADERS } from '../core/sse';
import { END_MARGIN_MS } from '../core/streamLimits';
import { ownedJob } from './ownedJob';
import { jobEventStream } from './streamJobEvents';

const env = parseEnv(FUNCTION_ENV.streamEvents);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

/** The client's last event id: the `Last-Event-ID` header (EventSource's), else `?last_event_id=`. */
function lastEventIdOf(event: APIGatewayProxyEvent): number | undefined {
  const fromHeader = header(event, 'last-event-id');
  const field = fromHeader?.trim() ? 'Last-Event-ID' : 'last_event_id';
  const parsed = parseLastEventId(fromHeader?.trim() ? fromHeader : event.queryStringParameters?.last_event_id);
  if (parsed === 'invalid') throw ValidationError.fromIssues('request', [{ field, rule: LAST_EVENT_ID_RULE }]);
  return parsed;
}

/**
 * GET /v2/requests/{id}/events — the job's progress as server-sent events.
 * An unknown id, another tenant's job or a bad id is refused as JSON before any
 * stream. A client that already has the terminal event gets 204, which tells
 * EventSource to stop reconnecting.
 */
export const handler = streamingHttpHandler(async (event, { context }) => {
  const id = pathId(event);
  const lastEventId = lastEventIdOf(event);
  const job = await ownedJob(store, id, ownerOf(event));
  if (isTerminal(job.status) && !nextStatusEvent(statusView(job), lastEventId)) {
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  }
  const body = jobEventStream(job, lastEventId, {
    read: () => getJob(store, id),
    pollMs: env.FRAMEBRIDGE_JOB_POLL_MS,
    heartbeatMs: env.FRAMEBRIDGE_EVENTS_HEARTBEAT_MS,
    deadline: Date.now() + context.getRemainingTimeInMillis() - END_MARGIN_MS,
  });
  return { statusCode: 200, headers: { ...SSE_HEADERS }, body };
});
