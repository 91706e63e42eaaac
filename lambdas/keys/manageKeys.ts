import { getKey, type KeyStore, listKeys, putNewKey, revokeKey } from '../adapters/keyStore';
import { type KeySummary, keySummary, newApiKey, newKeyRecord, type TenantLimits } from '../core/tenants';

/*
 * Issuing, listing and revoking API keys: what `framebridge keys` does against
 * a keys table, local or deployed. The key itself leaves here once, in the
 * answer of `issueKey`; everything else sees key ids and summaries only.
 */

/** A key id names no key in the table. */
export class UnknownKeyError extends Error {
  override readonly name = 'UnknownKeyError';
  constructor(readonly keyId: string) {
    super(`No key with id ${keyId}`);
  }
}

export interface IssuedKey {
  /** The key: shown to the operator once, never stored. */
  apiKey: string;
  key: KeySummary;
}

/** Only the limits that are set: an absent limit means the deployment's default. */
const setLimits = (limits: TenantLimits): TenantLimits =>
  Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));

/** Issues a new active key for a tenant, storing only its hash. */
export async function issueKey(
  store: KeyStore,
  request: { tenantId: string; limits?: TenantLimits },
  now: Date = new Date(),
): Promise<IssuedKey> {
  const apiKey = newApiKey();
  const record = newKeyRecord(apiKey, request.tenantId, now, setLimits(request.limits ?? {}));
  // 256 random bits: a second key with the same id means something is badly wrong, not bad luck.
  if (!(await putNewKey(store, record))) throw new Error(`A key with id ${record.keyId} already exists`);
  return { apiKey, key: keySummary(record) };
}

/** Every key, or one tenant's, newest first; never a key or its hash. */
export async function listKeySummaries(store: KeyStore, filter: { tenantId?: string } = {}): Promise<KeySummary[]> {
  const records = await listKeys(store);
  return records
    .filter((record) => filter.tenantId === undefined || record.tenantId === filter.tenantId)
    .map(keySummary);
}

/** Revokes a key by its id; revoking a revoked key changes nothing and says so. */
export async function revokeKeyById(
  store: KeyStore,
  keyId: string,
  now: Date = new Date(),
): Promise<{ key: KeySummary; alreadyRevoked: boolean }> {
  const before = await getKey(store, keyId);
  if (!before || !(await revokeKey(store, keyId, now))) throw new UnknownKeyError(keyId);
  const after = await getKey(store, keyId);
  if (!after) throw new UnknownKeyError(keyId);
  return { key: keySummary(after), alreadyRevoked: before.status === 'revoked' };
}
