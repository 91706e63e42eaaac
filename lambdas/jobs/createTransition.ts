import { header, httpHandler, json, jsonBody, ownerOf, publicBaseUrl } from '../adapters/http';
import { submittedView } from '../core/apiViews';
import { IDEMPOTENCY_HEADER, parseIdempotencyKey, REPLAYED_HEADER } from '../core/idempotency';
import { createTransitionJob } from './createJob';
import { createJobDepsFromEnv } from './createJobFromEnv';

const deps = createJobDepsFromEnv('createTransition');

/**
 * POST /v2/pixverse-5-transition — Segmind's submit, answered 202 with absolute
 * poll URLs. With an Idempotency-Key, a repeat answers exactly as the first did.
 */
export const handler = httpHandler(async (event) => {
  const owner = ownerOf(event);
  const body = jsonBody(event);
  const idempotencyKey = parseIdempotencyKey(header(event, IDEMPOTENCY_HEADER));
  const { job, replayed } = await createTransitionJob({ owner, body, idempotencyKey, source: { type: 'api' } }, deps);
  return json(202, submittedView(job, publicBaseUrl(event)), replayed ? { [REPLAYED_HEADER]: 'true' } : {});
});
