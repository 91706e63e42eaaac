import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { errorBodySchema } from '../../lambdas/core/apiViews';
import { type ApiErrorCode, statusOfApiError } from '../../lambdas/core/contract/apiErrors';
import { type ApiRoute, apiRoutesFromTemplate } from '../../local/apiRoutes';
import { type LocalStack, startLocalStack } from '../../local/stack';

/*
 * Every route the template deploys, asked badly through the local API: each
 * error answer has Segmind's shape — `{error, error_code, details}`, `error` a
 * string (what Segmind's SDK shows), nothing else — and its code's status.
 */

const KEY = 'error-shape-key';
const UNKNOWN_ID = '01JQ00000000000000000000ZZ';

interface BadRequest {
  method?: string;
  /** The path, `{id}` filled in. */
  path?: string;
  body?: string;
  /** Sent as the x-api-key; null sends none. @default KEY */
  key?: string | null;
  contentType?: string;
  code: ApiErrorCode;
  /** The field `details` must name; none when the answer is not about a field. */
  field?: string;
}

/** One bad request per route, keyed `METHOD /path` as the template names it. */
const badRequestOf: Record<string, BadRequest> = {
  'POST /v2/pixverse-5-transition': { body: '[]', code: 'invalid_request', field: 'body' },
  'POST /v2/uploads': { body: '[]', code: 'invalid_request', field: 'body' },
  'GET /v2/requests': { path: '/v2/requests?limit=0', code: 'invalid_request', field: 'limit' },
  'GET /v2/requests/{id}': { path: '/v2/requests/not%20an%20id', code: 'invalid_request', field: 'id' },
  'DELETE /v2/requests/{id}': { path: '/v2/requests/not%20an%20id', code: 'invalid_request', field: 'id' },
  'GET /v2/requests/{id}/status': { path: '/v2/requests/not%20an%20id/status', code: 'invalid_request', field: 'id' },
  // Refused as JSON before any event stream.
  'GET /v2/requests/{id}/events': { path: '/v2/requests/not%20an%20id/events', code: 'invalid_request', field: 'id' },
  // Refused as JSON before any wait: nothing is created.
  'POST /v1/pixverse-5-transition': { body: '[]', code: 'invalid_request', field: 'body' },
  // Public routes take no input to get wrong: another method is their bad request.
  'GET /': { method: 'POST', code: 'method_not_allowed' },
  'GET /openapi.json': { method: 'PUT', code: 'method_not_allowed' },
  'GET /healthz': { method: 'POST', code: 'method_not_allowed' },
};

const key = (route: ApiRoute) => `${route.method} ${route.path}`;

describe("E2E: every route's errors in Segmind's shape, on the local stack", () => {
  let stack: LocalStack;
  let workDir: string;
  let routes: ApiRoute[];

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-error-shape-'));
    stack = await startLocalStack({ port: 0, dataDir: workDir, apiKeys: [KEY], segmindApiKey: '' });
    routes = apiRoutesFromTemplate(stack.template.template as unknown as Parameters<typeof apiRoutesFromTemplate>[0]);
  });

  afterAll(async () => {
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function send(route: ApiRoute, request: Omit<BadRequest, 'code'> = {}) {
    const sentKey = request.key === undefined ? KEY : request.key;
    const response = await fetch(`${stack.endpoints.apiUrl}${request.path ?? route.path.replace('{id}', UNKNOWN_ID)}`, {
      method: request.method ?? route.method,
      headers: {
        ...(sentKey === null ? {} : { 'x-api-key': sentKey }),
        ...(request.body === undefined ? {} : { 'content-type': request.contentType ?? 'application/json' }),
      },
      body: request.body,
    });
    return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
  }

  /** The answer is an error in Segmind's shape with `code`, its status and (when given) the field. */
  function expectError(answer: Awaited<ReturnType<typeof send>>, code: ApiErrorCode, field?: string) {
    expect(answer.contentType, answer.text).toMatch(/^application\/json/);
    const body = z.strictObject(errorBodySchema.shape).parse(JSON.parse(answer.text));
    expect({ status: answer.status, code: body.error_code }, answer.text).toEqual({
      status: statusOfApiError(code),
      code,
    });
    expect(body.error.length).toBeGreaterThan(0);
    if (field) {
      expect(body.details.map((detail) => detail.field)).toContain(field);
      expect(body.error).toContain(field);
    }
    return body;
  }

  it('has a bad request for every route the template deploys', () => {
    expect(routes.map(key).sort()).toEqual(Object.keys(badRequestOf).sort());
  });

  it('answers each route its bad request', async () => {
    for (const route of routes) {
      const { code, field, ...request } = badRequestOf[key(route)] ?? { code: 'internal_error' };
      expectError(await send(route, request), code, field);
    }
  });

  it('answers each keyed route 401 without a key and 403 with an unknown one', async () => {
    const keyed = routes.filter((route) => route.authorizer);

    expect(keyed.length).toBe(8);
    for (const route of keyed) {
      const missing = expectError(await send(route, { key: null }), 'unauthorized');
      const refused = expectError(await send(route, { key: 'not-a-key-of-this-stack' }), 'forbidden');
      expect([missing, refused]).toEqual([
        { error: 'An x-api-key header is required', error_code: 'unauthorized', details: [] },
        { error: 'The x-api-key is unknown or revoked', error_code: 'forbidden', details: [] },
      ]);
    }
  });

  it('answers each route of a request id 404 for an id it does not know', async () => {
    const byId = routes.filter((route) => route.path.includes('{id}'));

    expect(byId.length).toBe(4);
    for (const route of byId) {
      const body = expectError(await send(route), 'not_found');
      expect(body.error).toBe(`No request with id ${UNKNOWN_ID}`);
    }
  });

  it('answers each route with a JSON body 415 for another content type and 400 for a body that is not JSON', async () => {
    const withBody = routes.filter((route) => route.method === 'POST');

    expect(withBody.length).toBe(3);
    for (const route of withBody) {
      expectError(await send(route, { body: '{}', contentType: 'text/plain' }), 'unsupported_media_type');
      expectError(await send(route, { body: '{"prompt":' }), 'invalid_json');
    }
  });

  it('answers a path it does not serve 404 not_found', async () => {
    const answer = await fetch(`${stack.endpoints.apiUrl}/v2/transitions`);

    const body = z.strictObject(errorBodySchema.shape).parse(await answer.json());
    expect(answer.status).toBe(404);
    expect(body).toEqual({ error: 'No route GET /v2/transitions', error_code: 'not_found', details: [] });
  });
});
