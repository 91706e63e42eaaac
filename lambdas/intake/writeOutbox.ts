import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import '../core/zodMini';
import { dynamo } from '../adapters/dynamoClient';
import { logger } from '../adapters/logger';
import { s3 } from '../adapters/s3Client';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { TRANSITION_DETAIL_TYPES, TRANSITION_EVENT_SOURCE } from '../core/contract/events';
import { parseOrThrow } from '../core/schemas';
import { type OutboxOutcome, writeOutbox } from './steps/writeOutbox';

const env = parseEnv(FUNCTION_ENV.writeOutbox);

const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  s3,
  bucket: env.BUCKET_NAME,
};

/** The workflow's `Transition Completed` / `Transition Failed` event, as the EventBridge rule delivers it. */
const transitionEventSchema = z.object({
  source: z.literal(TRANSITION_EVENT_SOURCE),
  'detail-type': z.enum([TRANSITION_DETAIL_TYPES.completed, TRANSITION_DETAIL_TYPES.failed]),
  detail: z.object({ request_id: z.string().check(z.minLength(1)) }),
});

/**
 * EventBridge target: writes `outbox/<name>.*` for jobs started from a manifest.
 * Errors propagate, so Lambda retries the invocation and then sends the event
 * to the dead-letter queue (its on-failure destination).
 */
export const handler = middy<unknown, OutboxOutcome>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const { detail } = parseOrThrow(transitionEventSchema, event, 'transition event');
    return writeOutbox(detail.request_id, deps);
  });
