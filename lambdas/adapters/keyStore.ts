import { type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS_TABLE } from '../core/contract/names';
import { parseOrThrow } from '../core/schemas';
import { type KeyRecord, keyRecordSchema } from '../core/tenants';
import { isConditionFailure } from './conditionFailure';

/** The keys table, as the authorizer and the `framebridge keys` command use it. */
export interface KeyStore {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

export async function getKey(store: KeyStore, keyId: string): Promise<KeyRecord | undefined> {
  const { Item } = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { [KEYS_TABLE.partitionKey]: keyId }, ConsistentRead: true }),
  );
  return Item ? parseOrThrow(keyRecordSchema, Item, `key record ${keyId}`) : undefined;
}

/** Stores a new key; false when a key with the same id already exists (the same key issued twice). */
export async function putNewKey(store: KeyStore, record: KeyRecord): Promise<boolean> {
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: record,
        ConditionExpression: `attribute_not_exists(${KEYS_TABLE.partitionKey})`,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Every key record (a small table: one item per key), newest first. */
export async function listKeys(store: KeyStore): Promise<KeyRecord[]> {
  const records: KeyRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.doc.send(new ScanCommand({ TableName: store.tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) records.push(parseOrThrow(keyRecordSchema, item, 'key record'));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Revokes a key; false when there is no such key. Revoking twice keeps the first revocation time. */
export async function revokeKey(store: KeyStore, keyId: string, now: Date): Promise<boolean> {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { [KEYS_TABLE.partitionKey]: keyId },
        ConditionExpression: `attribute_exists(${KEYS_TABLE.partitionKey})`,
        UpdateExpression: 'SET #status = :revoked, revokedAt = if_not_exists(revokedAt, :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':revoked': 'revoked', ':now': now.toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Records that a key was used (best effort: the authorizer calls it at most once per cache period). */
export async function touchKey(store: KeyStore, keyId: string, now: Date): Promise<void> {
  await store.doc.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: { [KEYS_TABLE.partitionKey]: keyId },
      ConditionExpression: `attribute_exists(${KEYS_TABLE.partitionKey})`,
      UpdateExpression: 'SET lastUsedAt = :now',
      ExpressionAttributeValues: { ':now': now.toISOString() },
    }),
  );
}
