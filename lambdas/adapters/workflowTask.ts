import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type * as z from 'zod/mini';
import { AwaitingCapacityError } from '../core/errors';
import { parseOrThrow } from '../core/schemas';
import { logger } from './logger';

/** What a step may know of its invocation. */
export interface StepContext {
  /** Milliseconds before Lambda stops this invocation: each upstream call takes its time from it. */
  remainingMs: () => number;
}

/**
 * Wraps a workflow step as a Lambda handler: structured logging with the Lambda
 * context, the state's input validated against its schema, the invocation's
 * remaining time passed on, errors left to propagate by name so the state
 * machine can retry and catch on them.
 */
export function workflowTask<S extends z.core.$ZodType, R>(
  inputSchema: S,
  step: (input: z.output<S>, context: StepContext) => Promise<R>,
) {
  return middy<unknown, R>()
    .use(injectLambdaContext(logger))
    .handler(async (event, context) => {
      const input = parseOrThrow(inputSchema, event, 'state input');
      try {
        return await step(input, { remainingMs: () => context.getRemainingTimeInMillis() });
      } catch (error) {
        // Waiting for upstream capacity is the state machine's way to queue, not a failure.
        if (error instanceof AwaitingCapacityError)
          logger.debug('waiting for upstream capacity', { until: error.message });
        else logger.warn('step failed', { error });
        throw error;
      }
    });
}
