import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lambdas/core/job';
import { apiEvent, bodyOf, errorOf } from '../apiEvent';
import { OTHER_OWNER, OWNER, TABLE_NAME } from '../fakeJobsTable';
import { seedOwnerJobs } from '../fakeOwnerIndex';
import { lambdaContext } from '../lambdaContext';
import { fakeJobsBackend, stubJobsEnv } from './fakeJobsBackend';

stubJobsEnv();
const { ddb, rows } = fakeJobsBackend();
const { handler: listRequests } = await import('../../../lambdas/jobs/listRequests');

const list = (query: Record<string, string> = {}, owner?: string) =>
  listRequests(apiEvent({ method: 'GET', path: '/v2/requests', query, owner }), lambdaContext('listRequests'));

describe('Handler: GET /v2/requests', () => {
  const seed = (count: number, owner = OWNER, statuses?: Job['status'][]) =>
    seedOwnerJobs(rows, count, owner, statuses);

  async function walk(query: Record<string, string>, owner?: string) {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const response = await list({ ...query, ...(cursor ? { cursor } : {}) }, owner);
      expect(response.statusCode).toBe(200);
      const body = bodyOf(response) as { requests: { request_id: string }[]; next_cursor: string | null };
      pages.push(body.requests.map((r) => r.request_id));
      cursor = body.next_cursor;
    } while (cursor && pages.length < 50);
    return pages;
  }

  it("pages through the owner's jobs newest first, and only theirs", async () => {
    // Arrange
    const mine = seed(5);
    seed(3, OTHER_OWNER);

    // Act
    const pages = await walk({ limit: '2' });

    // Assert
    expect(pages).toEqual([[mine[4], mine[3]], [mine[2], mine[1]], [mine[0]]]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE_NAME,
      IndexName: 'byOwner',
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: { ':owner': OWNER },
      ScanIndexForward: false,
      Limit: 3,
    });
  });

  it('answers the status view of each job and a null cursor on the last page', async () => {
    // Arrange
    const [id] = seed(1);

    // Act
    const body = bodyOf(await list());

    // Assert
    expect(body).toEqual({
      requests: [
        {
          request_id: id,
          status: 'QUEUED',
          phase: 'queued',
          created_at: '2025-03-01T09:00:00.000Z',
          updated_at: '2025-03-01T09:00:00.000Z',
        },
      ],
      next_cursor: null,
    });
  });

  it('gives a last page of exactly `limit` jobs no cursor', async () => {
    // Arrange
    seed(4);

    // Act
    const pages = await walk({ limit: '2' });

    // Assert
    expect(pages.map((page) => page.length)).toEqual([2, 2]);
  });

  it('fills a filtered page by reading on, so a sparse status is not answered short', async () => {
    // Arrange: 300 jobs, one FAILED in every 7, spread over more than one internal page.
    const ids = seed(300, OWNER, ['QUEUED', 'PROCESSING', 'COMPLETED', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED']);
    const failed = ids.filter((_, i) => i % 7 === 6).reverse();

    // Act
    const pages = await walk({ limit: '20', status: 'FAILED' });

    // Assert
    expect(pages.flat()).toEqual(failed);
    expect(pages.slice(0, -1).every((page) => page.length === 20)).toBe(true);
    expect(failed).toHaveLength(42);
  });

  it('bounds the reading of one request to 10 internal pages, handing back a cursor to go on', async () => {
    // Arrange
    seed(1200, OWNER, ['QUEUED']);

    // Act
    const response = await list({ status: 'FAILED' });

    // Assert
    const body = bodyOf(response);
    expect(body.requests).toEqual([]);
    expect(body.next_cursor).toEqual(expect.any(String));
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(10);
  });

  it.each<[Record<string, string>, string]>([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'all' }, 'limit'],
    [{ status: 'DONE' }, 'status'],
    [{ cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
    [{ cursor: '!!' }, 'cursor'],
    [{ order: 'asc' }, 'order'],
  ])('answers 400 naming the parameter for %j', async (query, field) => {
    // Act
    const response = await list(query);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details.map((issue) => issue.field)).toEqual([field]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it("refuses another owner's cursor", async () => {
    // Arrange
    seed(3, OTHER_OWNER);
    const theirs = bodyOf(await list({ limit: '1' }, OTHER_OWNER)).next_cursor as string;

    // Act
    const response = await list({ cursor: theirs });

    // Assert
    expect(theirs).toEqual(expect.any(String));
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details).toEqual([{ field: 'cursor', rule: expect.any(String) }]);
  });
});
