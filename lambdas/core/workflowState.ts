import * as z from 'zod';
import { upstreamStatuses } from './contract/upstreamStatus';

/**
 * The data passed between states. Each task validates its input against these
 * and returns the next shape; the state machine only routes on `status` and
 * waits on `waitSeconds`.
 */

export const executionInputSchema = z.object({ jobId: z.string().min(1) });

export const pollingStateSchema = executionInputSchema.extend({
  upstreamRequestId: z.string().min(1),
  submittedAt: z.string(),
  pollCount: z.number().int().nonnegative(),
  waitSeconds: z.number().int().positive(),
});
export type PollingState = z.infer<typeof pollingStateSchema>;

export const checkedStateSchema = pollingStateSchema.extend({
  status: z.enum(upstreamStatuses),
  videoUrl: z.string().optional(),
  upstreamError: z.string().optional(),
});
export type CheckedState = z.infer<typeof checkedStateSchema>;

export const completedStateSchema = checkedStateSchema.extend({
  status: z.literal('COMPLETED'),
  videoUrl: z.string().min(1),
});

/** What a Catch puts at `$.error`: Step Functions' error name and cause. */
export const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().nullish() });

export const failureInputSchema = executionInputSchema.extend({
  error: caughtErrorSchema.optional(),
  status: z.string().optional(),
  upstreamError: z.string().optional(),
});
export type FailureInput = z.infer<typeof failureInputSchema>;

export const failureOutputSchema = executionInputSchema.extend({ code: z.string(), message: z.string() });
export type FailureOutput = z.infer<typeof failureOutputSchema>;
