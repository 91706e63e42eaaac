import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, type ApiErrorCode } from '../../lambdas/core/contract/apiErrors';
import { type ApiEventOptions, apiEvent, errorOf } from './apiEvent';
import { storedJob, validBody } from './fakeJobsTable';
import { fakeJobsBackend, stubJobsEnv } from './jobs/fakeJobsBackend';
import { lambdaContext } from './lambdaContext';

/*
 * Every API route's handler, asked badly: each error answer has Segmind's
 * shape (`{error, error_code, details}`, `error` a string, nothing else) and
 * the status of its code. `errorOf` checks both.
 */

stubJobsEnv();
const { ddb, putRow } = fakeJobsBackend();
const handlers = {
  createTransition: (await import('../../lambdas/jobs/createTransition')).handler,
  getStatus: (await import('../../lambdas/jobs/getStatus')).handler,
  getResult: (await import('../../lambdas/jobs/getResult')).handler,
  cancelRequest: (await import('../../lambdas/jobs/cancelRequest')).handler,
  listRequests: (await import('../../lambdas/jobs/listRequests')).handler,
  createUpload: (await import('../../lambdas/uploads/createUpload')).handler,
};
type RouteName = keyof typeof handlers;

const JOB_ID = '01JQ0000000000000000000042';

/** Each route as API Gateway calls it, with the event options a case changes. */
const routes: Record<RouteName, (options?: ApiEventOptions) => ApiEventOptions> = {
  createTransition: (options) => ({ body: validBody, ...options }),
  getStatus: (options) => ({
    method: 'GET',
    path: `/v2/requests/${JOB_ID}/status`,
    resource: '/v2/requests/{id}/status',
    id: JOB_ID,
    ...options,
  }),
  getResult: (options) => ({
    method: 'GET',
    path: `/v2/requests/${JOB_ID}`,
    resource: '/v2/requests/{id}',
    id: JOB_ID,
    ...options,
  }),
  cancelRequest: (options) => ({
    method: 'DELETE',
    path: `/v2/requests/${JOB_ID}`,
    resource: '/v2/requests/{id}',
    id: JOB_ID,
    ...options,
  }),
  listRequests: (options) => ({ method: 'GET', path: '/v2/requests', ...options }),
  createUpload: (options) => ({
    path: '/v2/uploads',
    body: { content_type: 'image/png', content_length: 1024 },
    ...options,
  }),
};

const call = (route: RouteName, options?: ApiEventOptions): Promise<APIGatewayProxyResult> =>
  handlers[route](apiEvent(routes[route](options)), lambdaContext(route));

interface ErrorCase {
  route: RouteName;
  name: string;
  options: ApiEventOptions;
  code: ApiErrorCode;
  /** The field `details` must name; none when the answer is not about a field. */
  field?: string;
}

const byId: RouteName[] = ['getStatus', 'getResult', 'cancelRequest'];
const withBody: RouteName[] = ['createTransition', 'createUpload'];

const cases: ErrorCase[] = [
  ...(Object.keys(handlers) as RouteName[]).map(
    (route): ErrorCase => ({ route, name: 'no caller', options: { owner: null }, code: 'unauthorized' }),
  ),
  ...byId.flatMap((route): ErrorCase[] => [
    { route, name: 'a malformed id', options: { id: 'not an id!' }, code: 'invalid_request', field: 'id' },
    { route, name: 'an unknown id', options: { id: '01JQ00000000000000000000ZZ' }, code: 'not_found' },
  ]),
  ...withBody.flatMap((route): ErrorCase[] => [
    { route, name: 'a JSON array', options: { body: [] }, code: 'invalid_request', field: 'body' },
    { route, name: 'malformed JSON', options: { body: '{"prompt":' }, code: 'invalid_json' },
    {
      route,
      name: 'a text/plain body',
      options: { headers: { 'content-type': 'text/plain' } },
      code: 'unsupported_media_type',
    },
  ]),
  {
    route: 'listRequests',
    name: 'limit 0',
    options: { query: { limit: '0' } },
    code: 'invalid_request',
    field: 'limit',
  },
  {
    route: 'createTransition',
    name: 'a bad Idempotency-Key',
    options: { headers: { 'Idempotency-Key': '' } },
    code: 'invalid_request',
    field: 'Idempotency-Key',
  },
];

describe("Handlers: every route answers errors in Segmind's shape", () => {
  it.each(cases)('$route: $name → $code', async ({ route, options, code, field }) => {
    // Act
    const response = await call(route, options);

    // Assert
    const body = errorOf(response);
    expect(response.statusCode).toBe(API_ERROR_CODES[code].status);
    expect(body.error_code).toBe(code);
    expect(body.error).toEqual(expect.any(String));
    expect(body.error.length).toBeGreaterThan(0);
    if (field) {
      expect(body.details.map((detail) => detail.field)).toContain(field);
      expect(body.error).toContain(field);
    } else {
      expect(body.details).toEqual([]);
    }
  });

  it.each(byId)('%s: a failure of its own is a 500 internal_error carrying no internals', async (route) => {
    // Arrange
    putRow(storedJob(JOB_ID));
    ddb.on(GetCommand).rejects(new Error('ProvisionedThroughputExceededException: table framebridge-jobs'));

    // Act
    const response = await call(route);

    // Assert
    expect(errorOf(response)).toEqual({ error: 'Internal server error', error_code: 'internal_error', details: [] });
    expect(response.body).not.toContain('framebridge-jobs');
  });

  it('listRequests: a failure of its own is a 500 internal_error carrying no internals', async () => {
    // Arrange
    ddb.on(QueryCommand).rejects(new Error('ProvisionedThroughputExceededException: table framebridge-jobs'));

    // Act
    const response = await call('listRequests');

    // Assert
    expect(errorOf(response)).toEqual({ error: 'Internal server error', error_code: 'internal_error', details: [] });
  });

  it('cancelRequest: a finished job is a 409 conflict', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { status: 'COMPLETED', phase: 'completed' }));

    // Act
    const response = await call('cancelRequest');

    // Assert
    expect(errorOf(response)).toMatchObject({ error_code: 'conflict', details: [] });
  });
});
