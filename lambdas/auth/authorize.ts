import { getKey, type KeyStore, touchKey } from '../adapters/keyStore';
import { authenticate, type Caller, keyIdFor } from '../core/tenants';

export interface AuthorizeDeps {
  keys: KeyStore;
  now?: () => Date;
  /** Told when recording the key's last use failed; the caller is still let in. */
  onTouchFailed?: (error: unknown) => void;
}

/** The caller behind an API key, or undefined for a key that is unknown, revoked or does not match. */
export async function authorizeKey(apiKey: string, deps: AuthorizeDeps): Promise<Caller | undefined> {
  const caller = authenticate(apiKey, await getKey(deps.keys, keyIdFor(apiKey)));
  if (caller) {
    await touchKey(deps.keys, caller.keyId, deps.now?.() ?? new Date()).catch((error) => deps.onTouchFailed?.(error));
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
