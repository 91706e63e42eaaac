import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { JOBS_TABLE } from '../core/contract/names';
import type { ListCursor } from '../core/cursor';
import { type Job, type JobStatus, jobSchema } from '../core/job';
import { parseOrThrow } from '../core/schemas';
import type { JobStore } from './jobStore';

/** Items DynamoDB evaluates per internal page when a status filter may drop most of them. */
const FILTERED_PAGE_ITEMS = 100;
/** Internal pages one list request may read: bounds its latency and cost when few items match. */
export const MAX_INTERNAL_PAGES = 10;

export interface ListJobsOptions {
  limit: number;
  status?: JobStatus;
  /** Continue after this key (the previous page's cursor). */
  after?: ListCursor;
}

export interface JobsPage {
  jobs: Job[];
  /** Where the next page starts; undefined when there is nothing more. */
  next?: ListCursor;
}

const cursorOf = (job: Job): ListCursor => ({ id: job.id, owner: job.owner, createdAt: job.createdAt });

function toCursor(key: Record<string, unknown> | undefined): ListCursor | undefined {
  if (!key) return undefined;
  const { id, owner, createdAt } = key;
  return typeof id === 'string' && typeof owner === 'string' && typeof createdAt === 'string'
    ? { id, owner, createdAt }
    : undefined;
}

/**
 * The owner's jobs, newest first, from the `byOwner` index. A status filter is
 * applied by DynamoDB after it reads, so a page can come back short: reading
 * goes on (up to MAX_INTERNAL_PAGES) until `limit` jobs are found or the
 * owner's jobs end. The cursor is the key of the last job returned when the
 * page was cut short, else DynamoDB's own LastEvaluatedKey.
 */
export async function listJobsByOwner(store: JobStore, owner: string, options: ListJobsOptions): Promise<JobsPage> {
  const jobs: Job[] = [];
  let startKey: ListCursor | undefined = options.after;
  for (let page = 0; page < MAX_INTERNAL_PAGES; page++) {
    const wanted = options.limit - jobs.length;
    const input: QueryCommandInput = {
      TableName: store.tableName,
      IndexName: JOBS_TABLE.byOwnerIndex,
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': owner },
      ScanIndexForward: false,
      // One more than wanted tells, without an extra read, whether anything follows.
      Limit: options.status ? FILTERED_PAGE_ITEMS : wanted + 1,
      ExclusiveStartKey: startKey,
    };
    if (options.status) {
      input.FilterExpression = '#status = :status';
      input.ExpressionAttributeNames = { ...input.ExpressionAttributeNames, '#status': 'status' };
      input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':status': options.status };
    }
    const answer = await store.doc.send(new QueryCommand(input));
    const items = (answer.Items ?? []).map((item) => parseOrThrow(jobSchema, item, 'job record'));
    if (items.length > wanted) {
      jobs.push(...items.slice(0, wanted));
      return { jobs, next: cursorOf(jobs[jobs.length - 1] as Job) };
    }
    jobs.push(...items);
    startKey = toCursor(answer.LastEvaluatedKey);
    if (!startKey || jobs.length === options.limit) return { jobs, next: startKey };
  }
  return { jobs, next: startKey };
}
