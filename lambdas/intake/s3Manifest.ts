import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { bucketEnv, jobsTableEnv, parseEnv, privateCallbacksEnv } from '../core/config';
import { parseOrThrow } from '../core/schemas';
import { createTransitionJob } from '../shared/createJob';
import { dynamo } from '../shared/dynamoClient';
import { logger } from '../shared/logger';
import { s3 } from '../shared/s3Client';
import { sfn } from '../shared/sfnClient';
import { acceptManifest, type IntakeOutcome } from './steps/acceptManifest';

const env = parseEnv(
  jobsTableEnv
    .extend(bucketEnv.shape)
    .extend(privateCallbacksEnv.shape)
    .extend({ STATE_MACHINE_ARN: z.string().min(1) }),
);

const createJobDeps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  sfn,
  s3,
  stateMachineArn: env.STATE_MACHINE_ARN,
  bucket: env.BUCKET_NAME,
  allowPrivateCallbacks: env.FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS,
};

const deps = {
  s3,
  bucket: env.BUCKET_NAME,
  startJob: (input: Parameters<typeof createTransitionJob>[0]) => createTransitionJob(input, createJobDeps),
};

/** S3's `Object Created` event as EventBridge delivers it (only the fields the intake reads). */
const objectCreatedEventSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
    }),
  }),
});

/**
 * EventBridge target for objects created under `inbox/`. Bad manifests are
 * answered in `outbox/` and succeed; AWS failures (and an event of the wrong
 * shape) throw, so the rule's target retries and then dead-letters the event.
 */
export const handler = middy<unknown, IntakeOutcome>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const { detail } = parseOrThrow(objectCreatedEventSchema, event, 'S3 Object Created event');
    return acceptManifest({ bucket: detail.bucket.name, ...detail.object }, deps);
  });
