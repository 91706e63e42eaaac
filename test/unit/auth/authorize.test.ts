import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { authorizeKey, callerContext, policyFor } from '../../../lambdas/auth/authorize';
import { newKeyRecord } from '../../../lambdas/core/tenants';
import { serveKeysTable } from '../keys/fakeKeysTable';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const ddb = mockClient(DynamoDBDocumentClient);
const keys = { doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'keys' };
let rows: Map<string, Record<string, unknown>>;

const store = (apiKey: string, tenantId: string, limits = {}) => {
  const record = newKeyRecord(apiKey, tenantId, new Date('2025-01-01T00:00:00.000Z'), limits);
  rows.set(record.keyId, record);
  return record;
};

beforeEach(() => {
  ddb.reset();
  rows = serveKeysTable(ddb);
});

describe('Function: authorizeKey', () => {
  it('answers the tenant, key id and limits of an active key and records its use', async () => {
    // Arrange
    const record = store('k1', 'acme', { maxActiveJobs: 2 });

    // Act
    const caller = await authorizeKey('k1', { keys, now: () => NOW });

    // Assert
    expect(caller).toEqual({ tenantId: 'acme', keyId: record.keyId, limits: { maxActiveJobs: 2 } });
    expect(rows.get(record.keyId)?.lastUsedAt).toBe(NOW.toISOString());
  });

  it('refuses an unknown key without writing anything', async () => {
    store('k1', 'acme');

    expect(await authorizeKey('k2', { keys, now: () => NOW })).toBeUndefined();
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses a revoked key and leaves its last use as it was', async () => {
    // Arrange
    const record = store('k1', 'acme');
    Object.assign(rows.get(record.keyId) ?? {}, { status: 'revoked', revokedAt: NOW.toISOString() });

    // Act
    const caller = await authorizeKey('k1', { keys, now: () => NOW });

    // Assert
    expect(caller).toBeUndefined();
    expect(rows.get(record.keyId)?.lastUsedAt).toBeUndefined();
  });

  it('lets the caller in when recording the use fails, and says so', async () => {
    // Arrange
    store('k1', 'acme');
    const failure = new Error('throttled');
    ddb.on(UpdateCommand).rejects(failure);
    const onTouchFailed = vi.fn();

    // Act
    const caller = await authorizeKey('k1', { keys, now: () => NOW, onTouchFailed });

    // Assert
    expect(caller?.tenantId).toBe('acme');
    expect(onTouchFailed).toHaveBeenCalledWith(failure);
  });

  it("records a key's use at most once per authorizer cache period when given its container's memory", async () => {
    // Arrange
    const record = store('k1', 'acme');
    const lastTouchedMs = new Map<string, number>();
    const at = (seconds: number) => () => new Date(NOW.getTime() + seconds * 1000);

    // Act
    await authorizeKey('k1', { keys, now: at(0), lastTouchedMs });
    await authorizeKey('k1', { keys, now: at(299), lastTouchedMs });
    const afterCachePeriod = await authorizeKey('k1', { keys, now: at(300), lastTouchedMs });

    // Assert: written at 0 s and 300 s only, while every call still checked the key
    expect(afterCachePeriod?.tenantId).toBe('acme');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
    expect(rows.get(record.keyId)?.lastUsedAt).toBe(at(300)().toISOString());
  });

  it('lets a reading failure through: no answer is better than a wrong one', async () => {
    ddb.reset();
    ddb.rejects(new Error('table unreachable'));

    await expect(authorizeKey('k1', { keys })).rejects.toThrow('table unreachable');
  });
});

describe('Function: callerContext', () => {
  it('carries the tenant, the key id and only the limits the key sets', () => {
    expect(callerContext({ tenantId: 'acme', keyId: 'key-1', limits: {} })).toEqual({
      tenantId: 'acme',
      keyId: 'key-1',
    });
    expect(
      callerContext({ tenantId: 'acme', keyId: 'key-1', limits: { maxActiveJobs: 3, maxJobsPerDay: 50 } }),
    ).toEqual({ tenantId: 'acme', keyId: 'key-1', maxActiveJobs: 3, maxJobsPerDay: 50 });
  });
});

describe('Function: policyFor', () => {
  const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/POST/v2/pixverse-5-transition';

  it.each(['Allow', 'Deny'] as const)(
    '%s covers every method and path of the stage (one cached answer per key)',
    (effect) => {
      expect(policyFor(methodArn, effect)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: effect,
            Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/*/*',
          },
        ],
      });
    },
  );

  it('keeps an ARN it cannot read as it is', () => {
    expect(policyFor('not-an-arn', 'Deny').Statement[0]?.Resource).toBe('not-an-arn');
  });
});
