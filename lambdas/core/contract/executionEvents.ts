import * as z from 'zod/mini';
import '../zodMini';

/**
 * Step Functions' own "Execution Status Change" events, as AWS puts them on the
 * default bus: the reconciler's rule matches them (infra), its handler parses
 * them (lambdas/reconciler/) and the local Step Functions emits them (local/sfn/).
 */
export const EXECUTION_STATUS_CHANGE = {
  source: 'aws.states',
  detailType: 'Step Functions Execution Status Change',
} as const;

export const executionStatuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

/** The ends that bypass the workflow's own failure path: the reconciler ends their jobs. */
export const RECONCILED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const satisfies readonly ExecutionStatus[];
export type ReconciledStatus = (typeof RECONCILED_STATUSES)[number];

/**
 * The event's `detail` (the fields framebridge reads or the local stack sets).
 * Dates are epoch milliseconds; `input` is the execution's input as a JSON
 * string (AWS leaves it null above 256 KiB, which a `{"jobId"}` never is).
 */
export const executionStatusChangeDetailSchema = z.object({
  executionArn: z.string().check(z.minLength(1)),
  stateMachineArn: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  status: z.enum(executionStatuses),
  startDate: z.number(),
  stopDate: z.nullable(z.number()),
  input: z.nullable(z.string()),
  output: z.nullable(z.string()),
  error: z.nullable(z.string()),
  cause: z.nullable(z.string()),
});
export type ExecutionStatusChangeDetail = z.infer<typeof executionStatusChangeDetailSchema>;
