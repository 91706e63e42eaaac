import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ulid } from 'ulid';
import { getJob, type JobStore, putNewJob, recordFailed } from '../adapters/jobStore';
import { logger } from '../adapters/logger';
import { IdempotencyConflictError, idempotentJobId, requestHash } from '../core/idempotency';
import { isTerminal, type Job, type JobSource } from '../core/job';
import { type ValidateNewJobDeps, validateNewJob } from './validateNewJob';

export interface CreateJobDeps extends ValidateNewJobDeps {
  store: JobStore;
  sfn: SFNClient;
  stateMachineArn: string;
  /** Days a job record is kept (DynamoDB TTL). */
  retentionDays?: number;
}

export interface NewJobInput {
  /** Who the job belongs to (an API key id, or the intake's owner). */
  owner: string;
  /** The request as received: validated here. */
  body: unknown;
  /**
   * Makes the create safe to repeat: the same owner, key and request always give
   * the same job, started once. Any non-empty string; the API checks its header rules first.
   */
  idempotencyKey?: string;
  /** Where the job came from. @default - not recorded */
  source?: JobSource;
}

export interface CreatedJob {
  job: Job;
  /** True when an earlier create with the same idempotency key made this job. */
  replayed: boolean;
}

const isNamed = (error: unknown, name: string) => error instanceof Error && error.name === name;

/**
 * Starts the job's execution, named after the job. Step Functions answers a
 * second start with the same name and input as the first (while it runs), and
 * `ExecutionAlreadyExists` once it has ended: both mean the job has its one execution.
 */
async function startExecution(jobId: string, deps: CreateJobDeps): Promise<void> {
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: jobId,
        input: JSON.stringify({ jobId }),
      }),
    );
  } catch (error) {
    if (!isNamed(error, 'ExecutionAlreadyExists')) throw error;
  }
}

/**
 * The answer to a repeated idempotent create: the existing job if the request
 * is the same, else a conflict. Starting again heals a create that stopped
 * between writing the job and starting its execution; the workflow's submit
 * claim still makes the paid submit happen at most once.
 */
async function replay(existing: Job, owner: string, hash: string, deps: CreateJobDeps): Promise<CreatedJob> {
  if (existing.owner !== owner || existing.requestHash !== hash) throw new IdempotencyConflictError(existing.id);
  if (!isTerminal(existing.status)) await startExecution(existing.id, deps);
  return { job: existing, replayed: true };
}

/**
 * Validates the request (before anything is written or paid for), records the
 * job and starts its execution, named after the job so it can never start
 * twice. With an idempotency key the job id is derived from (owner, key): the
 * conditional put decides between racing creates, and the loser answers with
 * the winner's job.
 */
export async function createTransitionJob(input: NewJobInput, deps: CreateJobDeps): Promise<CreatedJob> {
  const { owner, idempotencyKey } = input;
  if (idempotencyKey === '') throw new Error('createTransitionJob: idempotencyKey must not be empty');
  const id = idempotencyKey === undefined ? ulid() : idempotentJobId(owner, idempotencyKey);
  const existing = idempotencyKey === undefined ? undefined : await getJob(deps.store, id);
  // A repeat answers with the job its first create made, whose frames were read then.
  const request = await validateNewJob(input.body, deps, { readFrames: existing === undefined });
  const hash = requestHash(request);
  if (existing) return replay(existing, owner, hash, deps);

  const now = new Date();
  const job: Job = {
    id,
    owner,
    status: 'QUEUED',
    phase: 'queued',
    request,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + (deps.retentionDays ?? 30) * 86_400,
    requestHash: hash,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    ...(input.source ? { source: input.source } : {}),
  };
  try {
    await putNewJob(deps.store, job);
  } catch (error) {
    // Another create with the same key won the race: answer with its job.
    const winner =
      idempotencyKey !== undefined && isNamed(error, 'ConditionalCheckFailedException')
        ? await getJob(deps.store, id)
        : undefined;
    if (!winner) throw error;
    return replay(winner, owner, hash, deps);
  }
  try {
    await startExecution(job.id, deps);
  } catch (error) {
    logger.error('could not start the execution', { jobId: job.id, error });
    await recordFailed(deps.store, job.id, { code: 'internal_error', message: 'The job could not be started' });
    throw error;
  }
  return { job, replayed: false };
}
