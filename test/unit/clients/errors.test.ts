import {
  API_ERROR_CLASSES,
  Framebridge,
  FramebridgeError,
  JobFailedError,
  NotFoundError,
  ThrottledError,
  ValidationError,
} from 'framebridge/client';
import { describe, expect, it } from 'vitest';
import { errorFromAnswer, parseRetryAfter } from '../../../clients/errors';
import { errorView } from '../../../lambdas/core/apiViews';
import { API_ERROR_CODES } from '../../../lambdas/core/contract/apiErrors';
import { fakeFetch, jsonAnswer, statusBody } from './fakeFetch';

describe('Client: typed errors', () => {
  it('has one class of its own per API error code, and no other', () => {
    const classes = Object.values(API_ERROR_CLASSES);

    expect(Object.keys(API_ERROR_CLASSES).sort()).toEqual(Object.keys(API_ERROR_CODES).sort());
    expect(new Set(classes).size).toBe(classes.length);
    for (const ErrorClass of classes) expect(ErrorClass.prototype).toBeInstanceOf(FramebridgeError);
  });

  it.each(Object.entries(API_ERROR_CODES))(
    'reads a %s answer as its class, with status, code, message and details',
    (code, { status }) => {
      const body = errorView(code as keyof typeof API_ERROR_CODES, `about ${code}`, [
        { field: 'seed', rule: 'is odd' },
      ]);

      const error = errorFromAnswer(status, body, null);

      expect(error).toBeInstanceOf(API_ERROR_CLASSES[code as keyof typeof API_ERROR_CODES]);
      expect(error).toMatchObject({
        status,
        code,
        message: `about ${code}`,
        details: [{ field: 'seed', rule: 'is odd' }],
      });
      expect(error.name).toMatch(/Error$/);
      expect(error.name).not.toBe('FramebridgeError');
    },
  );

  it('types an answer that is not the API’s by its HTTP status, and keeps an unknown code as it came', () => {
    const proxyPage = errorFromAnswer(404, '<html>Not Found</html>', null);
    const newerServer = errorFromAnswer(418, { error: 'short and stout', error_code: 'teapot', details: [] }, null);
    const odd = errorFromAnswer(503, undefined, null);

    expect(proxyPage).toBeInstanceOf(NotFoundError);
    expect(proxyPage.message).toBe('HTTP 404: <html>Not Found</html>');
    expect(newerServer.constructor).toBe(FramebridgeError);
    expect(newerServer).toMatchObject({ status: 418, code: 'teapot', message: 'short and stout' });
    expect(odd).toMatchObject({ status: 503, code: 'unexpected_response', message: 'HTTP 503' });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');

    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:12 GMT', now)).toBe(12);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(errorFromAnswer(429, errorView('throttled', 'slow down'), '7')).toMatchObject({ retryAfterSeconds: 7 });
  });

  it('throws the typed error from a call, and serves a FAILED status (422) as an answer', async () => {
    const { fetch } = fakeFetch((request) =>
      request.url.pathname.endsWith('/BAD/status')
        ? jsonAnswer(400, errorView('invalid_request', 'Invalid request: id is bad', [{ field: 'id', rule: 'is bad' }]))
        : request.url.pathname.endsWith('/GONE/status')
          ? jsonAnswer(429, errorView('throttled', 'Too many requests'), { 'retry-after': '3' })
          : jsonAnswer(422, statusBody('FAILED', 'failed', { error: 'boom', error_code: 'upstream_failed' })),
    );
    const fb = new Framebridge({ baseUrl: 'http://api.test/', apiKey: 'k', fetch });

    const failed = await fb.transitions.status('REQ1');
    const invalid = await fb.transitions.status('BAD').catch((error: unknown) => error);
    const throttled = await fb.transitions.status('GONE').catch((error: unknown) => error);

    expect(failed).toMatchObject({ status: 'FAILED', error_code: 'upstream_failed' });
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request', details: [{ field: 'id', rule: 'is bad' }] });
    expect(throttled).toBeInstanceOf(ThrottledError);
    expect(throttled).toMatchObject({ retryAfterSeconds: 3 });
  });

  it('refuses a success body it cannot read instead of handing it on typed', async () => {
    const { fetch } = fakeFetch(() => jsonAnswer(200, { hello: 'world' }));
    const fb = new Framebridge({ baseUrl: 'http://api.test', apiKey: 'k', fetch });

    await expect(fb.transitions.status('REQ1')).rejects.toMatchObject({ code: 'unexpected_response', status: 200 });
  });

  it('makes a FAILED job a JobFailedError carrying the status body and its code', () => {
    const job = statusBody('FAILED', 'failed', { error: 'Cancelled by the client', error_code: 'cancelled' });

    const error = new JobFailedError(job);

    expect(error).toBeInstanceOf(FramebridgeError);
    expect(error).toMatchObject({
      status: 422,
      code: 'cancelled',
      message: 'Cancelled by the client',
      job,
      requestId: 'REQ1',
    });
  });
});
