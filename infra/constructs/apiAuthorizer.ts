import { Duration } from 'aws-cdk-lib';
import { IdentitySource, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
import { API_KEY_HEADER, AUTHORIZER_CACHE_SECONDS } from '../../lambdas/core/contract/names';
import { bindKeysTableForAuthorizer } from './bindings';
import { TransitionFunction } from './transitionFunction';

/**
 * The REQUEST authorizer that resolves `x-api-key` to a tenant from the keys
 * table. API Gateway answers 401 itself when the header is missing, caches each
 * key's answer for five minutes (so a revoked key stops working within them),
 * and answers 403 for an unknown or revoked key.
 */
export function apiAuthorizer(
  scope: Construct,
  keysTable: ITable,
): { authorizer: RequestAuthorizer; fn: TransitionFunction } {
  const fn = new TransitionFunction(scope, 'AuthorizerFunction', {
    entry: FUNCTION_ENTRIES.authorizer,
    description: 'x-api-key → tenant: the API’s cached REQUEST authorizer',
    timeout: Duration.seconds(10),
  });
  bindKeysTableForAuthorizer(fn, keysTable);
  const authorizer = new RequestAuthorizer(scope, 'ApiKeyAuthorizer', {
    handler: fn,
    identitySources: [IdentitySource.header(API_KEY_HEADER)],
    resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_SECONDS),
  });
  return { authorizer, fn };
}
