import { putNewKey } from '../lambdas/adapters/keyStore';
import { newKeyRecord, parseApiKeyList } from '../lambdas/core/tenants';
import { localJobsClient } from './clients';
import type { LocalEndpoints } from './stack';

/**
 * Stores the development keys (`FRAMEBRIDGE_API_KEYS`: `key` or `tenant:key`
 * entries) in the local keys table, hashed as `framebridge keys create` stores
 * them, so the same authorizer accepts them. Answers each key's tenant.
 */
export async function seedApiKeys(
  endpoints: Pick<LocalEndpoints, 'dynamoDbUrl' | 'region' | 'credentials' | 'keysTable'>,
  entries: readonly string[],
): Promise<Map<string, string>> {
  const keys = parseApiKeyList(entries.join(','));
  const doc = localJobsClient(endpoints);
  try {
    const now = new Date();
    for (const { tenantId, apiKey } of keys) {
      await putNewKey({ doc, tableName: endpoints.keysTable }, newKeyRecord(apiKey, tenantId, now));
    }
  } finally {
    doc.destroy();
  }
  return new Map(keys.map(({ tenantId, apiKey }) => [apiKey, tenantId]));
}
