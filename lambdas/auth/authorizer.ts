import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { dynamo } from '../adapters/dynamoClient';
import { logger } from '../adapters/logger';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { API_KEY_HEADER } from '../core/contract/names';
import { authorizeKey, callerContext, policyFor } from './authorize';

const env = parseEnv(FUNCTION_ENV.authorizer);
const deps = {
  keys: { doc: dynamo, tableName: env.KEYS_TABLE_NAME },
  onTouchFailed: (error: unknown) => logger.warn('could not record the key as used', { error }),
  lastTouchedMs: new Map<string, number>(),
};

const headerOf = (event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined =>
  Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1] ?? undefined;

/**
 * The API's REQUEST authorizer: `x-api-key` → tenant. API Gateway answers 401
 * itself when the header is missing, caches this answer per key, and answers
 * 403 for a Deny (an unknown or revoked key). The context carries the tenant,
 * the key id and the key's limits to the handlers.
 */
export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const apiKey = headerOf(event, API_KEY_HEADER);
    const caller = apiKey ? await authorizeKey(apiKey, deps) : undefined;
    if (!caller) {
      return { principalId: 'anonymous', policyDocument: policyFor(event.methodArn, 'Deny') };
    }
    return {
      principalId: caller.tenantId,
      policyDocument: policyFor(event.methodArn, 'Allow'),
      context: callerContext(caller),
    };
  });
