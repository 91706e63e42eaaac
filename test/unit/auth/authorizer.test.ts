import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/adapters/logger';
import { keyIdFor, newKeyRecord } from '../../../lambdas/core/tenants';
import { serveKeysTable } from '../keys/fakeKeysTable';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';

stubLambdaEnv({ KEYS_TABLE_NAME: 'framebridge-keys-test' });
const ddb = mockClient(DynamoDBDocumentClient);
const { handler: authorizer } = await import('../../../lambdas/auth/authorizer');

const METHOD_ARN =
  'arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV';
const STAGE_RESOURCE = 'arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/*/*';
let rows: Map<string, Record<string, unknown>>;

/** A REQUEST authorizer event as API Gateway sends it for a `/v2` route. */
function requestEvent(headers: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource: '/v2/requests/{id}',
    path: '/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV',
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    pathParameters: { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123defg',
      stage: 'prod',
      httpMethod: 'GET',
      path: '/prod/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV',
      requestId: 'c6af9ac6-0000-4000-8000-000000000001',
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: '/v2/requests/{id}',
    } as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

const authorize = (headers: Record<string, string>) => authorizer(requestEvent(headers), lambdaContext('authorizer'));

const store = (apiKey: string, tenantId: string, limits = {}) => {
  const record = newKeyRecord(apiKey, tenantId, new Date('2025-01-01T00:00:00.000Z'), limits);
  rows.set(record.keyId, record);
  return record;
};

beforeEach(() => {
  ddb.reset();
  rows = serveKeysTable(ddb);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Handler: the API authorizer', () => {
  it('allows an active key for the whole stage, with its tenant, key id and limits as context', async () => {
    // Arrange
    const record = store('k1', 'acme', { maxActiveJobs: 3, maxJobsPerDay: 40 });

    // Act
    const answer = await authorize({ 'x-api-key': 'k1' });

    // Assert
    expect(answer).toEqual({
      principalId: 'acme',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_RESOURCE }],
      },
      context: { tenantId: 'acme', keyId: record.keyId, maxActiveJobs: 3, maxJobsPerDay: 40 },
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'framebridge-keys-test',
      Key: { keyId: keyIdFor('k1') },
    });
  });

  it('reads the header in any case and records when the key was last used', async () => {
    // Arrange
    // A key of its own: the handler's container records each key's use once per cache period.
    const record = store('k-used', 'acme');
    const before = new Date().toISOString();

    // Act
    const answer = await authorize({ 'X-Api-Key': 'k-used' });

    // Assert
    expect(answer.context).toEqual({ tenantId: 'acme', keyId: record.keyId });
    const lastUsedAt = String(rows.get(record.keyId)?.lastUsedAt);
    expect(lastUsedAt >= before && lastUsedAt <= new Date().toISOString()).toBe(true);
  });

  it.each([
    ['an unknown key', { 'x-api-key': 'k-unknown' }],
    ['no key at all', {}],
    ['an empty key', { 'x-api-key': '' }],
  ])('denies %s for the whole stage, with no context', async (_case, headers) => {
    // Arrange
    store('k1', 'acme');

    // Act
    const answer = await authorize(headers);

    // Assert
    expect(answer).toEqual({
      principalId: 'anonymous',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: STAGE_RESOURCE }],
      },
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('denies a revoked key', async () => {
    // Arrange
    const record = store('k1', 'acme');
    Object.assign(rows.get(record.keyId) ?? {}, { status: 'revoked', revokedAt: '2025-02-01T00:00:00.000Z' });

    // Act
    const answer = await authorize({ 'x-api-key': 'k1' });

    // Assert
    expect(answer.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(answer.context).toBeUndefined();
  });

  it('still allows the key when recording its use fails, and logs a warning', async () => {
    // Arrange
    store('k-untouchable', 'acme');
    ddb.on(UpdateCommand).rejects(new Error('throttled'));
    const warn = vi.spyOn(logger, 'warn');

    // Act
    const answer = await authorize({ 'x-api-key': 'k-untouchable' });

    // Assert
    expect(answer.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(warn).toHaveBeenCalledWith('could not record the key as used', { error: expect.any(Error) });
  });

  it('fails (API Gateway answers 500) when the keys table cannot be read, rather than guess', async () => {
    ddb.reset();
    ddb.on(GetCommand).rejects(new Error('table unreachable'));

    await expect(authorize({ 'x-api-key': 'k1' })).rejects.toThrow('table unreachable');
  });
});
