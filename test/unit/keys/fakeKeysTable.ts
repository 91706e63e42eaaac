import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  ScanCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

type Row = Record<string, unknown>;

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** The updates the key store makes, as DynamoDB would apply them; any other expression is a test error. */
const updates: Record<string, (row: Row, values: Row) => void> = {
  'SET #status = :revoked, revokedAt = if_not_exists(revokedAt, :now)': (row, values) => {
    row.status = values[':revoked'];
    row.revokedAt ??= values[':now'];
  },
  'SET lastUsedAt = :now': (row, values) => {
    row.lastUsedAt = values[':now'];
  },
};

/**
 * Serves Get/Put/Scan/Update on a mocked DynamoDBDocumentClient from an
 * in-memory keys table keyed by `keyId`, with the key store's conditions, so
 * the code under test meets DynamoDB's answers. Answers the table's rows.
 */
export function serveKeysTable(ddb: AwsClientStub<DynamoDBDocumentClient>, rows = new Map<string, Row>()) {
  ddb.on(GetCommand).callsFake(async (input: GetCommandInput) => {
    const row = rows.get(String(input.Key?.keyId));
    return { Item: row ? structuredClone(row) : undefined };
  });
  ddb.on(PutCommand).callsFake(async (input: PutCommandInput) => {
    const item = structuredClone(input.Item ?? {});
    if (input.ConditionExpression === 'attribute_not_exists(keyId)' && rows.has(String(item.keyId))) {
      throw conditionFailed();
    }
    rows.set(String(item.keyId), item);
    return {};
  });
  ddb.on(ScanCommand).callsFake(async () => ({ Items: [...rows.values()].map((row) => structuredClone(row)) }));
  ddb.on(UpdateCommand).callsFake(async (input: UpdateCommandInput) => {
    const row = rows.get(String(input.Key?.keyId));
    if (input.ConditionExpression === 'attribute_exists(keyId)' && !row) throw conditionFailed();
    const apply = updates[input.UpdateExpression ?? ''];
    if (!apply || !row) throw new Error(`fake keys table: unexpected update ${input.UpdateExpression}`);
    apply(row, input.ExpressionAttributeValues ?? {});
    return {};
  });
  return rows;
}
