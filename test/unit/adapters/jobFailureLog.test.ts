import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type JobStore, putNewJob, recordFailed } from '../../../lambdas/adapters/jobStore';
import { logger } from '../../../lambdas/adapters/logger';
import { startLocalDynamo } from '../../../local/dynamodb';
import { storedJob } from '../fakeJobsTable';

/* The 'job failed' line metric filters count per class: written once, by the write that ends the job. */

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
let store: JobStore;

beforeAll(async () => {
  const props = {
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  };
  dynamo = await startLocalDynamo([{ name: 'jobs', props }], CREDENTIALS);
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: CREDENTIALS }),
  );
  store = { doc, tableName: 'jobs' };
});

afterAll(async () => {
  store.doc.destroy();
  await dynamo.close();
});

describe('Function: recordFailed', () => {
  it.each([
    ['internal_error', 'system'],
    ['upstream_failed', 'upstream'],
    ['upstream_bad_request', 'user'],
  ])('logs "job failed" with code %s as a %s failure, once, when it ends the job', async (code, failureClass) => {
    // Arrange
    const id = `01JQ00000000000000000${code.length.toString().padStart(5, '0')}`;
    await putNewJob(store, storedJob(id));
    const info = vi.spyOn(logger, 'info');

    // Act
    const first = await recordFailed(store, id, { code, message: 'why' });
    const second = await recordFailed(store, id, { code: 'internal_error', message: 'later' });

    // Assert
    expect([first, second]).toEqual([true, false]);
    const lines = info.mock.calls.filter(([message]) => message === 'job failed');
    expect(lines).toEqual([['job failed', { jobId: id, code, failureClass }]]);
    info.mockRestore();
  });
});
