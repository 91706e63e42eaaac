import { callerOf, header, httpHandler, json, jsonBody, publicBaseUrl } from '../adapters/http';
import { submittedView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { IDEMPOTENCY_HEADER, parseIdempotencyKey, REPLAYED_HEADER } from '../core/idempotency';
import { createTransitionJob } from './createJob';
import { createJobDepsFromEnv } from './createJobFromEnv';

const deps = createJobDepsFromEnv(parseEnv(FUNCTION_ENV.createTransition));

/**
 * POST /v2/pixverse-5-transition — Segmind's submit, answered 202 with absolute
 * poll URLs. With an Idempotency-Key, a repeat answers exactly as the first did.
 * Over one of the tenant's spend limits (its key's, else the defaults) it is a
 * 429 with Retry-After, and nothing is stored or started.
 */
export const handler = httpHandler(async (event) => {
  const { tenantId, keyId, limits } = callerOf(event);
  const body = jsonBody(event);
  const idempotencyKey = parseIdempotencyKey(header(event, IDEMPOTENCY_HEADER));
  const { job, replayed } = await createTransitionJob(
    { owner: tenantId, keyId, limits, body, idempotencyKey, source: { type: 'api' } },
    deps,
  );
  return json(202, submittedView(job, publicBaseUrl(event)), replayed ? { [REPLAYED_HEADER]: 'true' } : {});
});
