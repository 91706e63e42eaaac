import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listJobsByOwner, MAX_INTERNAL_PAGES } from '../../../lambdas/adapters/jobQueries';
import type { ListCursor } from '../../../lambdas/core/cursor';
import { ValidationError } from '../../../lambdas/core/errors';
import { jobStore, OTHER_OWNER, OWNER, serveJobsTable, storedJob, TABLE_NAME } from '../fakeJobsTable';
import { seedOwnerJobs, serveOwnerIndex } from '../fakeOwnerIndex';

const ddb = mockClient(DynamoDBDocumentClient);
const rows = new Map<string, Record<string, unknown>>();

const queriesSent = () => ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
const idsOf = (page: { jobs: { id: string }[] }) => page.jobs.map((job) => job.id);
/** The index key of a stored job: what a next key holds. */
function cursorOf(id: string | undefined): ListCursor {
  const row = rows.get(String(id));
  if (!row) throw new Error(`no job ${id}`);
  return { id: String(id), owner: String(row.owner), createdAt: String(row.createdAt) };
}

beforeEach(() => {
  ddb.reset();
  rows.clear();
  serveJobsTable(ddb, rows);
  serveOwnerIndex(ddb, rows);
});

describe('Function: listJobsByOwner', () => {
  it("answers the owner's newest jobs first, and the key of the last one when more follow", async () => {
    // Arrange
    const mine = seedOwnerJobs(rows, 5);
    seedOwnerJobs(rows, 3, OTHER_OWNER);

    // Act
    const page = await listJobsByOwner(jobStore, OWNER, { limit: 2 });

    // Assert
    expect(idsOf(page)).toEqual([mine[4], mine[3]]);
    expect(page.jobs[0]).toEqual(rows.get(String(mine[4])));
    expect(page.next).toEqual(cursorOf(mine[3]));
    expect(queriesSent()).toEqual([
      {
        TableName: TABLE_NAME,
        IndexName: 'byOwner',
        KeyConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': OWNER },
        ScanIndexForward: false,
        // One more than asked for tells whether anything follows.
        Limit: 3,
        ExclusiveStartKey: undefined,
      },
    ]);
  });

  it('goes on after the given key and gives the last page no next key', async () => {
    // Arrange
    const mine = seedOwnerJobs(rows, 5);

    // Act
    const page = await listJobsByOwner(jobStore, OWNER, { limit: 2, after: cursorOf(mine[1]) });

    // Assert
    expect(idsOf(page)).toEqual([mine[0]]);
    expect(page.next).toBeUndefined();
    expect(queriesSent()[0]?.ExclusiveStartKey).toEqual(cursorOf(mine[1]));
  });

  it('gives a page of exactly the remaining jobs no next key', async () => {
    // Arrange
    const mine = seedOwnerJobs(rows, 2);

    // Act
    const page = await listJobsByOwner(jobStore, OWNER, { limit: 2 });

    // Assert
    expect(idsOf(page)).toEqual([mine[1], mine[0]]);
    expect(page.next).toBeUndefined();
    expect(queriesSent()).toHaveLength(1);
  });

  it('answers no jobs and no next key for an owner without any', async () => {
    // Arrange
    seedOwnerJobs(rows, 3, OTHER_OWNER);

    // Act
    const page = await listJobsByOwner(jobStore, OWNER, { limit: 20 });

    // Assert
    expect(page).toEqual({ jobs: [], next: undefined });
  });

  it('filters by status, reading on through internal pages until the page is full', async () => {
    // Arrange: one FAILED job in every 7, so 100 items read hold 14 or 15 of them.
    const ids = seedOwnerJobs(rows, 300, OWNER, ['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'FAILED']);
    const failed = ids.filter((_, i) => i % 7 === 6).reverse();

    // Act
    const page = await listJobsByOwner(jobStore, OWNER, { limit: 20, status: 'FAILED' });

    // Assert
    expect(idsOf(page)).toEqual(failed.slice(0, 20));
    expect(page.next).toEqual(cursorOf(failed[19]));
    const [first, second, ...more] = queriesSent();
    expect(first).toMatchObject({
      Limit: 100,
      FilterExpression: '#status = :status',
      ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
      ExpressionAttributeValues: { ':owner': OWNER, ':status': 'FAILED' },
    });
    expect(second?.ExclusiveStartKey).toEqual(cursorOf(ids[200]));
    expect(more).toEqual([]);
  });

  it(`stops after ${MAX_INTERNAL_PAGES} internal pages, handing back where it stopped`, async () => {
    // Arrange
    const ids = seedOwnerJobs(rows, 1200);

    // Act
    const page = await listJobsByOwner(jobStore, OWNER, { limit: 20, status: 'FAILED' });

    // Assert
    expect(page.jobs).toEqual([]);
    expect(queriesSent()).toHaveLength(MAX_INTERNAL_PAGES);
    expect(page.next).toEqual(cursorOf(ids[1200 - MAX_INTERNAL_PAGES * 100]));
  });

  it('refuses a stored record that is not a job', async () => {
    // Arrange
    const job = storedJob('01JQ0000000000000000000042');
    rows.set(job.id, { ...job, status: 'LOST' });

    // Act
    const listing = listJobsByOwner(jobStore, OWNER, { limit: 20 });

    // Assert
    await expect(listing).rejects.toBeInstanceOf(ValidationError);
    await expect(listing).rejects.toThrow(/job record/);
  });
});
