import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { failureClassOf, JOB_FAILED_LOG } from '../core/contract/failureClasses';
import {
  isTerminal,
  type Job,
  type JobError,
  type JobOutput,
  type JobPhase,
  jobSchema,
  statusOfPhase,
} from '../core/job';
import { parseOrThrow } from '../core/schemas';
import { logger } from './logger';
import { releaseActiveSlot } from './tenantUsage';
import { releaseUpstreamSlot, WAITING_ATTRIBUTE_NAMES, waitingAttributes } from './upstreamAdmission';

/** The Jobs table: the query store every workflow step writes its progress to. */
export interface JobStore {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * Set on a job that holds one of its owner's active slots (`tenantUsage.ts`);
 * the write that ends the job removes it and gives the slot back.
 */
const HOLDS_ACTIVE_SLOT = 'holdsActiveSlot';
/**
 * Set on a job admitted to the upstream (`upstreamAdmission.ts`), with its
 * submit's claim; the write that ends the job gives the slot back.
 */
const HOLDS_UPSTREAM_SLOT = 'holdsUpstreamSlot';

/** Stores a new job; `holdsActiveSlot` when a slot was taken for it. */
export async function putNewJob(store: JobStore, job: Job, options: { holdsActiveSlot?: boolean } = {}): Promise<void> {
  const item = options.holdsActiveSlot ? { ...job, [HOLDS_ACTIVE_SLOT]: true } : job;
  await store.doc.send(
    new PutCommand({ TableName: store.tableName, Item: item, ConditionExpression: 'attribute_not_exists(id)' }),
  );
}

export async function getJob(store: JobStore, id: string): Promise<Job | undefined> {
  const answer = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { id }, ConsistentRead: true }),
  );
  return answer.Item ? parseOrThrow(jobSchema, answer.Item, 'job record') : undefined;
}

type JobPatch = Partial<Omit<Job, 'id' | 'owner' | 'createdAt' | 'request' | 'status'>> & { phase?: JobPhase };

interface PatchOptions {
  /** Only apply while the job is not finished (a cancelled or failed job stays so). */
  onlyIfActive?: boolean;
  /** An extra condition, e.g. `attribute_not_exists(submitClaimedAt)`. */
  condition?: string;
  /** Attributes to remove. */
  remove?: readonly string[];
  /** Attributes outside the job's schema to set (bookkeeping such as a place in line). */
  setAttributes?: Record<string, unknown>;
  /** Attributes set only if the job has none yet (a first time that retries must not move). */
  setIfAbsent?: Record<string, unknown>;
}

/**
 * Sets the given fields (and `status`, derived from `phase`) in one conditional
 * update. Answers false when the condition did not hold, so callers decide.
 *
 * A write that ends the job (phase completed or failed) also removes
 * `holdsActiveSlot` and `holdsUpstreamSlot` (and any place in line) and reads
 * the job as it was: only the one write that found them there gives the
 * owner's active slot and the upstream slot back, so however many terminal
 * writes race (and every one is conditional on the job not being finished),
 * each slot is released exactly once.
 */
export async function patchJob(
  store: JobStore,
  id: string,
  patch: JobPatch,
  options: PatchOptions = {},
): Promise<boolean> {
  const ends = patch.phase !== undefined && isTerminal(statusOfPhase[patch.phase]);
  const remove = ends
    ? [...(options.remove ?? []), HOLDS_ACTIVE_SLOT, HOLDS_UPSTREAM_SLOT, ...WAITING_ATTRIBUTE_NAMES]
    : options.remove;
  let before: Record<string, unknown> | undefined;
  try {
    const answer = await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { id },
        ...updateExpressions(patch, { ...options, remove }),
        ...(ends ? { ReturnValues: 'ALL_OLD' as const } : {}),
      }),
    );
    before = answer.Attributes;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
  if (before?.[HOLDS_ACTIVE_SLOT] === true && typeof before.owner === 'string') {
    await giveSlotBack(store, id, before.owner);
  }
  if (before?.[HOLDS_UPSTREAM_SLOT] === true) await releaseUpstreamSlot(store, id);
  return true;
}

/** The update and condition expressions of a patch. */
function updateExpressions(patch: JobPatch, options: PatchOptions) {
  const fields: Record<string, unknown> = {
    ...patch,
    ...options.setAttributes,
    updatedAt: new Date().toISOString(),
  };
  if (patch.phase) fields.status = statusOfPhase[patch.phase];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      return `#${name} = :${name}`;
    });
  for (const [name, value] of Object.entries(options.setIfAbsent ?? {})) {
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(`#${name} = if_not_exists(#${name}, :${name})`);
  }
  const removes = (options.remove ?? []).map((name) => {
    names[`#${name}`] = name;
    return `#${name}`;
  });
  const conditions = ['attribute_exists(id)'];
  if (options.onlyIfActive) {
    names['#currentStatus'] = 'status';
    values[':completed'] = 'COMPLETED';
    values[':failed'] = 'FAILED';
    conditions.push('NOT #currentStatus IN (:completed, :failed)');
  }
  if (options.condition) conditions.push(options.condition);
  return {
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * The job has ended: its owner may start another. Logged, never thrown — the
 * job's end is already recorded, and failing its step now would only send a
 * finished job down the failure path. A crash or an error between the terminal
 * write and this decrement leaks the slot (the counter stays one too high)
 * until the reconciler repairs it (issue 9).
 */
async function giveSlotBack(store: JobStore, jobId: string, owner: string): Promise<void> {
  try {
    const released = await releaseActiveSlot(store, owner);
    if (!released) logger.warn('tenant usage had no active job to release', { jobId, owner });
  } catch (error) {
    logger.error('could not release the active slot of a finished job; it stays counted', { jobId, owner, error });
  }
}

/**
 * Claims the right to send the one paid submit. Only the first caller wins; a
 * retried Submit finds the claim and must not send again.
 */
export function claimSubmit(store: JobStore, id: string, now: Date = new Date()): Promise<boolean> {
  return patchJob(
    store,
    id,
    { phase: 'submitting', submitClaimedAt: now.toISOString() },
    {
      setIfAbsent: { admittedAt: now.toISOString() },
      onlyIfActive: true,
      condition: 'attribute_not_exists(submitClaimedAt)',
      // Claimed after the job was admitted: it holds an upstream slot until it ends, and no place in line.
      setAttributes: { [HOLDS_UPSTREAM_SLOT]: true },
      remove: WAITING_ATTRIBUTE_NAMES,
    },
  );
}

/** The job waits for upstream capacity: QUEUED, phase `waiting_for_capacity`, in line by its arrival. */
export function markWaitingForCapacity(
  store: JobStore,
  job: { id: string; createdAt: string; waitingTicket?: number },
  now: number = Date.now(),
): Promise<boolean> {
  return patchJob(
    store,
    job.id,
    { phase: 'waiting_for_capacity' },
    {
      onlyIfActive: true,
      setAttributes: waitingAttributes(job, now),
      // A job keeps the ticket it first waited with.
      ...(job.waitingTicket === undefined ? {} : { setIfAbsent: { waitingTicket: job.waitingTicket } }),
    },
  );
}

/** Gives the claim back: only when the upstream is known not to have accepted the job. */
export function releaseSubmitClaim(store: JobStore, id: string): Promise<boolean> {
  return patchJob(store, id, { phase: 'queued' }, { onlyIfActive: true, remove: ['submitClaimedAt'] });
}

export function recordSubmitted(
  store: JobStore,
  id: string,
  upstreamRequestId: string,
  submittedAt: string,
): Promise<boolean> {
  return patchJob(
    store,
    id,
    { phase: 'submitted', upstreamRequestId, upstreamStatus: 'QUEUED', submittedAt },
    { onlyIfActive: true },
  );
}

export function recordCompleted(
  store: JobStore,
  id: string,
  output: JobOutput,
  metrics?: Record<string, unknown>,
): Promise<boolean> {
  return patchJob(
    store,
    id,
    { phase: 'completed', output, metrics, upstreamStatus: 'COMPLETED', completedAt: new Date().toISOString() },
    { onlyIfActive: true },
  );
}

/** Ends the job FAILED; the first recorded failure wins (e.g. a cancel stays a cancel). */
export async function recordFailed(store: JobStore, id: string, error: JobError): Promise<boolean> {
  const recorded = await patchJob(
    store,
    id,
    { phase: 'failed', error, completedAt: new Date().toISOString() },
    { onlyIfActive: true },
  );
  // Counted per class by metric filters: only system failures page anyone.
  if (recorded)
    logger.info(JOB_FAILED_LOG.message, { jobId: id, code: error.code, failureClass: failureClassOf(error.code) });
  return recorded;
}
