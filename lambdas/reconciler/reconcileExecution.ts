import { setTimeout as sleep } from 'node:timers/promises';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import '../core/zodMini';
import { dynamo } from '../adapters/dynamoClient';
import { logger } from '../adapters/logger';
import { sfn } from '../adapters/sfnClient';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import {
  EXECUTION_STATUS_CHANGE,
  executionStatusChangeDetailSchema,
  RECONCILED_STATUSES,
} from '../core/contract/executionEvents';
import { parseOrThrow } from '../core/schemas';
import { executionInputSchema } from '../core/workflowState';
import { type ReconcileDeps, type ReconcileOutcome, reconcileExecution } from './steps/reconcileExecution';

const env = parseEnv(FUNCTION_ENV.reconcileExecution);

const deps: ReconcileDeps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  sfn,
  cancellationTailArn: env.CANCELLATION_TAIL_ARN,
  // The cancel handler records its cancel milliseconds after the stop; 10 s is ample.
  cancelGrace: { attempts: 20, intervalMs: 500 },
  sleep: (ms) => sleep(ms),
};

/** A JSON document in a string, as Step Functions passes an execution's input. */
const jsonText = z.pipe(
  z.string(),
  z.transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.issues.push({ code: 'custom', message: 'must be a JSON document', input: text });
      return z.NEVER;
    }
  }),
);

/** Step Functions' status change event as the rule delivers it: an ended execution and its `{"jobId"}` input. */
const executionEndedEventSchema = z.object({
  source: z.literal(EXECUTION_STATUS_CHANGE.source),
  'detail-type': z.literal(EXECUTION_STATUS_CHANGE.detailType),
  detail: z.extend(executionStatusChangeDetailSchema, {
    status: z.enum(RECONCILED_STATUSES),
    input: z.pipe(jsonText, executionInputSchema),
  }),
});

/**
 * EventBridge target for transition executions that failed, timed out or were
 * stopped. Errors (an event of the wrong shape, AWS failures) propagate, so the
 * invocation is retried and then kept in the dead-letter queue.
 */
export const handler = middy<unknown, ReconcileOutcome>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const { detail } = parseOrThrow(executionEndedEventSchema, event, 'execution status change event');
    return reconcileExecution(
      {
        jobId: detail.input.jobId,
        executionName: detail.name,
        status: detail.status,
        error: detail.error,
        cause: detail.cause,
      },
      deps,
    );
  });
