import { getKey, type KeyStore, touchKey } from '../adapters/keyStore';
import { AUTHORIZER_CACHE_SECONDS } from '../core/contract/names';
import { authenticate, type Caller, keyIdFor } from '../core/tenants';

export interface AuthorizeDeps {
  keys: KeyStore;
  now?: () => Date;
  /** Told when recording the key's last use failed; the caller is still let in. */
  onTouchFailed?: (error: unknown) => void;
  /**
   * When this container last recorded each key's use (epoch ms): with it a
   * key's use is written at most once per authorizer cache period, as API
   * Gateway's cache makes it in AWS, so an uncached caller (the local API)
   * does not add a write to every request. Without it every call writes.
   */
  lastTouchedMs?: Map<string, number>;
}

/** The caller behind an API key, or undefined for a key that is unknown, revoked or does not match. */
export async function authorizeKey(apiKey: string, deps: AuthorizeDeps): Promise<Caller | undefined> {
  const caller = authenticate(apiKey, await getKey(deps.keys, keyIdFor(apiKey)));
  if (caller) {
    const now = deps.now?.() ?? new Date();
    const touched = deps.lastTouchedMs?.get(caller.keyId);
    if (touched === undefined || now.getTime() - touched >= AUTHORIZER_CACHE_SECONDS * 1000) {
      deps.lastTouchedMs?.set(caller.keyId, now.getTime());
      await touchKey(deps.keys, caller.keyId, now).catch((error) => deps.onTouchFailed?.(error));
    }
  }
  return caller;
}

/** The authorizer's context: what the API handlers learn of the caller (strings and numbers only). */
export function callerContext(caller: Caller): Record<string, string | number> {
  return {
    tenantId: caller.tenantId,
    keyId: caller.keyId,
    ...(caller.limits.maxActiveJobs === undefined ? {} : { maxActiveJobs: caller.limits.maxActiveJobs }),
    ...(caller.limits.maxJobsPerDay === undefined ? {} : { maxJobsPerDay: caller.limits.maxJobsPerDay }),
  };
}

/**
 * The policy of an accepted or refused key. It names every method of the
 * stage: API Gateway caches one answer per key for all routes.
 */
export function policyFor(methodArn: string, effect: 'Allow' | 'Deny') {
  const [arnPrefix = '', apiId = '', stage = ''] = /^(arn:[^:]+:execute-api:[^:]+:[^:]+:)([^/]+)\/([^/]+)\//
    .exec(methodArn)
    ?.slice(1) ?? [methodArn];
  const resource = apiId && stage ? `${arnPrefix}${apiId}/${stage}/*/*` : methodArn;
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  };
}
