import { GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { parseOrThrow } from '../core/schemas';
import {
  ACTIVE_LIMIT_RETRY_AFTER_SECONDS,
  type LimitRefusal,
  planTake,
  type SpendLimits,
  type TakePlan,
  TenantLimitError,
  type TenantUsage,
  tenantUsageSchema,
  utcDay,
} from '../core/spendLimits';
import { isConditionFailure } from './conditionFailure';
import type { JobStore } from './jobStore';

/*
 * One counter item per tenant in the jobs table, changed only by single-item
 * conditional updates (no transactions: the local stack's DynamoDB has none):
 *   { id: 'tenant-usage#<tenant>', tenantId, activeCount, day: 'YYYY-MM-DD', dayCount, updatedAt }
 * Its id holds a '#', which no request id may, so no route can read it as a
 * job; it has no `owner` and no `createdAt`, so the byOwner index never lists
 * it; and no `expiresAt`, so TTL never drops it.
 *
 * A job's slot is taken before its record is put and released by the write
 * that ends it (jobStore's terminal writes remove the job's `holdsActiveSlot`;
 * only the one that removed it decrements here), so each slot is given back
 * once. Without transactions two windows can leak a slot (the count stays one
 * too high, never too low): a crash between the take and the put, and one
 * between the terminal write and the decrement. The reconciler (issue 9) repairs them.
 */

export const tenantUsageId = (tenantId: string): string => `tenant-usage#${tenantId}`;

/** Conditional updates tried before a take gives up: each failed condition means the counter was full, from another day, or changed meanwhile. */
const MAX_TAKE_ATTEMPTS = 5;

/** The update, answering false when its condition did not hold. */
async function conditionalUpdate(store: JobStore, input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
  try {
    await store.doc.send(new UpdateCommand({ TableName: store.tableName, ...input }));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function readTenantUsage(store: JobStore, tenantId: string): Promise<TenantUsage | undefined> {
  const { Item } = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { id: tenantUsageId(tenantId) }, ConsistentRead: true }),
  );
  return Item ? parseOrThrow(tenantUsageSchema, Item, `tenant usage of ${tenantId}`) : undefined;
}

/**
 * One attempt at `plan`: both counts go up only if, at that instant, the
 * counter still says what the plan assumed and both are under the limits.
 * `newDay` also creates the counter, and replaces an earlier day's count.
 */
function tryTake(
  store: JobStore,
  tenantId: string,
  plan: 'sameDay' | 'newDay',
  limits: SpendLimits,
  now: Date,
): Promise<boolean> {
  const key = { id: tenantUsageId(tenantId) };
  const names = { '#day': 'day' };
  const common = { ':one': 1, ':today': utcDay(now), ':maxActive': limits.maxActiveJobs, ':now': now.toISOString() };
  if (plan === 'sameDay') {
    return conditionalUpdate(store, {
      Key: key,
      UpdateExpression: 'SET activeCount = activeCount + :one, dayCount = dayCount + :one, updatedAt = :now',
      ConditionExpression: '#day = :today AND dayCount < :maxPerDay AND activeCount < :maxActive',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...common, ':maxPerDay': limits.maxJobsPerDay },
    });
  }
  return conditionalUpdate(store, {
    Key: key,
    UpdateExpression:
      'SET tenantId = :tenant, #day = :today, dayCount = :one, activeCount = if_not_exists(activeCount, :zero) + :one, updatedAt = :now',
    ConditionExpression:
      '(attribute_not_exists(#day) OR #day <> :today) AND (attribute_not_exists(activeCount) OR activeCount < :maxActive)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ...common, ':zero': 0, ':tenant': tenantId },
  });
}

/**
 * Takes a slot for a new job: counts it as active and against today's quota,
 * atomically and only if both stay within `limits`. The first try assumes the
 * counter is today's; a failed condition means it is full or from another day
 * (or absent), so the counter is read and the next try planned from it.
 * Answers the UTC day the job was counted on; throws TenantLimitError when a
 * limit is reached.
 */
export async function takeJobSlot(
  store: JobStore,
  tenantId: string,
  limits: SpendLimits,
  now: Date = new Date(),
): Promise<{ day: string }> {
  let plan: TakePlan = { kind: 'sameDay' };
  for (let attempt = 1; attempt <= MAX_TAKE_ATTEMPTS; attempt++) {
    if (plan.kind === 'refused') throw new TenantLimitError(plan.refusal);
    if (await tryTake(store, tenantId, plan.kind, limits, now)) return { day: utcDay(now) };
    plan = planTake(await readTenantUsage(store, tenantId), limits, now);
  }
  // The counter changed under every attempt: as busy as a full one, so answered the same way.
  const crowded: LimitRefusal =
    plan.kind === 'refused'
      ? plan.refusal
      : { limit: 'maxActiveJobs', max: limits.maxActiveJobs, retryAfterSeconds: ACTIVE_LIMIT_RETRY_AFTER_SECONDS };
  throw new TenantLimitError(crowded);
}

/**
 * Gives an active slot back: the job holding it has ended. Never below zero; a
 * counter that is missing or already at zero is left alone (answers false).
 */
export function releaseActiveSlot(store: JobStore, tenantId: string, now: Date = new Date()): Promise<boolean> {
  return conditionalUpdate(store, {
    Key: { id: tenantUsageId(tenantId) },
    UpdateExpression: 'SET activeCount = activeCount - :one, updatedAt = :now',
    ConditionExpression: 'activeCount > :zero',
    ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':now': now.toISOString() },
  });
}

/**
 * Undoes a take whose job was never created: the active slot and, while it is
 * still the day it was counted on, that day's count. After midnight the day's
 * count belongs to the new day and stays as it is.
 */
export async function giveBackJobSlot(
  store: JobStore,
  tenantId: string,
  countedOn: string,
  now: Date = new Date(),
): Promise<void> {
  const both = await conditionalUpdate(store, {
    Key: { id: tenantUsageId(tenantId) },
    UpdateExpression: 'SET activeCount = activeCount - :one, dayCount = dayCount - :one, updatedAt = :now',
    ConditionExpression: 'activeCount > :zero AND dayCount > :zero AND #day = :countedOn',
    ExpressionAttributeNames: { '#day': 'day' },
    ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':countedOn': countedOn, ':now': now.toISOString() },
  });
  if (!both) await releaseActiveSlot(store, tenantId, now);
}
