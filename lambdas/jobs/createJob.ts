import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ulid } from 'ulid';
import { getJob, type JobStore, putNewJob, recordFailed } from '../adapters/jobStore';
import { logger } from '../adapters/logger';
import { giveBackJobSlot, takeJobSlot } from '../adapters/tenantUsage';
import { executionArnFor } from '../core/cancellation';
import { IdempotencyConflictError, idempotentJobId, requestHash } from '../core/idempotency';
import { executionNameFor, isTerminal, type Job, type JobError, type JobSource } from '../core/job';
import type { TransitionRequest } from '../core/schemas';
import { effectiveLimits, type SpendLimits, TenantLimitError } from '../core/spendLimits';
import type { TenantLimits } from '../core/tenants';
import { type ValidateNewJobDeps, validateNewJob } from './validateNewJob';

export interface CreateJobDeps extends ValidateNewJobDeps {
  store: JobStore;
  sfn: SFNClient;
  stateMachineArn: string;
  /** Days a job record is kept (DynamoDB TTL). @default 30 */
  retentionDays?: number;
  /** Every tenant's spend limits, unless its key sets its own. */
  limitDefaults: SpendLimits;
}

export interface NewJobInput {
  /** The tenant the job belongs to (the caller's, or the intake's), held to its spend limits. */
  owner: string;
  /** The API key that creates the job (recorded on it); none for the S3 intake. */
  keyId?: string;
  /** The tenant's own spend limits (its key's); what they leave unset comes from `limitDefaults`. */
  limits?: TenantLimits;
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

/** What a job whose execution could not be started shows: nothing was sent upstream. */
export const NOT_STARTED_ERROR = {
  code: 'internal_error',
  message:
    'The job could not be started; nothing was submitted to the upstream. Submit it again (with a new Idempotency-Key if you used one).',
} as const satisfies JobError;

/** StartExecution of the job's own execution: its stored name (the job id for older records), input `{"jobId"}`. */
function startExecution(job: Job, deps: CreateJobDeps) {
  return deps.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: deps.stateMachineArn,
      name: job.executionName ?? job.id,
      input: JSON.stringify({ jobId: job.id }),
    }),
  );
}

/**
 * Starts a new job's execution. Its name was minted for this job, so any
 * failure — `ExecutionAlreadyExists` included — means this job has no
 * execution of its own: it ends FAILED (which gives its slot back) and the
 * error is passed on. Should the start have landed all the same, Submit finds
 * the job finished and sends nothing.
 */
async function startNewJob(job: Job, deps: CreateJobDeps): Promise<void> {
  try {
    await startExecution(job, deps);
  } catch (error) {
    logger.error('could not start the execution', { jobId: job.id, executionName: job.executionName, error });
    await recordFailed(deps.store, job.id, NOT_STARTED_ERROR).catch((recordError: unknown) => {
      // A replay under the same Idempotency-Key starts it again; without one it waits for its record to expire.
      logger.error('could not record the unstarted job FAILED: it stays QUEUED', { jobId: job.id, recordError });
    });
    throw error;
  }
}

/**
 * The answer to a repeated idempotent create: the existing job if the request
 * is the same, else a conflict. An unfinished job's execution is started again
 * under its stored name, which heals a create that stopped between writing the
 * job and starting its execution: Step Functions answers a start with the name
 * and input of a running execution as the first, and `ExecutionAlreadyExists`
 * once it has ended — both mean the job has had its one execution (whose end
 * the workflow or the reconciler records). Any other failure is passed on and
 * leaves the job as it is: its execution may well be running.
 */
async function replay(existing: Job, owner: string, hash: string, deps: CreateJobDeps): Promise<CreatedJob> {
  if (existing.owner !== owner || existing.requestHash !== hash) throw new IdempotencyConflictError(existing.id);
  if (!isTerminal(existing.status)) {
    await startExecution(existing, deps).catch((error: unknown) => {
      if (!isNamed(error, 'ExecutionAlreadyExists')) throw error;
    });
  }
  return { job: existing, replayed: true };
}

/**
 * Validates the request (before anything is written or paid for), takes one of
 * the owner's slots (active jobs and today's quota; TenantLimitError when a
 * limit is reached), records the job holding that slot with the name of its
 * own execution, and starts that execution (a failed start ends the job). With an
 * idempotency key the job id is derived from (owner, key): a repeat answers the
 * existing job without taking a slot, and the conditional put decides between
 * racing creates — the loser gives its slot back and answers the winner's job.
 * The slot is released when the job ends (the terminal write in jobStore).
 */
export async function createTransitionJob(input: NewJobInput, deps: CreateJobDeps): Promise<CreatedJob> {
  const { owner, idempotencyKey } = input;
  if (idempotencyKey === '') throw new Error('createTransitionJob: idempotencyKey must not be empty');
  const id = idempotencyKey === undefined ? ulid() : idempotentJobId(owner, idempotencyKey);
  const existing = idempotencyKey === undefined ? undefined : await getJob(deps.store, id);
  // A repeat answers with the job its first create made, whose frames were read then.
  const request = await validateNewJob(input.body, deps, {
    owner,
    source: input.source,
    readFrames: existing === undefined,
  });
  const hash = requestHash(request);
  if (existing) return replay(existing, owner, hash, deps);

  const job = newJob(id, input, request, hash, deps);
  let countedOn: string;
  try {
    ({ day: countedOn } = await takeJobSlot(
      deps.store,
      owner,
      effectiveLimits(input.limits ?? {}, deps.limitDefaults),
      new Date(job.createdAt),
    ));
  } catch (error) {
    // A racing create with the same key made the job meanwhile: a replay is never refused.
    const made = error instanceof TenantLimitError && idempotencyKey ? await getJob(deps.store, id) : undefined;
    if (!made) throw error;
    return replay(made, owner, hash, deps);
  }
  const winner = await storeNewJob(job, countedOn, deps);
  if (winner) return replay(winner, owner, hash, deps);
  await startNewJob(job, deps);
  return { job, replayed: false };
}

function newJob(id: string, input: NewJobInput, request: TransitionRequest, hash: string, deps: CreateJobDeps): Job {
  const now = new Date();
  const executionName = executionNameFor(id, ulid());
  return {
    id,
    owner: input.owner,
    status: 'QUEUED',
    phase: 'queued',
    request,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + (deps.retentionDays ?? 30) * 86_400,
    requestHash: hash,
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
    ...(input.keyId === undefined ? {} : { keyId: input.keyId }),
    ...(input.source ? { source: input.source } : {}),
    executionName,
    executionArn: executionArnFor(deps.stateMachineArn, executionName),
  };
}

/**
 * Stores the job, marked as holding the slot counted for it on `countedOn`.
 * A failed put is told apart by reading the record back: this very job (an SDK
 * retry of a put that had landed fails its own condition) goes on; another
 * create's job under the same key is answered (returned); no job gives the slot
 * back. If even the read fails, the slot stays taken (too high rather than too
 * low a count) until the reconciler (issue 9) repairs it.
 */
async function storeNewJob(job: Job, countedOn: string, deps: CreateJobDeps): Promise<Job | undefined> {
  try {
    await putNewJob(deps.store, job, { holdsActiveSlot: true });
    return undefined;
  } catch (error) {
    const found = await getJob(deps.store, job.id).catch((readError: unknown) => {
      logger.error('could not tell whether the job was stored; its slot stays taken', { jobId: job.id, readError });
      throw error;
    });
    const sameCreate =
      found?.owner === job.owner && found.createdAt === job.createdAt && found.requestHash === job.requestHash;
    if (sameCreate) return undefined;
    await giveBackJobSlot(deps.store, job.owner, countedOn).catch((giveBackError: unknown) => {
      logger.error('could not give back the slot of a job that was not stored', { jobId: job.id, giveBackError });
    });
    if (found && job.idempotencyKey !== undefined) return found;
    throw error;
  }
}
