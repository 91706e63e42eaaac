import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import './zodMini';

/*
 * Tenants and their API keys. A tenant owns jobs and may hold several keys, so
 * rotating a key keeps the tenant's history. A key is stored only as its
 * SHA-256; its public id is derived from it, so any key string (an issued
 * `fb_…` key or a local development key) finds its record in one read.
 */

/** A tenant's name: lower-case letters, digits, `-` and `_`, 1–63 characters, starting with a letter or digit. */
export const tenantIdSchema = z.string().check(
  z.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
    error: 'must be 1–63 lower-case letters, digits, "-" or "_", starting with a letter or digit',
  }),
);

/** Per-tenant spend limits; a key's own limits override the deployment's defaults. */
export const tenantLimitsSchema = z.object({
  maxActiveJobs: z.optional(z.number().check(z.int()).check(z.positive())),
  maxJobsPerDay: z.optional(z.number().check(z.int()).check(z.positive())),
});
export type TenantLimits = z.infer<typeof tenantLimitsSchema>;

/** A key's record in the keys table. */
export const keyRecordSchema = z.object({
  keyId: z.string().check(z.minLength(1)),
  /** sha256 of the key, hex. The key itself is shown once, at creation, and never stored. */
  keyHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  tenantId: tenantIdSchema,
  status: z.enum(['active', 'revoked']),
  createdAt: z.string(),
  lastUsedAt: z.optional(z.string()),
  revokedAt: z.optional(z.string()),
  limits: z.optional(tenantLimitsSchema),
});
export type KeyRecord = z.infer<typeof keyRecordSchema>;

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** The public id of a key: safe to log, list and revoke by; it cannot give the key back. */
export function keyIdFor(apiKey: string): string {
  return `key-${sha256(apiKey).slice(0, 16)}`;
}

/** A new key: 256 random bits, recognisable by its prefix. */
export function newApiKey(): string {
  return `fb_${randomBytes(32).toString('base64url')}`;
}

/** The record of a new active key. */
export function newKeyRecord(apiKey: string, tenantId: string, now: Date, limits?: TenantLimits): KeyRecord {
  return keyRecordSchema.parse({
    keyId: keyIdFor(apiKey),
    keyHash: sha256(apiKey),
    tenantId,
    status: 'active',
    createdAt: now.toISOString(),
    ...(limits && Object.keys(limits).length > 0 ? { limits } : {}),
  });
}

/** Who is calling, once a key is accepted. */
export interface Caller {
  tenantId: string;
  keyId: string;
  limits: TenantLimits;
}

/** Accepts `apiKey` if its record exists, matches its hash and is active; nothing else tells why not. */
export function authenticate(apiKey: string, record: KeyRecord | undefined): Caller | undefined {
  if (record?.status !== 'active' || record.keyId !== keyIdFor(apiKey)) return undefined;
  const expected = Buffer.from(record.keyHash, 'hex');
  const given = Buffer.from(sha256(apiKey), 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  return { tenantId: record.tenantId, keyId: record.keyId, limits: record.limits ?? {} };
}

/** A bare development key is a tenant of its own, named after the key's id (as its jobs were before tenants). */
export const tenantOfBareKey = (apiKey: string): string => keyIdFor(apiKey);

/**
 * Reads `FRAMEBRIDGE_API_KEYS`: `key1,key2` (each key its own tenant) and
 * `tenant:key` entries, so `acme:k1,acme:k2,globex:k3` gives two tenants.
 */
export function parseApiKeyList(spec: string): { tenantId: string; apiKey: string }[] {
  return spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':');
      if (colon === -1) return { tenantId: tenantOfBareKey(entry), apiKey: entry };
      const tenantId = entry.slice(0, colon).trim();
      const apiKey = entry.slice(colon + 1).trim();
      const parsed = tenantIdSchema.safeParse(tenantId);
      if (!parsed.success || apiKey === '') {
        throw new Error(
          `FRAMEBRIDGE_API_KEYS: '${entry}' must be 'key' or 'tenant:key', the tenant ${parsed.success ? 'with a non-empty key' : (parsed.error.issues[0]?.message ?? 'invalid')}`,
        );
      }
      return { tenantId, apiKey };
    });
}

/** What `keyIdFor` gives: `key-` and 16 hex digits. */
export const keyIdSchema = z.string().check(
  z.regex(/^key-[0-9a-f]{16}$/, {
    error: 'must be a key id: "key-" and 16 hex digits, as `keys list` shows them',
  }),
);

/** A key as operators see it: everything but its hash. */
export type KeySummary = Omit<KeyRecord, 'keyHash'>;

export function keySummary(record: KeyRecord): KeySummary {
  const { keyHash: _hash, ...summary } = record;
  return summary;
}
