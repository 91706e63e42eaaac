import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { expect } from 'vitest';
import * as z from 'zod/mini';
import { type ErrorBody, errorBodySchema } from '../../lambdas/core/apiViews';
import { statusOfApiError } from '../../lambdas/core/contract/apiErrors';
import { OWNER } from './fakeJobsTable';

/** The default execute-api domain the events arrive on (stage prefix /prod). */
export const API_HOST = 'abc123defg.execute-api.us-east-1.amazonaws.com';

export interface ApiEventOptions {
  /** @default 'POST' */
  method?: string;
  /** @default '/v2/pixverse-5-transition' */
  path?: string;
  /** The route template, e.g. `/v2/requests/{id}`. @default - the path */
  resource?: string;
  /** Sent as is when a string, else as JSON. @default - no body */
  body?: unknown;
  /** Added to (or replacing) the default headers: host, JSON content type, x-api-key. */
  headers?: Record<string, string>;
  /** Sent instead of the default headers, for tests of the headers themselves. */
  onlyHeaders?: Record<string, string>;
  /** The tenant the authorizer resolved the key to; null for no authorizer context. @default OWNER */
  owner?: string | null;
  /** The key id the authorizer resolved. @default 'key-test-1' */
  keyId?: string;
  /** The key's own limits, as the authorizer passes them (strings). */
  limits?: { maxActiveJobs?: number; maxJobsPerDay?: number };
  /** The `{id}` path parameter. */
  id?: string;
  query?: Record<string, string>;
}

/** An API Gateway REST proxy event as the default execute-api domain sends it. */
export function apiEvent(options: ApiEventOptions = {}): APIGatewayProxyEvent {
  const path = options.path ?? '/v2/pixverse-5-transition';
  const resource = options.resource ?? path;
  const method = options.method ?? 'POST';
  const body =
    options.body === undefined || typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return {
    body: body ?? null,
    headers: options.onlyHeaders ?? {
      host: API_HOST,
      'content-type': 'application/json',
      'x-api-key': 'not-read-by-handlers',
      ...options.headers,
    },
    multiValueHeaders: {},
    httpMethod: method,
    isBase64Encoded: false,
    path,
    pathParameters: options.id === undefined ? null : { id: options.id },
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123defg',
      authorizer:
        options.owner === null
          ? null
          : {
              principalId: options.owner ?? OWNER,
              tenantId: options.owner ?? OWNER,
              keyId: options.keyId ?? 'key-test-1',
              ...Object.fromEntries(Object.entries(options.limits ?? {}).map(([name, value]) => [name, String(value)])),
            },
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.10',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
      domainName: API_HOST,
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'f2b7c1de-0000-4000-8000-000000000001',
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: resource,
    },
  };
}

/** The JSON body of a handler's answer, after checking it is declared JSON. */
export function bodyOf(response: APIGatewayProxyResult): Record<string, unknown> {
  expect(response.headers).toMatchObject({ 'content-type': 'application/json' });
  return JSON.parse(response.body) as Record<string, unknown>;
}

/**
 * The body of an error answer, after checking it has Segmind's shape
 * (`{error, error_code, details}` and nothing else) and its code's status.
 */
export function errorOf(response: APIGatewayProxyResult): ErrorBody {
  const body = z.strictObject(errorBodySchema.shape).parse(bodyOf(response));
  expect(response.statusCode).toBe(statusOfApiError(body.error_code));
  return body;
}
