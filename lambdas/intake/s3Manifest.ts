import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import '../core/zodMini';
import { logger } from '../adapters/logger';
import { s3 } from '../adapters/s3Client';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { parseOrThrow } from '../core/schemas';
import { createTransitionJob } from '../jobs/createJob';
import { createJobDepsFromEnv } from '../jobs/createJobFromEnv';
import { type AcceptManifestDeps, acceptManifest, type IntakeOutcome } from './steps/acceptManifest';

const env = parseEnv(FUNCTION_ENV.s3Manifest);
const createJobDeps = createJobDepsFromEnv(env);

const deps: AcceptManifestDeps = {
  s3,
  bucket: createJobDeps.bucket,
  // The intake's jobs are its tenant's, held to the limits this function's environment sets.
  tenant: env.FRAMEBRIDGE_INTAKE_TENANT,
  startJob: (input) => createTransitionJob(input, createJobDeps),
};

/** S3's `Object Created` event as EventBridge delivers it (only the fields the intake reads). */
const objectCreatedEventSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().check(z.minLength(1)) }),
    object: z.object({
      key: z.string().check(z.minLength(1)),
      size: z.optional(z.number().check(z.int()).check(z.nonnegative())),
      etag: z.optional(z.string()),
    }),
  }),
});

/**
 * EventBridge target for objects created under `inbox/`. Bad manifests are
 * answered in `outbox/` and succeed; AWS failures (and an event of the wrong
 * shape) throw, so Lambda retries the invocation and then sends the event to
 * the dead-letter queue (its on-failure destination).
 */
export const handler = middy<unknown, IntakeOutcome>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const { detail } = parseOrThrow(objectCreatedEventSchema, event, 'S3 Object Created event');
    return acceptManifest({ bucket: detail.bucket.name, ...detail.object }, deps);
  });
