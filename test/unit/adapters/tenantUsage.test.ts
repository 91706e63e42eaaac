import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type JobStore, putNewJob, recordCompleted, recordFailed } from '../../../lambdas/adapters/jobStore';
import {
  giveBackJobSlot,
  readTenantUsage,
  releaseActiveSlot,
  takeJobSlot,
  tenantUsageId,
} from '../../../lambdas/adapters/tenantUsage';
import { TenantLimitError } from '../../../lambdas/core/spendLimits';
import { storedJob } from '../fakeJobsTable';
import { startDynaliteJobsStore } from './dynaliteJobsStore';

/*
 * The counter's conditions are DynamoDB's to evaluate, so they are checked
 * against a real implementation: dynalite, in memory, as the local stack runs it.
 */

const NOON = new Date('2025-03-01T12:00:00.000Z');
const NEXT_NOON = new Date('2025-03-02T12:00:00.000Z');
const LIMITS = { maxActiveJobs: 5, maxJobsPerDay: 100 };

let store: JobStore;
let tenantNumber = 0;
let tenant: string;

let closeStore: () => Promise<void>;

beforeAll(async () => {
  ({ store, close: closeStore } = await startDynaliteJobsStore());
});

afterAll(async () => {
  await closeStore?.();
});

beforeEach(() => {
  // A fresh tenant per test: the table is shared.
  tenant = `tenant-${++tenantNumber}`;
});

const usageItem = async () =>
  (await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { id: tenantUsageId(tenant) } }))).Item;

/** The outcome of each promise: 'taken' or the refused limit. */
async function outcomes(takes: Promise<unknown>[]): Promise<string[]> {
  const settled = await Promise.allSettled(takes);
  return settled.map((result) => {
    if (result.status === 'fulfilled') return 'taken';
    if (result.reason instanceof TenantLimitError) return result.reason.refusal.limit;
    throw result.reason;
  });
}

describe('Function: takeJobSlot', () => {
  it("creates the tenant's counter on its first job: one active, one today, nothing a job index or TTL would see", async () => {
    // Act
    const taken = await takeJobSlot(store, tenant, LIMITS, NOON);

    // Assert
    expect(taken).toEqual({ day: '2025-03-01' });
    expect(await usageItem()).toEqual({
      id: `tenant-usage#${tenant}`,
      tenantId: tenant,
      activeCount: 1,
      day: '2025-03-01',
      dayCount: 1,
      updatedAt: NOON.toISOString(),
    });
  });

  it('takes slots up to the active cap, then refuses with a short Retry-After', async () => {
    // Arrange
    for (let job = 0; job < 5; job++) await takeJobSlot(store, tenant, LIMITS, NOON);

    // Act
    const refused = takeJobSlot(store, tenant, LIMITS, NOON);

    // Assert
    await expect(refused).rejects.toBeInstanceOf(TenantLimitError);
    await expect(refused).rejects.toMatchObject({
      refusal: { limit: 'maxActiveJobs', max: 5, retryAfterSeconds: 30 },
    });
    expect(await readTenantUsage(store, tenant)).toEqual({ activeCount: 5, day: '2025-03-01', dayCount: 5 });
  });

  it('lets exactly 5 of 50 concurrent takes through against a cap of 5', async () => {
    // Act
    const results = await outcomes(Array.from({ length: 50 }, () => takeJobSlot(store, tenant, LIMITS, NOON)));

    // Assert
    expect(results.filter((result) => result === 'taken')).toHaveLength(5);
    expect(results.filter((result) => result === 'maxActiveJobs')).toHaveLength(45);
    expect(await readTenantUsage(store, tenant)).toMatchObject({ activeCount: 5, dayCount: 5 });
  });

  it("refuses at the daily quota until the next UTC midnight; finished jobs do not give today's count back", async () => {
    // Arrange
    const limits = { maxActiveJobs: 10, maxJobsPerDay: 3 };
    for (let job = 0; job < 3; job++) {
      await takeJobSlot(store, tenant, limits, NOON);
      await releaseActiveSlot(store, tenant, NOON);
    }

    // Act
    const refused = takeJobSlot(store, tenant, limits, NOON);

    // Assert
    await expect(refused).rejects.toMatchObject({
      refusal: { limit: 'maxJobsPerDay', max: 3, retryAfterSeconds: 12 * 3600 },
    });
    expect(await readTenantUsage(store, tenant)).toEqual({ activeCount: 0, day: '2025-03-01', dayCount: 3 });
  });

  it("starts the next UTC day's count at 1, keeping the jobs still active from the day before", async () => {
    // Arrange
    const limits = { maxActiveJobs: 10, maxJobsPerDay: 3 };
    for (let job = 0; job < 3; job++) await takeJobSlot(store, tenant, limits, NOON);

    // Act
    const taken = await takeJobSlot(store, tenant, limits, NEXT_NOON);

    // Assert
    expect(taken).toEqual({ day: '2025-03-02' });
    expect(await readTenantUsage(store, tenant)).toEqual({ activeCount: 4, day: '2025-03-02', dayCount: 1 });
  });

  it('rolls the day over once under a burst: exactly the quota of 20 concurrent takes on a new day get through', async () => {
    // Arrange
    const limits = { maxActiveJobs: 100, maxJobsPerDay: 7 };
    await takeJobSlot(store, tenant, limits, NOON);

    // Act
    const results = await outcomes(Array.from({ length: 20 }, () => takeJobSlot(store, tenant, limits, NEXT_NOON)));

    // Assert
    expect(results.filter((result) => result === 'taken')).toHaveLength(7);
    expect(results.filter((result) => result === 'maxJobsPerDay')).toHaveLength(13);
    expect(await readTenantUsage(store, tenant)).toEqual({ activeCount: 8, day: '2025-03-02', dayCount: 7 });
  });
});

describe('Function: releaseActiveSlot and giveBackJobSlot', () => {
  it('releases an active slot, never below zero and never creating a counter', async () => {
    // Arrange
    await takeJobSlot(store, tenant, LIMITS, NOON);

    // Act
    const first = await releaseActiveSlot(store, tenant, NOON);
    const second = await releaseActiveSlot(store, tenant, NOON);
    const unknown = await releaseActiveSlot(store, `${tenant}-none`, NOON);

    // Assert
    expect([first, second, unknown]).toEqual([true, false, false]);
    expect(await readTenantUsage(store, tenant)).toEqual({ activeCount: 0, day: '2025-03-01', dayCount: 1 });
    expect(await readTenantUsage(store, `${tenant}-none`)).toBeUndefined();
  });

  it("gives back the active slot and the day's count of a job that was never stored", async () => {
    // Arrange
    const { day } = await takeJobSlot(store, tenant, LIMITS, NOON);

    // Act
    await giveBackJobSlot(store, tenant, day, NOON);

    // Assert
    expect(await readTenantUsage(store, tenant)).toEqual({ activeCount: 0, day: '2025-03-01', dayCount: 0 });
  });

  it("after midnight gives back only the active slot: the day's count is the new day's", async () => {
    // Arrange
    const { day } = await takeJobSlot(store, tenant, LIMITS, NOON);
    await takeJobSlot(store, tenant, LIMITS, NEXT_NOON);

    // Act
    await giveBackJobSlot(store, tenant, day, NEXT_NOON);

    // Assert
    expect(await readTenantUsage(store, tenant)).toEqual({ activeCount: 1, day: '2025-03-02', dayCount: 1 });
  });
});

describe('Function: patchJob (terminal writes)', () => {
  const jobHoldingSlot = async (id: string) => {
    await takeJobSlot(store, tenant, LIMITS, NOON);
    await putNewJob(store, storedJob(id, {}, { owner: tenant }), { holdsActiveSlot: true });
  };
  const output = { s3Bucket: 'b', videoKey: 'v', resultKey: 'r', bytes: 1, contentType: 'video/mp4' };

  it('gives the slot back exactly once when terminal writes race: the one that ends the job', async () => {
    // Arrange
    await jobHoldingSlot('01JQ00000000000000000000R1');
    await takeJobSlot(store, tenant, LIMITS, NOON);

    // Act
    const wins = await Promise.all([
      recordCompleted(store, '01JQ00000000000000000000R1', output),
      recordFailed(store, '01JQ00000000000000000000R1', { code: 'cancelled', message: 'Cancelled' }),
      recordFailed(store, '01JQ00000000000000000000R1', { code: 'internal_error', message: 'Boom' }),
    ]);

    // Assert
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect((await readTenantUsage(store, tenant))?.activeCount).toBe(1);
    const job = (
      await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { id: '01JQ00000000000000000000R1' } }))
    ).Item;
    expect(job).not.toHaveProperty('holdsActiveSlot');
  });

  it('releases nothing for a job that never held a slot', async () => {
    // Arrange
    await takeJobSlot(store, tenant, LIMITS, NOON);
    await store.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: storedJob('01JQ00000000000000000000R2', {}, { owner: tenant }),
      }),
    );

    // Act
    const ended = await recordFailed(store, '01JQ00000000000000000000R2', { code: 'internal_error', message: 'Boom' });

    // Assert
    expect(ended).toBe(true);
    expect((await readTenantUsage(store, tenant))?.activeCount).toBe(1);
  });
});
