import * as z from 'zod';
import { submittedView } from '../core/apiViews';
import { bucketEnv, jobsTableEnv, parseEnv, privateCallbacksEnv } from '../core/config';
import { IDEMPOTENCY_HEADER, parseIdempotencyKey, REPLAYED_HEADER } from '../core/idempotency';
import { createTransitionJob } from '../shared/createJob';
import { dynamo } from '../shared/dynamoClient';
import { header, httpHandler, json, jsonBody, ownerOf, publicBaseUrl } from '../shared/http';
import { s3 } from '../shared/s3Client';
import { sfn } from '../shared/sfnClient';

const env = parseEnv(
  jobsTableEnv
    .extend(bucketEnv.shape)
    .extend(privateCallbacksEnv.shape)
    .extend({ STATE_MACHINE_ARN: z.string().min(1) }),
);

const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  sfn,
  s3,
  stateMachineArn: env.STATE_MACHINE_ARN,
  bucket: env.BUCKET_NAME,
  allowPrivateCallbacks: env.FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS,
};

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
