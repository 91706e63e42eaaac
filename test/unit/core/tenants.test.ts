import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authenticate,
  type KeyRecord,
  keyIdFor,
  keyIdSchema,
  keySummary,
  newApiKey,
  newKeyRecord,
  parseApiKeyList,
  tenantIdSchema,
  tenantOfBareKey,
} from '../../../lambdas/core/tenants';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

describe('Function: keyIdFor', () => {
  it('is "key-" and the first 16 hex digits of the key\'s SHA-256', () => {
    // Act
    const keyId = keyIdFor('k1');

    // Assert
    expect(keyId).toBe(`key-${sha256('k1').slice(0, 16)}`);
    expect(keyIdSchema.safeParse(keyId).success).toBe(true);
  });

  it('is stable for one key and differs between keys', () => {
    expect(keyIdFor('k1')).toBe(keyIdFor('k1'));
    expect(keyIdFor('k1')).not.toBe(keyIdFor('k2'));
  });
});

describe('Function: newApiKey', () => {
  it('is "fb_" and 256 random bits in base64url, never the same twice', () => {
    // Act
    const keys = Array.from({ length: 50 }, () => newApiKey());

    // Assert
    for (const key of keys) {
      expect(key).toMatch(/^fb_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('Function: newKeyRecord', () => {
  it('holds the key id, the hash and the tenant, active, never the key itself', () => {
    // Arrange
    const apiKey = newApiKey();

    // Act
    const record = newKeyRecord(apiKey, 'acme', NOW);

    // Assert
    expect(record).toEqual({
      keyId: keyIdFor(apiKey),
      keyHash: sha256(apiKey),
      tenantId: 'acme',
      status: 'active',
      createdAt: '2025-03-01T12:00:00.000Z',
    });
    expect(JSON.stringify(record)).not.toContain(apiKey);
  });

  it('keeps limits that are set and drops an empty set', () => {
    expect(newKeyRecord('k', 'acme', NOW, { maxActiveJobs: 3 }).limits).toEqual({ maxActiveJobs: 3 });
    expect(newKeyRecord('k', 'acme', NOW, {})).not.toHaveProperty('limits');
  });

  it.each([
    ['a tenant name with capitals', 'Acme', {}],
    ['a tenant name with a space', 'ac me', {}],
    ['a limit of 0', 'acme', { maxActiveJobs: 0 }],
    ['a fractional limit', 'acme', { maxJobsPerDay: 1.5 }],
  ])('refuses %s', (_case, tenantId, limits) => {
    expect(() => newKeyRecord('k', tenantId, NOW, limits)).toThrow();
  });
});

describe('Function: authenticate', () => {
  const apiKey = 'fb_the-right-key';
  const record = (overrides: Partial<KeyRecord> = {}): KeyRecord => ({
    ...newKeyRecord(apiKey, 'acme', NOW, { maxJobsPerDay: 100 }),
    ...overrides,
  });

  it("accepts the key of an active record, answering the tenant, the key id and the key's limits", () => {
    expect(authenticate(apiKey, record())).toEqual({
      tenantId: 'acme',
      keyId: keyIdFor(apiKey),
      limits: { maxJobsPerDay: 100 },
    });
  });

  it('answers empty limits for a key without its own', () => {
    expect(authenticate(apiKey, newKeyRecord(apiKey, 'acme', NOW))?.limits).toEqual({});
  });

  it('refuses when there is no record', () => {
    expect(authenticate(apiKey, undefined)).toBeUndefined();
  });

  it('refuses a revoked key', () => {
    expect(authenticate(apiKey, record({ status: 'revoked', revokedAt: NOW.toISOString() }))).toBeUndefined();
  });

  it("refuses a key whose id is not the record's", () => {
    expect(authenticate('fb_another-key', record())).toBeUndefined();
  });

  it('refuses a record whose hash was tampered with, though the key id matches', () => {
    // A wrong key with the right id would need a SHA-256 prefix collision; the stored hash is what is compared.
    const tampered = record({ keyHash: sha256('fb_another-key') });

    expect(tampered.keyId).toBe(keyIdFor(apiKey));
    expect(authenticate(apiKey, tampered)).toBeUndefined();
  });
});

describe('Function: keySummary', () => {
  it('is the record without its hash', () => {
    // Arrange
    const record = { ...newKeyRecord('k1', 'acme', NOW, { maxActiveJobs: 2 }), lastUsedAt: NOW.toISOString() };

    // Act
    const summary = keySummary(record);

    // Assert
    const { keyHash: _hash, ...rest } = record;
    expect(summary).toEqual(rest);
    expect(summary).not.toHaveProperty('keyHash');
  });
});

describe('Function: parseApiKeyList', () => {
  it('gives a bare key a tenant of its own, named after its key id', () => {
    expect(parseApiKeyList('local-dev-key')).toEqual([
      { tenantId: keyIdFor('local-dev-key'), apiKey: 'local-dev-key' },
    ]);
    expect(tenantOfBareKey('local-dev-key')).toBe(keyIdFor('local-dev-key'));
  });

  it('reads tenant:key entries, so one tenant may hold several keys', () => {
    expect(parseApiKeyList('acme:k1, acme:k2 ,globex:k3')).toEqual([
      { tenantId: 'acme', apiKey: 'k1' },
      { tenantId: 'acme', apiKey: 'k2' },
      { tenantId: 'globex', apiKey: 'k3' },
    ]);
  });

  it('mixes bare and tenant entries and skips empty ones', () => {
    expect(parseApiKeyList('k0,,acme:k1,')).toEqual([
      { tenantId: keyIdFor('k0'), apiKey: 'k0' },
      { tenantId: 'acme', apiKey: 'k1' },
    ]);
  });

  it('keeps everything after the first colon as the key', () => {
    expect(parseApiKeyList('acme:k:with:colons')).toEqual([{ tenantId: 'acme', apiKey: 'k:with:colons' }]);
  });

  it.each([
    ['Acme:k1', /'Acme:k1' must be 'key' or 'tenant:key', the tenant must be 1–63 lower-case/],
    [':k1', /':k1' must be 'key' or 'tenant:key'/],
    ['acme:', /'acme:' must be 'key' or 'tenant:key', the tenant with a non-empty key/],
  ])('refuses %s, naming the entry', (entry, message) => {
    expect(() => parseApiKeyList(`good:k0,${entry}`)).toThrow(message);
    expect(() => parseApiKeyList(entry)).toThrow(/^FRAMEBRIDGE_API_KEYS: /);
  });
});

describe('Schemas: tenantIdSchema and keyIdSchema', () => {
  it.each(['a', 'acme', 'acme-2', 'a_b', '0lead', 'x'.repeat(63)])('accept the tenant %s', (tenant) => {
    expect(tenantIdSchema.safeParse(tenant).success).toBe(true);
  });

  it.each(['', '-acme', '_acme', 'ACME', 'ac.me', 'x'.repeat(64)])('refuse the tenant "%s"', (tenant) => {
    expect(tenantIdSchema.safeParse(tenant).success).toBe(false);
  });

  it.each(['key-0123456789abcdef'])('accept the key id %s', (keyId) => {
    expect(keyIdSchema.safeParse(keyId).success).toBe(true);
  });

  it.each(['key-0123456789ABCDEF', 'key-0123', 'fb_abc', 'key-0123456789abcdef0'])('refuse the key id %s', (keyId) => {
    expect(keyIdSchema.safeParse(keyId).success).toBe(false);
  });
});
