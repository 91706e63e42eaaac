import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobsTable } from '../../../infra/constructs/jobsTable';
import {
  claimSubmit,
  getJob,
  type JobStore,
  markWaitingForCapacity,
  putNewJob,
  recordCompleted,
  recordFailed,
  releaseSubmitClaim,
} from '../../../lambdas/adapters/jobStore';
import {
  ADMISSION_ITEM_ID,
  admitJob,
  countWaitingAhead,
  LINE_ITEM_ID,
  lastAdmittedTicket,
  noteAdmittedTicket,
  noteThrottled,
  readAdmission,
  releaseUpstreamSlot,
  takeRequestToken,
  takeTicket,
  WAITING_STALE_MS,
} from '../../../lambdas/adapters/upstreamAdmission';
import { THROTTLE_SLOWDOWN_MS, type UpstreamBudget } from '../../../lambdas/core/admission';
import type { Job } from '../../../lambdas/core/job';
import { startLocalDynamo } from '../../../local/dynamodb';
import { storedJob } from '../fakeJobsTable';

/*
 * The admission item and the waiting line on dynalite, the jobs table built
 * from the construct the stack deploys (with its `waitingForCapacity` index):
 * the version conditions and the index are DynamoDB's to evaluate.
 */

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const T0 = Date.parse('2025-03-01T09:00:00.000Z');
/** 6000 a minute: a bucket of 100, so only the slots limit admissions. */
const roomy: UpstreamBudget = { requestsPerMinute: 6000, concurrency: 3, leaseSeconds: 120 };

let tableProps: Record<string, unknown>;
let store: JobStore;
let closeDynamo: () => Promise<void>;
/** Every command sent, answered or refused. */
let sends: { mock: { settledResults: { type: string; value: unknown }[] } };

beforeAll(() => {
  const stack = new Stack(new App(), 'AdmissionTest');
  new JobsTable(stack, 'Jobs');
  const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
  tableProps = table?.Properties as Record<string, unknown>;
});

beforeEach(async () => {
  const dynamo = await startLocalDynamo([{ name: 'jobs', props: tableProps }], credentials);
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials }),
  );
  sends = vi.spyOn(doc, 'send');
  store = { doc, tableName: 'jobs' };
  closeDynamo = async () => {
    doc.destroy();
    await dynamo.close();
  };
  vi.spyOn(Date, 'now').mockReturnValue(T0);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await closeDynamo();
});

const jobId = (n: number) => `01JQ00000000000000000000${String(n).padStart(2, '0')}`;
const rawItem = async (id: string) =>
  (await store.doc.send(new GetCommand({ TableName: 'jobs', Key: { id }, ConsistentRead: true }))).Item;
const conditionFailures = () =>
  sends.mock.settledResults.filter(({ type, value }) => type === 'rejected' && String(value).startsWith('Conditional'))
    .length;

/** A stored job that arrived `second` seconds after 09:00. */
async function putJobArrivedAt(n: number, second: number): Promise<Job> {
  const job = storedJob(jobId(n), {}, { createdAt: new Date(T0 + second * 1000).toISOString() });
  await putNewJob(store, job);
  return job;
}

describe('Function: admitJob', () => {
  it('creates the admission item on the first admission, with the slot leased and a token spent', async () => {
    // Act
    const answer = await admitJob(store, roomy, jobId(1), 0);

    // Assert
    expect(answer.admitted).toBe(true);
    expect(await readAdmission(store)).toEqual({
      tokens: 99,
      refilledAt: T0,
      slots: { [jobId(1)]: T0 + 120_000 },
      rateFactor: 1,
      slowUntil: 0,
      version: 1,
    });
  });

  it('never admits more than `concurrency` of many jobs racing; a job that loses its races is told busy, not refused', async () => {
    // Act
    const ids = Array.from({ length: 10 }, (_, n) => jobId(n));
    const answers = await Promise.all(ids.map((id) => admitJob(store, roomy, id, 0)));

    // Assert: at most three admitted, the rest told the slots are full or that the item was busy, nothing lost
    const admitted = ids.filter((_, n) => answers[n]?.admitted);
    expect(admitted.length).toBeGreaterThan(0);
    expect(admitted.length).toBeLessThanOrEqual(3);
    for (const answer of answers.filter((a) => !a.admitted)) {
      expect(['concurrency', 'busy']).toContain((answer as { reason: string }).reason);
    }
    const stored = await readAdmission(store);
    expect(Object.keys(stored?.slots ?? {}).sort()).toEqual(admitted.sort());
    expect(stored).toMatchObject({ tokens: 100 - admitted.length, version: admitted.length });
    expect(conditionFailures()).toBeGreaterThan(0);

    // Act: the busy ones ask again, one at a time, as their tickets spread them out
    const busy = ids.filter((_, n) => !answers[n]?.admitted && (answers[n] as { reason: string }).reason === 'busy');
    for (const id of busy) await admitJob(store, roomy, id, 0);

    // Assert: the slots fill up exactly
    expect(Object.keys((await readAdmission(store))?.slots ?? {})).toHaveLength(
      Math.min(3, admitted.length + busy.length),
    );
  });

  it('admits a job that holds its slot again for a token alone, even with the slots full', async () => {
    // Act
    for (const n of [1, 2, 3]) await admitJob(store, roomy, jobId(n), 0);
    const again = await admitJob(store, roomy, jobId(2), 10);
    const other = await admitJob(store, roomy, jobId(4), 0);

    // Assert
    expect(again.admitted).toBe(true);
    expect(other).toEqual({ admitted: false, reason: 'concurrency' });
    expect(await readAdmission(store)).toMatchObject({ tokens: 96, version: 4 });
  });
});

describe('Function: takeRequestToken', () => {
  it('spends a token and renews the lease of the job’s slot', async () => {
    // Act: a minute after the admission
    await admitJob(store, roomy, jobId(1), 0);
    vi.spyOn(Date, 'now').mockReturnValue(T0 + 60_000);
    const answer = await takeRequestToken(store, roomy, jobId(1), 'poll');

    // Assert: a minute's refill tops the bucket up again before the take
    expect(answer.ok).toBe(true);
    expect(await readAdmission(store)).toMatchObject({
      tokens: 99,
      slots: { [jobId(1)]: T0 + 60_000 + 120_000 },
      version: 2,
    });
  });

  it('never spends a token twice when takes race: exactly the bucket is granted', async () => {
    // Arrange: a bucket of 5 (300 a minute), no refill while the clock stands still
    const small = { ...roomy, requestsPerMinute: 300 };

    // Act
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, n) => takeRequestToken(store, small, jobId(n), 'result')),
    );

    // Assert
    expect(answers.filter((answer) => answer.ok)).toHaveLength(5);
    expect(answers.filter((a) => !a.ok)).toEqual(Array(7).fill({ ok: false, retryAt: expect.any(Number) }));
    expect(await readAdmission(store)).toMatchObject({ tokens: 0, version: 5 });
  });
});

describe('Function: noteThrottled', () => {
  it('empties the bucket and slows the refill: the next take waits, and writes nothing', async () => {
    // Act: a 429 after an admission
    await admitJob(store, roomy, jobId(1), 0);
    await noteThrottled(store, roomy);
    const take = await takeRequestToken(store, roomy, jobId(1), 'result');

    // Assert
    expect(await readAdmission(store)).toMatchObject({
      tokens: 0,
      rateFactor: 0.5,
      slowUntil: T0 + THROTTLE_SLOWDOWN_MS,
      slots: { [jobId(1)]: T0 + 120_000 },
      version: 2,
    });
    expect(take).toEqual({ ok: false, retryAt: expect.any(Number) });
    expect(take.ok || take.retryAt > T0).toBe(true);
  });
});

describe('Function: releaseUpstreamSlot', () => {
  it('frees the job’s slot for the next job and bumps the version', async () => {
    // Act
    for (const n of [1, 2, 3]) await admitJob(store, roomy, jobId(n), 0);
    await releaseUpstreamSlot(store, jobId(2));

    // Assert
    const stored = await readAdmission(store);
    expect(Object.keys(stored?.slots ?? {}).sort()).toEqual([jobId(1), jobId(3)]);
    expect(stored?.version).toBe(4);
    expect((await admitJob(store, roomy, jobId(4), 0)).admitted).toBe(true);
  });

  it('changes no slot for a job that holds none, and creates no item before the first admission', async () => {
    // Act
    const beforeAny = releaseUpstreamSlot(store, jobId(1));
    await expect(beforeAny).resolves.toBeUndefined();
    const absent = await rawItem(ADMISSION_ITEM_ID);
    await admitJob(store, roomy, jobId(1), 0);
    await releaseUpstreamSlot(store, jobId(9));

    // Assert
    expect(absent).toBeUndefined();
    expect((await readAdmission(store))?.slots).toEqual({ [jobId(1)]: T0 + 120_000 });
  });
});

describe('Function: countWaitingAhead', () => {
  it('counts only the jobs that arrived earlier and asked again lately', async () => {
    // Arrange
    const early = await putJobArrivedAt(1, 1);
    const gone = await putJobArrivedAt(2, 2);
    const sameMsEarlierId = await putJobArrivedAt(3, 4);
    const mine = await putJobArrivedAt(4, 4);
    const later = await putJobArrivedAt(5, 5);
    await putJobArrivedAt(6, 0); // earlier, never waited
    for (const job of [early, sameMsEarlierId, mine, later]) await markWaitingForCapacity(store, job, T0);
    await markWaitingForCapacity(store, gone, T0 - WAITING_STALE_MS - 1);

    // Act
    const ahead = await countWaitingAhead(store, mine, 100);

    // Assert
    expect(ahead).toBe(2);
    expect(await countWaitingAhead(store, early, 100)).toBe(0);
    // Counting stops where a longer line would change nothing.
    expect(await countWaitingAhead(store, later, 1)).toBe(1);
    expect(await countWaitingAhead(store, later, 100)).toBe(3);
  });

  it('no longer counts a job once its submit is claimed, or once it ended', async () => {
    // Arrange
    const first = await putJobArrivedAt(1, 1);
    const second = await putJobArrivedAt(2, 2);
    const mine = await putJobArrivedAt(3, 3);
    for (const job of [first, second, mine]) await markWaitingForCapacity(store, job, T0);

    // Act
    await claimSubmit(store, first.id);
    await recordFailed(store, second.id, { code: 'cancelled', message: 'Cancelled by the client' });

    // Assert
    expect(await countWaitingAhead(store, mine, 100)).toBe(0);
    expect(await rawItem(first.id)).toMatchObject({ phase: 'submitting', holdsUpstreamSlot: true });
    expect(await rawItem(first.id)).not.toHaveProperty('waitingFor');
    expect(await rawItem(second.id)).not.toHaveProperty('waitingSince');
  });
});

describe('Function: a terminal write of an admitted job', () => {
  const output = { s3Bucket: 'b', videoKey: 'v.mp4', resultKey: 'r.json', bytes: 10, contentType: 'video/mp4' };

  it('keeps the first admission time when the claim is taken again', async () => {
    // Arrange
    const job = await putJobArrivedAt(1, 1);
    await claimSubmit(store, job.id, new Date(T0));

    // Act: a claim given back (a 429 before acceptance) and taken again later
    await releaseSubmitClaim(store, job.id);
    await claimSubmit(store, job.id, new Date(T0 + 30_000));

    // Assert
    expect(await rawItem(job.id)).toMatchObject({ admittedAt: new Date(T0).toISOString() });
  });

  it('releases the upstream slot exactly once when two terminal writes race', async () => {
    // Arrange
    const job = await putJobArrivedAt(1, 1);
    await admitJob(store, roomy, job.id, 0);
    await admitJob(store, roomy, jobId(2), 0);
    await claimSubmit(store, job.id);
    const before = await readAdmission(store);

    // Act
    const written = await Promise.all([
      recordFailed(store, job.id, { code: 'upstream_timeout', message: 'late' }),
      recordCompleted(store, job.id, output),
    ]);

    // Assert: one write won, and only it released (a second release would bump the version again)
    expect(written.filter(Boolean)).toHaveLength(1);
    const after = await readAdmission(store);
    expect(after?.slots).toEqual({ [jobId(2)]: T0 + 120_000 });
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    expect(await rawItem(job.id)).not.toHaveProperty('holdsUpstreamSlot');
  });

  it('releases nothing for a job that never held a slot', async () => {
    // Act
    const job = await putJobArrivedAt(1, 1);
    await admitJob(store, roomy, jobId(2), 0);
    const before = await readAdmission(store);
    await recordFailed(store, job.id, { code: 'cancelled', message: 'Cancelled by the client' });

    // Assert
    expect(await readAdmission(store)).toEqual(before);
  });
});

describe("Functions: the line's tickets", () => {
  it('hands out tickets 1, 2, 3… even to concurrent takers, and reads how far the line has moved', async () => {
    // Act
    const tickets = await Promise.all(Array.from({ length: 5 }, () => takeTicket(store)));

    // Assert
    expect([...tickets].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await lastAdmittedTicket(store)).toBe(0);
    await noteAdmittedTicket(store, 3);
    await noteAdmittedTicket(store, 2);
    expect(await lastAdmittedTicket(store)).toBe(3);
    expect(await rawItem(LINE_ITEM_ID)).toMatchObject({ ticketsIssued: 5, lastAdmittedTicket: 3 });
  });

  it('keeps the ticket a job first waited with', async () => {
    // Arrange
    const job = await putJobArrivedAt(1, 0);

    // Act
    await markWaitingForCapacity(store, { ...job, waitingTicket: 7 }, T0);
    await markWaitingForCapacity(store, { ...job, waitingTicket: 9 }, T0 + 5_000);

    // Assert
    expect((await getJob(store, job.id))?.waitingTicket).toBe(7);
  });

  it('orders the line by ticket, whatever the arrival, and puts a job with no ticket yet behind it all', async () => {
    // Arrange: the later arrival waited first
    const early = await putJobArrivedAt(1, 0);
    const late = await putJobArrivedAt(2, 10);
    await markWaitingForCapacity(store, { ...late, waitingTicket: 1 }, T0);
    await markWaitingForCapacity(store, { ...early, waitingTicket: 2 }, T0);
    const fresh = await putJobArrivedAt(3, -5);

    // Act & Assert
    expect(await countWaitingAhead(store, { ...late, waitingTicket: 1 }, 10)).toBe(0);
    expect(await countWaitingAhead(store, { ...early, waitingTicket: 2 }, 10)).toBe(1);
    expect(await countWaitingAhead(store, { ...fresh, waitingTicket: Number.MAX_SAFE_INTEGER }, 10)).toBe(2);
  });
});
