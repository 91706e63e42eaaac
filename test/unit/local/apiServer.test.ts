import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { errorBodySchema } from '../../../lambdas/core/apiViews';
import { API_KEY_HEADER, type ApiErrorCode, statusOfApiError } from '../../../lambdas/core/contract';
import { startLocalApi } from '../../../local/apiServer';

/*
 * The local API server's own answers (no route, wrong method, body too big,
 * no key, a handler that fails, a request that is not HTTP): each in the
 * handlers' shape, with its code's status.
 */

/** A module with no `handler` export: invoking it fails as a crashed function does. */
const NOT_A_HANDLER = 'lambdas/core/apiViews.ts';

describe('Local API server: its own error answers', () => {
  let api: Awaited<ReturnType<typeof startLocalApi>>;

  beforeAll(async () => {
    api = await startLocalApi({
      routes: [
        { method: 'GET', path: '/healthz' },
        { method: 'POST', path: '/v2/broken', handler: NOT_A_HANDLER, functionName: 'Broken' },
        {
          method: 'GET',
          path: '/v2/guarded',
          handler: NOT_A_HANDLER,
          functionName: 'Guarded',
          authorizer: { handler: NOT_A_HANDLER, functionName: 'Authorizer', identityHeader: API_KEY_HEADER },
        },
      ],
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  /** The answer's error body, checked against the schema, with its code's status. */
  async function expectError(response: Response, code: ApiErrorCode) {
    expect(response.status).toBe(statusOfApiError(code));
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = z.strictObject(errorBodySchema.shape).parse(await response.json());
    expect(body).toMatchObject({ error_code: code, details: [] });
    return body;
  }

  it('answers a path it does not serve 404 not_found', async () => {
    const body = await expectError(await fetch(`${api.url}/v2/nowhere`), 'not_found');

    expect(body.error).toBe('No route GET /v2/nowhere');
  });

  it('answers a known path with another method 405 method_not_allowed', async () => {
    const body = await expectError(await fetch(`${api.url}/healthz`, { method: 'DELETE' }), 'method_not_allowed');

    expect(body.error).toBe('DELETE is not allowed on /healthz');
  });

  it('answers a guarded route without a key 401 unauthorized, as API Gateway does', async () => {
    const body = await expectError(await fetch(`${api.url}/v2/guarded`), 'unauthorized');

    expect(body.error).toBe('An x-api-key header is required');
  });

  it('answers a body over 10 MB 413 payload_too_large', async () => {
    const response = await fetch(`${api.url}/v2/broken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });

    await expectError(response, 'payload_too_large');
  });

  it('answers a function that fails 502 bad_gateway, saying nothing of why', async () => {
    const response = await fetch(`${api.url}/v2/broken`, { method: 'POST', body: '{}' });

    const body = await expectError(response, 'bad_gateway');
    expect(body.error).toBe('Internal server error');
  });

  it('answers a request that is not valid HTTP 400 bad_request', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(api.port, '127.0.0.1', () => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });

    const [head = '', body = ''] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toContain('content-type: application/json');
    expect(z.strictObject(errorBodySchema.shape).parse(JSON.parse(body))).toEqual({
      error: 'The request is not valid HTTP',
      error_code: 'bad_request',
      details: [],
    });
  });
});
