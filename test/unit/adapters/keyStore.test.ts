import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { getKey, listKeys, putNewKey, revokeKey, touchKey } from '../../../lambdas/adapters/keyStore';
import { keyIdFor, newKeyRecord } from '../../../lambdas/core/tenants';

const TABLE = 'framebridge-keys-test';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const ddb = mockClient(DynamoDBDocumentClient);
const store = { doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: TABLE };

const conditionFailed = () =>
  Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
const record = (apiKey: string, createdAt: string) => newKeyRecord(apiKey, 'acme', new Date(createdAt));

beforeEach(() => {
  ddb.reset();
});

describe('Function: getKey', () => {
  it('reads the record by its key id, consistently', async () => {
    // Arrange
    const stored = record('k1', '2025-01-01T00:00:00.000Z');
    ddb.on(GetCommand).resolves({ Item: stored });

    // Act
    const found = await getKey(store, stored.keyId);

    // Assert
    expect(found).toEqual(stored);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { keyId: stored.keyId },
      ConsistentRead: true,
    });
  });

  it('answers undefined for an unknown key id', async () => {
    ddb.on(GetCommand).resolves({});

    expect(await getKey(store, keyIdFor('nobody'))).toBeUndefined();
  });

  it('refuses an item that is not a key record', async () => {
    ddb.on(GetCommand).resolves({ Item: { keyId: 'key-1', keyHash: 'not-a-hash', tenantId: 'acme' } });

    await expect(getKey(store, 'key-1')).rejects.toThrow(/key record key-1/);
  });
});

describe('Function: putNewKey', () => {
  it('stores the record only if its key id is new', async () => {
    // Arrange
    const stored = record('k1', '2025-01-01T00:00:00.000Z');
    ddb.on(PutCommand).resolves({});

    // Act
    const created = await putNewKey(store, stored);

    // Assert
    expect(created).toBe(true);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: stored,
      ConditionExpression: 'attribute_not_exists(keyId)',
    });
  });

  it('answers false when the key id exists already', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    expect(await putNewKey(store, record('k1', '2025-01-01T00:00:00.000Z'))).toBe(false);
  });

  it('lets any other failure through', async () => {
    ddb
      .on(PutCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(putNewKey(store, record('k1', '2025-01-01T00:00:00.000Z'))).rejects.toThrow('slow down');
  });
});

describe('Function: listKeys', () => {
  it('reads every page and answers the records newest first', async () => {
    // Arrange
    const [older, newest, middle] = [
      record('k1', '2025-01-01T00:00:00.000Z'),
      record('k2', '2025-03-01T00:00:00.000Z'),
      record('k3', '2025-02-01T00:00:00.000Z'),
    ];
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [older, newest], LastEvaluatedKey: { keyId: newest.keyId } })
      .resolvesOnce({ Items: [middle] });

    // Act
    const records = await listKeys(store);

    // Assert
    expect(records).toEqual([newest, middle, older]);
    expect(ddb.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, ExclusiveStartKey: undefined },
      { TableName: TABLE, ExclusiveStartKey: { keyId: newest.keyId } },
    ]);
  });

  it('answers an empty list for an empty table', async () => {
    ddb.on(ScanCommand).resolves({});

    expect(await listKeys(store)).toEqual([]);
  });
});

describe('Function: revokeKey', () => {
  it('marks an existing key revoked, keeping the first revocation time', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});

    // Act
    const revoked = await revokeKey(store, 'key-0123456789abcdef', NOW);

    // Assert
    expect(revoked).toBe(true);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { keyId: 'key-0123456789abcdef' },
      ConditionExpression: 'attribute_exists(keyId)',
      UpdateExpression: 'SET #status = :revoked, revokedAt = if_not_exists(revokedAt, :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':revoked': 'revoked', ':now': NOW.toISOString() },
    });
  });

  it('answers false for an unknown key, creating nothing', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    expect(await revokeKey(store, 'key-0123456789abcdef', NOW)).toBe(false);
  });

  it('lets any other failure through', async () => {
    ddb.on(UpdateCommand).rejects(new Error('network down'));

    await expect(revokeKey(store, 'key-0123456789abcdef', NOW)).rejects.toThrow('network down');
  });
});

describe('Function: touchKey', () => {
  it('records the last use of an existing key only', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});

    // Act
    await touchKey(store, 'key-0123456789abcdef', NOW);

    // Assert
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { keyId: 'key-0123456789abcdef' },
      ConditionExpression: 'attribute_exists(keyId)',
      UpdateExpression: 'SET lastUsedAt = :now',
      ExpressionAttributeValues: { ':now': NOW.toISOString() },
    });
  });
});
