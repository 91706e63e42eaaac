import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { logger } from '../adapters/logger';
import { s3 } from '../adapters/s3Client';
import { parseOrThrow } from '../core/schemas';
import { createTransitionJob } from '../jobs/createJob';
import { createJobDepsFromEnv } from '../jobs/createJobFromEnv';
import { acceptManifest, type IntakeOutcome } from './steps/acceptManifest';

const createJobDeps = createJobDepsFromEnv('s3Manifest');

const deps = {
  s3,
  bucket: createJobDeps.bucket,
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
