import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Job, type JobError, type JobOutput, type JobPhase, jobSchema, statusOfPhase } from '../core/job';
import { parseOrThrow } from '../core/schemas';

/** The Jobs table: the query store every workflow step writes its progress to. */
export interface JobStore {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

export async function putNewJob(store: JobStore, job: Job): Promise<void> {
  await store.doc.send(
    new PutCommand({ TableName: store.tableName, Item: job, ConditionExpression: 'attribute_not_exists(id)' }),
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
}

/**
 * Sets the given fields (and `status`, derived from `phase`) in one conditional
 * update. Answers false when the condition did not hold, so callers decide.
 */
export async function patchJob(
  store: JobStore,
  id: string,
  patch: JobPatch,
  options: PatchOptions = {},
): Promise<boolean> {
  const fields: Record<string, unknown> = { ...patch, updatedAt: new Date().toISOString() };
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
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { id },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Claims the right to send the one paid submit. Only the first caller wins; a
 * retried Submit finds the claim and must not send again.
 */
export function claimSubmit(store: JobStore, id: string): Promise<boolean> {
  return patchJob(
    store,
    id,
    { phase: 'submitting', submitClaimedAt: new Date().toISOString() },
    { onlyIfActive: true, condition: 'attribute_not_exists(submitClaimedAt)' },
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
export function recordFailed(store: JobStore, id: string, error: JobError): Promise<boolean> {
  return patchJob(store, id, { phase: 'failed', error, completedAt: new Date().toISOString() }, { onlyIfActive: true });
}
