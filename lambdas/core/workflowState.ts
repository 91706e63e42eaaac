import * as z from 'zod';
import { upstreamStatuses } from './contract/upstreamStatus';

/**
 * The data passed between states. Each task validates its input against these
 * and returns the next shape; the state machine only routes on `status` and
 * waits on `waitSeconds`.
 */

export const executionInputSchema = z.object({ jobId: z.string().min(1) });

/** `$$.Execution.StartTime`, which the state machine adds to Submit's input: the deadlines count from it. */
const executionStartedAt = z.iso.datetime({ offset: true });

export const submitInputSchema = executionInputSchema.extend({ executionStartedAt });
export type SubmitInput = z.infer<typeof submitInputSchema>;

export const pollingStateSchema = executionInputSchema.extend({
  // Absent from the states of executions started before deadlines counted from the
  // start (deployed while they ran): those count from `submittedAt`.
  executionStartedAt: executionStartedAt.optional(),
  /** When the job was admitted to the upstream: the deadlines count from it (absent: from the execution's start). */
  admittedAt: executionStartedAt.optional(),
  upstreamRequestId: z.string().min(1),
  submittedAt: z.string(),
  pollCount: z.number().int().nonnegative(),
  waitSeconds: z.number().int().positive(),
  /** The status the last check saw (absent before the first). */
  status: z.enum(upstreamStatuses).optional(),
  /**
   * The upstream finished the job but the budget had no token for the result
   * read: the next check reads the result straight away.
   */
  resultPending: z.boolean().optional(),
  /** When a check last saw the job pending: what the poll plan learns is bounded below by it. */
  lastPendingAt: z.string().optional(),
  /** When a check saw the job COMPLETED while its result read waits for a token. */
  completedSeenAt: z.string().optional(),
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

/**
 * How the job ended, as Copy and Record Failure hand it to the tail: its real
 * terminal state, whoever wrote it first (the first terminal state wins). The
 * tail announces it only when this execution wrote it (`announce`): a job that
 * a cancel or the reconciler ended was announced by them.
 */
export const jobOutcomeSchema = z.discriminatedUnion('status', [
  executionInputSchema.extend({
    status: z.literal('COMPLETED'),
    s3Uri: z.string(),
    bytes: z.number().int().nonnegative(),
    announce: z.boolean(),
  }),
  executionInputSchema.extend({
    status: z.literal('FAILED'),
    code: z.string(),
    message: z.string(),
    announce: z.boolean(),
  }),
]);
export type JobOutcome = z.infer<typeof jobOutcomeSchema>;
