import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { Job } from '../../lambdas/core/job';
import { OWNER, storedJob } from './fakeJobsTable';

type Row = Record<string, unknown>;

const sortKey = (row: Row) => `${String(row.createdAt)}#${String(row.id)}`;

/**
 * Serves Query on the `byOwner` index from the rows of the fake jobs table, the
 * way DynamoDB does: newest first with ScanIndexForward false, `Limit` counts the
 * items read *before* the status filter, and LastEvaluatedKey (table key plus
 * index key) is returned whenever the limit was reached.
 */
export function serveOwnerIndex(ddb: AwsClientStub<DynamoDBDocumentClient>, rows: Map<string, Row>): void {
  ddb.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
    if (input.IndexName !== 'byOwner') throw new Error(`unexpected index ${input.IndexName}`);
    const values = input.ExpressionAttributeValues ?? {};
    const forward = input.ScanIndexForward !== false;
    let items = [...rows.values()]
      .filter((row) => row.owner === values[':owner'])
      .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
    if (!forward) items.reverse();
    const start = input.ExclusiveStartKey;
    if (start) {
      if (start.owner !== values[':owner']) throw new Error('ValidationException: the start key is outside the query');
      const after = sortKey(start);
      items = items.filter((row) => (forward ? sortKey(row) > after : sortKey(row) < after));
    }
    const read = input.Limit === undefined ? items : items.slice(0, input.Limit);
    const last = read[read.length - 1];
    const limitReached = input.Limit !== undefined && read.length === input.Limit;
    const matched = input.FilterExpression ? read.filter((row) => row.status === values[':status']) : read;
    return {
      Items: matched.map((row) => structuredClone(row)),
      Count: matched.length,
      ScannedCount: read.length,
      LastEvaluatedKey:
        limitReached && last ? { id: last.id, owner: last.owner, createdAt: last.createdAt } : undefined,
    };
  });
}

const phaseOf = { QUEUED: 'queued', PROCESSING: 'generating', COMPLETED: 'completed', FAILED: 'failed' } as const;

/**
 * Puts `count` jobs of the owner in the rows, one second apart, the newest
 * last; statuses cycle through `statuses`. Answers their ids, oldest first.
 */
export function seedOwnerJobs(
  rows: Map<string, Row>,
  count: number,
  owner = OWNER,
  statuses: Job['status'][] = ['QUEUED'],
): string[] {
  return Array.from({ length: count }, (_, i) => {
    const status = statuses[i % statuses.length] ?? 'QUEUED';
    const job = storedJob(
      `${owner.slice(-1)}job${String(i).padStart(5, '0')}`,
      {},
      { owner, status, phase: phaseOf[status], createdAt: new Date(Date.UTC(2025, 2, 1, 9) + i * 1000).toISOString() },
    );
    rows.set(job.id, structuredClone(job));
    return job.id;
  });
}
