import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { authenticate, keyIdFor, keyRecordSchema, newKeyRecord } from '../../../lambdas/core/tenants';
import { issueKey, listKeySummaries, revokeKeyById, UnknownKeyError } from '../../../lambdas/keys/manageKeys';
import { serveKeysTable } from './fakeKeysTable';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const LATER = new Date('2025-03-02T08:30:00.000Z');
const ddb = mockClient(DynamoDBDocumentClient);
const store = { doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'keys' };
let rows: Map<string, Record<string, unknown>>;

const seed = (apiKey: string, tenantId: string, createdAt: string) => {
  const record = newKeyRecord(apiKey, tenantId, new Date(createdAt));
  rows.set(record.keyId, record);
  return record;
};

beforeEach(() => {
  ddb.reset();
  rows = serveKeysTable(ddb);
});

describe('Function: issueKey', () => {
  it('stores only the hash of a new fb_ key, which then authenticates as the tenant', async () => {
    // Act
    const { apiKey, key } = await issueKey(store, { tenantId: 'acme' }, NOW);

    // Assert
    expect(apiKey).toMatch(/^fb_[A-Za-z0-9_-]{43}$/);
    expect(key).toEqual({ keyId: keyIdFor(apiKey), tenantId: 'acme', status: 'active', createdAt: NOW.toISOString() });
    const stored = keyRecordSchema.parse(rows.get(key.keyId));
    expect(stored.keyHash).toBe(createHash('sha256').update(apiKey).digest('hex'));
    expect(JSON.stringify([...rows.values()])).not.toContain(apiKey);
    expect(authenticate(apiKey, stored)).toEqual({ tenantId: 'acme', keyId: key.keyId, limits: {} });
  });

  it('stores the limits that are set, and no undefined ones', async () => {
    // Act
    const { key } = await issueKey(store, { tenantId: 'acme', limits: { maxActiveJobs: 3, maxJobsPerDay: undefined } });

    // Assert
    expect(key.limits).toEqual({ maxActiveJobs: 3 });
    expect(rows.get(key.keyId)?.limits).toEqual({ maxActiveJobs: 3 });
    expect(Object.keys(rows.get(key.keyId)?.limits ?? {})).toEqual(['maxActiveJobs']);
  });

  it('never answers the same key twice', async () => {
    const first = await issueKey(store, { tenantId: 'acme' });
    const second = await issueKey(store, { tenantId: 'acme' });

    expect(first.apiKey).not.toBe(second.apiKey);
    expect(rows.size).toBe(2);
  });

  it('fails rather than overwrite when the key id exists already', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' }));

    await expect(issueKey(store, { tenantId: 'acme' })).rejects.toThrow(/already exists/);
  });

  it('refuses a tenant name outside the rules', async () => {
    await expect(issueKey(store, { tenantId: 'Not A Tenant' })).rejects.toThrow(/lower-case/);
    expect(rows.size).toBe(0);
  });
});

describe('Function: listKeySummaries', () => {
  it('answers every key newest first, without hashes', async () => {
    // Arrange
    const older = seed('k1', 'acme', '2025-01-01T00:00:00.000Z');
    const newer = seed('k2', 'globex', '2025-02-01T00:00:00.000Z');

    // Act
    const keys = await listKeySummaries(store);

    // Assert
    expect(keys.map((key) => key.keyId)).toEqual([newer.keyId, older.keyId]);
    for (const key of keys) expect(key).not.toHaveProperty('keyHash');
  });

  it("answers one tenant's keys when asked", async () => {
    seed('k1', 'acme', '2025-01-01T00:00:00.000Z');
    const globex = seed('k2', 'globex', '2025-02-01T00:00:00.000Z');

    expect((await listKeySummaries(store, { tenantId: 'globex' })).map((key) => key.keyId)).toEqual([globex.keyId]);
    expect(await listKeySummaries(store, { tenantId: 'initech' })).toEqual([]);
  });
});

describe('Function: revokeKeyById', () => {
  it('revokes an active key and answers it revoked, with the time', async () => {
    // Arrange
    const record = seed('k1', 'acme', '2025-01-01T00:00:00.000Z');

    // Act
    const { key, alreadyRevoked } = await revokeKeyById(store, record.keyId, NOW);

    // Assert
    expect(alreadyRevoked).toBe(false);
    expect(key).toMatchObject({
      keyId: record.keyId,
      tenantId: 'acme',
      status: 'revoked',
      revokedAt: NOW.toISOString(),
    });
    expect(key).not.toHaveProperty('keyHash');
    expect(authenticate('k1', keyRecordSchema.parse(rows.get(record.keyId)))).toBeUndefined();
  });

  it('keeps the first revocation time when revoked again, and says it was already revoked', async () => {
    // Arrange
    const record = seed('k1', 'acme', '2025-01-01T00:00:00.000Z');
    await revokeKeyById(store, record.keyId, NOW);

    // Act
    const again = await revokeKeyById(store, record.keyId, LATER);

    // Assert
    expect(again.alreadyRevoked).toBe(true);
    expect(again.key.revokedAt).toBe(NOW.toISOString());
  });

  it('throws UnknownKeyError for an unknown key id and creates nothing', async () => {
    // Act
    const revoking = revokeKeyById(store, 'key-0123456789abcdef', NOW);

    // Assert
    await expect(revoking).rejects.toBeInstanceOf(UnknownKeyError);
    await expect(revoking).rejects.toThrow('No key with id key-0123456789abcdef');
    expect(rows.size).toBe(0);
  });

  it("leaves the tenant's other keys alone", async () => {
    const first = seed('k1', 'acme', '2025-01-01T00:00:00.000Z');
    const second = seed('k2', 'acme', '2025-01-02T00:00:00.000Z');

    await revokeKeyById(store, first.keyId, NOW);

    expect(rows.get(second.keyId)?.status).toBe('active');
  });
});
