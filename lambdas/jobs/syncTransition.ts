import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { callerOf, header, json, jsonBody, publicBaseUrl } from '../adapters/http';
import { streamingHttpHandler } from '../adapters/responseStream';
import { statusView, submittedView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { IDEMPOTENCY_HEADER, parseIdempotencyKey, REPLAYED_HEADER } from '../core/idempotency';
import { END_MARGIN_MS, streamableBytes, syncOutcome, syncWaitDeadline } from '../core/streamLimits';
import { createTransitionJob } from './createJob';
import { createJobDepsFromEnv } from './createJobFromEnv';
import { waitForJob } from './syncWait';

const env = parseEnv(FUNCTION_ENV.syncTransition);
const deps = createJobDepsFromEnv(env);
const waitMs = env.FRAMEBRIDGE_SYNC_WAIT_S === undefined ? undefined : env.FRAMEBRIDGE_SYNC_WAIT_S * 1000;

/**
 * POST /v1/pixverse-5-transition — Segmind's synchronous route: the v2 submit
 * (same validation, idempotency and tenant limits), then the wait, then the
 * MP4 bytes. A FAILED job answers as its status endpoint does (422); a job
 * still running at the wait limit, or a video too large to stream in the time
 * left, answers the v2 202 so that the client continues by polling.
 */
export const handler = streamingHttpHandler(async (event, { context, signal }) => {
  const { tenantId, keyId, limits } = callerOf(event);
  const body = jsonBody(event);
  const idempotencyKey = parseIdempotencyKey(header(event, IDEMPOTENCY_HEADER));
  const created = await createTransitionJob(
    { owner: tenantId, keyId, limits, body, idempotencyKey, source: { type: 'api' } },
    deps,
  );
  const replayed: Record<string, string> = created.replayed ? { [REPLAYED_HEADER]: 'true' } : {};
  const timeLimit = Date.now() + context.getRemainingTimeInMillis();
  const job = await waitForJob(deps.store, created.job, {
    pollMs: env.FRAMEBRIDGE_JOB_POLL_MS,
    deadline: syncWaitDeadline(Date.now(), context.getRemainingTimeInMillis(), waitMs),
    signal,
  });
  const maxBytes = Math.min(
    env.FRAMEBRIDGE_SYNC_MAX_VIDEO_BYTES ?? Number.POSITIVE_INFINITY,
    streamableBytes(timeLimit - END_MARGIN_MS - Date.now()),
  );
  const outcome = syncOutcome(job, maxBytes);
  if (outcome.kind === 'failed') return json(422, statusView(job), replayed);
  if (outcome.kind === 'pending') return json(202, submittedView(job, publicBaseUrl(event)), replayed);
  const video = await deps.s3.send(new GetObjectCommand({ Bucket: outcome.bucket, Key: outcome.key }));
  if (!(video.Body instanceof Readable)) throw new Error(`GetObject of ${outcome.key} answered no stream`);
  return {
    statusCode: 200,
    headers: { 'content-type': outcome.contentType, 'x-request-id': job.id, 'cache-control': 'no-store', ...replayed },
    body: video.Body,
  };
});
