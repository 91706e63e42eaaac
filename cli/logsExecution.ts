import { type ExecutionListItem, paginateListExecutions, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { executionArnOfJob } from '../lambdas/core/cancellation';
import { jobErrorSchema } from '../lambdas/core/job';
import type { LogsSource } from './logsTarget';

/** The job or execution named on the command line was not found (exit 1). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** What the timeline's header says of the job; the rest of the record is not needed to find its execution. */
const jobRecordSchema = z.object({
  id: z.string(),
  status: z.string().optional(),
  phase: z.string().optional(),
  error: z.optional(jobErrorSchema),
  executionArn: z.string().optional(),
});
export type JobSummary = Omit<z.infer<typeof jobRecordSchema>, 'executionArn'>;

/** How far back to look for an execution of a job whose record has expired. */
const RECENT_EXECUTIONS = 1000;

/**
 * The execution of a job: the one its record names (or, for a record made
 * before execution names were unique, the one named after it). A record the
 * table's TTL removed leaves its executions (Step Functions keeps them 90
 * days): their names start with the job id, so the newest such is taken.
 */
export async function findJobExecution(
  source: LogsSource,
  jobId: string,
): Promise<{ executionArn: string; job?: JobSummary }> {
  const answer = await source.jobs.send(new GetCommand({ TableName: source.jobsTable, Key: { id: jobId } }));
  const record = answer.Item ? jobRecordSchema.safeParse(answer.Item) : undefined;
  if (record?.success) {
    const { executionArn, ...job } = record.data;
    return { executionArn: executionArnOfJob(source.stateMachineArn, { id: job.id, executionArn }), job };
  }
  const execution = await newestExecutionNamedFor(source.sfn, source.stateMachineArn, jobId);
  if (!execution?.executionArn) {
    throw new NotFoundError(
      `No job ${jobId}: the jobs table ${source.jobsTable} has no such record, and none of the ${RECENT_EXECUTIONS} most recent executions of ${source.stateMachineArn} is named after it.`,
    );
  }
  return { executionArn: execution.executionArn };
}

/** `executionNameFor`: the job id, `-`, and a ULID minted for the execution; older executions are the job id. */
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const isExecutionOf = (name: string, jobId: string) =>
  name === jobId || (name.startsWith(`${jobId}-`) && ULID.test(name.slice(jobId.length + 1)));

async function newestExecutionNamedFor(
  sfn: SFNClient,
  stateMachineArn: string,
  jobId: string,
): Promise<ExecutionListItem | undefined> {
  let seen = 0;
  // ListExecutions answers newest first.
  for await (const page of paginateListExecutions({ client: sfn, pageSize: 100 }, { stateMachineArn })) {
    const executions = page.executions ?? [];
    const match = executions.find(({ name }) => name !== undefined && isExecutionOf(name, jobId));
    if (match) return match;
    seen += executions.length;
    if (seen >= RECENT_EXECUTIONS) return undefined;
  }
  return undefined;
}
