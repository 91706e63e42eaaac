import * as z from 'zod/mini';
import './zodMini';
import { upstreamStatuses } from './contract/upstreamStatus';

/**
 * The data passed between states. Each task validates its input against these
 * and returns the next shape; the state machine only routes on `status` and
 * waits on `waitSeconds`.
 */

export const executionInputSchema = z.object({ jobId: z.string().check(z.minLength(1)) });

/** `$$.Execution.StartTime`, which the state machine adds to Submit's input: the deadlines count from it. */
const executionStartedAt = z.iso.datetime({ offset: true });

export const submitInputSchema = z.extend(executionInputSchema, { executionStartedAt });
export type SubmitInput = z.infer<typeof submitInputSchema>;

export const pollingStateSchema = z.extend(executionInputSchema, {
  // Absent from the states of executions started before deadlines counted from the
  // start (deployed while they ran): those count from `submittedAt`.
  executionStartedAt: z.optional(executionStartedAt),
  /** When the job was admitted to the upstream: the deadlines count from it (absent: from the execution's start). */
  admittedAt: z.optional(executionStartedAt),
  upstreamRequestId: z.string().check(z.minLength(1)),
  submittedAt: z.string(),
  pollCount: z.number().check(z.int()).check(z.nonnegative()),
  waitSeconds: z.number().check(z.int()).check(z.positive()),
  /** The status the last check saw (absent before the first). */
  status: z.optional(z.enum(upstreamStatuses)),
  /**
   * The upstream finished the job but the budget had no token for the result
   * read: the next check reads the result straight away.
   */
  resultPending: z.optional(z.boolean()),
  /** When a check last saw the job pending: what the poll plan learns is bounded below by it. */
  lastPendingAt: z.optional(z.string()),
  /** When a check saw the job COMPLETED while its result read waits for a token. */
  completedSeenAt: z.optional(z.string()),
});
export type PollingState = z.infer<typeof pollingStateSchema>;

export const checkedStateSchema = z.extend(pollingStateSchema, {
  status: z.enum(upstreamStatuses),
  videoUrl: z.optional(z.string()),
  upstreamError: z.optional(z.string()),
});
export type CheckedState = z.infer<typeof checkedStateSchema>;

export const completedStateSchema = z.extend(checkedStateSchema, {
  status: z.literal('COMPLETED'),
  videoUrl: z.string().check(z.minLength(1)),
});

/** What a Catch puts at `$.error`: Step Functions' error name and cause. */
export const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.nullish(z.string()) });

export const failureInputSchema = z.extend(executionInputSchema, {
  error: z.optional(caughtErrorSchema),
  status: z.optional(z.string()),
  upstreamError: z.optional(z.string()),
});
export type FailureInput = z.infer<typeof failureInputSchema>;

/**
 * How the job ended, as Copy and Record Failure hand it to the tail: its real
 * terminal state, whoever wrote it first (the first terminal state wins). The
 * tail announces it only when this execution wrote it (`announce`): a job that
 * a cancel or the reconciler ended was announced by them.
 */
export const jobOutcomeSchema = z.discriminatedUnion('status', [
  z.extend(executionInputSchema, {
    status: z.literal('COMPLETED'),
    s3Uri: z.string(),
    bytes: z.number().check(z.int()).check(z.nonnegative()),
    announce: z.boolean(),
  }),
  z.extend(executionInputSchema, {
    status: z.literal('FAILED'),
    code: z.string(),
    message: z.string(),
    announce: z.boolean(),
  }),
]);
export type JobOutcome = z.infer<typeof jobOutcomeSchema>;
