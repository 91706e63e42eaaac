import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobStore } from '../../../lambdas/adapters/jobStore';
import { startLocalDynamo } from '../../../local/dynamodb';

/**
 * A jobs table on dynalite, in memory, as the local stack runs it: for the
 * tests whose conditions only DynamoDB itself can evaluate. Close it when done.
 */
export async function startDynaliteJobsStore(): Promise<{ store: JobStore; close: () => Promise<void> }> {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const props = {
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  };
  const dynamo = await startLocalDynamo([{ name: 'jobs', props }], credentials);
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials }),
  );
  return {
    store: { doc, tableName: 'jobs' },
    close: async () => {
      doc.destroy();
      await dynamo.close();
    },
  };
}
