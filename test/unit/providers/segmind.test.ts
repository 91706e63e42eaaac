import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statusesLeadingTo, upstreamStatuses } from '../../../lambdas/core/contract/upstreamStatus';
import {
  InvalidUpstreamOutputError,
  SubmitOutcomeUnknownError,
  UpstreamExpiredError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamUnavailableError,
} from '../../../lambdas/core/errors';
import {
  classifyTransportError,
  parseResetAt,
  SEGMIND_MODEL_PATH,
  SegmindClient,
  type SegmindClientOptions,
} from '../../../lambdas/providers/segmind';

const API_KEY = 'sg_test_9f8e7d6c5b4a';
const REQUEST_ID = 'c0ffee00-1234-4abc-9def-0123456789ab';
const VIDEO_URL = 'https://cdn.segmind.com/outputs/c0ffee00/video.mp4?X-Amz-Signature=abc%2Fdef';

interface ReceivedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}
type Script = (request: IncomingMessage, response: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let script: Script;
const received: ReceivedRequest[] = [];

/** Answers with a JSON body (or raw text when given a string). */
function reply(status: number, body?: unknown, headers: Record<string, string> = {}): Script {
  return (_request, response) => {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(text);
  };
}

function client(options: Partial<SegmindClientOptions> = {}): SegmindClient {
  return new SegmindClient({ baseUrl, apiKey: async () => API_KEY, timeoutMs: 2_000, ...options });
}

/** The rejection of `promise`; fails the test if it resolves. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Asserts class, `name` (the state machine matches on it) and that the key never leaks. */
function expectTyped<T extends Error>(error: unknown, type: abstract new (...args: never[]) => T): T {
  expect(error).toBeInstanceOf(type);
  if (!(error instanceof type)) throw new Error('unreachable: asserted above');
  expect(error.name).toBe(type.name);
  expect(error.message).not.toContain(API_KEY);
  return error;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const submitBody = { prompt: 'a slow dissolve', first_frame_url: 'https://x.test/a.png', duration: 5 };

const operations = {
  submit: (segmind: SegmindClient) => segmind.submit(submitBody),
  status: (segmind: SegmindClient) => segmind.status(REQUEST_ID),
  result: (segmind: SegmindClient) => segmind.result(REQUEST_ID),
} as const;
const operationNames = Object.keys(operations) as (keyof typeof operations)[];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      script(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  received.length = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('Provider: Segmind client', () => {
  describe('submit', () => {
    it.each([200, 201, 202])('returns the request id of a job accepted with HTTP %i', async (status) => {
      // Arrange
      script = reply(status, { request_id: REQUEST_ID, status: 'QUEUED', poll_url: 'https://x.test/p' });

      // Act
      const accepted = await client().submit(submitBody);

      // Assert
      expect(accepted).toEqual({ requestId: REQUEST_ID, status: 'QUEUED' });
    });

    it('posts the body as JSON to the model path with the API key', async () => {
      script = reply(202, { request_id: REQUEST_ID, status: 'QUEUED' });

      await client({ baseUrl: `${baseUrl}/` }).submit(submitBody);

      expect(received).toHaveLength(1);
      const [request] = received;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe(SEGMIND_MODEL_PATH);
      expect(request?.headers['x-api-key']).toBe(API_KEY);
      expect(request?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(request?.body ?? '')).toEqual(submitBody);
    });

    it('asks for the API key on every request', async () => {
      script = reply(202, { request_id: REQUEST_ID, status: 'QUEUED' });
      let calls = 0;
      const segmind = client({ apiKey: async () => `${API_KEY}-${++calls}` });

      await segmind.submit(submitBody);
      await segmind.submit(submitBody);

      expect(received.map((request) => request.headers['x-api-key'])).toEqual([`${API_KEY}-1`, `${API_KEY}-2`]);
    });

    it.each([
      ['no request_id', { status: 'QUEUED' }],
      ['an empty request_id', { request_id: '', status: 'QUEUED' }],
      ['a FAILED status', { request_id: REQUEST_ID, status: 'FAILED' }],
      ['a body that is not JSON', '<html>ok</html>'],
      ['no body', undefined],
    ])('treats a 2xx with %s as an unknown outcome', async (_case, body) => {
      script = reply(200, body);

      const error = await failureOf(client().submit(submitBody));

      const typed = expectTyped(error, SubmitOutcomeUnknownError);
      expect(typed.code).toBe('submit_outcome_unknown');
      expect(typed.retryable).toBe(false);
    });

    it.each([502, 504, 520, 524])(
      "treats a gateway's HTTP %i as an unknown outcome: Segmind may have accepted behind it",
      async (status) => {
        script = reply(status, '<html>bad gateway</html>');

        const error = await failureOf(client().submit(submitBody));

        const typed = expectTyped(error, SubmitOutcomeUnknownError);
        expect(typed.message).toContain(`HTTP ${status}`);
        expect(typed.code).toBe('submit_outcome_unknown');
        expect(typed.retryable).toBe(false);
        expect(received).toHaveLength(1);
      },
    );

    it('does not follow a redirect and treats it as an unknown outcome', async () => {
      script = reply(307, '', { location: '/elsewhere' });

      const error = await failureOf(client().submit(submitBody));

      expectTyped(error, SubmitOutcomeUnknownError);
      expect(received.map((request) => request.url)).toEqual([SEGMIND_MODEL_PATH]);
    });

    it.each([
      ['127.0.0.1', UpstreamUnavailableError],
      ['localhost', UpstreamUnavailableError],
    ])('reports a refused connection to %s as unavailable: nothing was sent', async (host, type) => {
      const port = await closedPort();

      const error = await failureOf(client({ baseUrl: `http://${host}:${port}` }).submit(submitBody));

      const typed = expectTyped(error, type);
      expect(typed.message).toContain('ECONNREFUSED');
      expect(typed.retryable).toBe(true);
    });

    it('reports a socket destroyed after the request as an unknown outcome', async () => {
      script = (request) => request.socket.destroy();

      const error = await failureOf(client().submit(submitBody));

      expectTyped(error, SubmitOutcomeUnknownError);
      expect(received).toHaveLength(1);
    });

    it('reports a server that never answers as an unknown outcome after timeoutMs', async () => {
      script = () => undefined;
      const startedAt = Date.now();

      const error = await failureOf(client({ timeoutMs: 150 }).submit(submitBody));

      const typed = expectTyped(error, SubmitOutcomeUnknownError);
      expect(typed.message).toContain('150 ms');
      expect(Date.now() - startedAt).toBeLessThan(1_500);
    });

    it('reports an accepted answer whose body stalls as an unknown outcome', async () => {
      script = (_request, response) => {
        response.writeHead(202, { 'content-type': 'application/json' });
        response.write('{"request_id":');
      };

      const error = await failureOf(client({ timeoutMs: 150 }).submit(submitBody));

      expectTyped(error, SubmitOutcomeUnknownError);
    });

    it('reports an accepted answer cut off mid-body as an unknown outcome', async () => {
      script = (request, response) => {
        response.writeHead(202, { 'content-type': 'application/json', 'content-length': '200' });
        response.write('{"request_id":', () => request.socket.destroy());
      };

      const error = await failureOf(client().submit(submitBody));

      expectTyped(error, SubmitOutcomeUnknownError);
    });

    it.each([404, 405, 409, 422])('rejects an unexpected HTTP %i as a bad request', async (status) => {
      script = reply(status, { error: 'nope' });

      const error = await failureOf(client().submit(submitBody));

      const typed = expectTyped(error, UpstreamRejectedError);
      expect(typed.httpStatus).toBe(400);
      expect(typed.code).toBe('upstream_bad_request');
      expect(typed.message).toContain(`HTTP ${status}`);
      expect(typed.message).toContain('nope');
    });

    it.each([
      ['error', { error: 'prompt is too long' }, 'prompt is too long'],
      ['message', { message: 'Invalid parameters' }, 'Invalid parameters'],
      ['detail', { detail: [{ loc: ['seed'], msg: 'bad seed' }] }, '"msg":"bad seed"'],
      ['plain text', 'Bad Request: seed', 'Bad Request: seed'],
    ])("quotes Segmind's %s in a rejection", async (_field, body, expected) => {
      script = reply(400, body);

      const error = await failureOf(client().submit(submitBody));

      expect(expectTyped(error, UpstreamRejectedError).message).toContain(expected);
    });

    it('truncates a long upstream message to about 500 characters', async () => {
      script = reply(400, { error: 'x'.repeat(5_000) });

      const error = await failureOf(client().submit(submitBody));

      const { message } = expectTyped(error, UpstreamRejectedError);
      expect(message).toContain('x'.repeat(500));
      expect(message).not.toContain('x'.repeat(501));
      expect(message.length).toBeLessThan(700);
    });

    it('redacts the API key when Segmind echoes it', async () => {
      script = reply(401, { error: `Invalid API key ${API_KEY}` });

      const error = await failureOf(client().submit(submitBody));

      expect(expectTyped(error, UpstreamRejectedError).message).toContain('Invalid API key [redacted]');
    });

    it('refuses an API key that is not a valid header value without quoting it', async () => {
      const error = await failureOf(client({ apiKey: async () => `${API_KEY}\nx` }).submit(submitBody));

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).not.toContain(API_KEY);
      expect(received).toHaveLength(0);
    });
  });

  describe.each(operationNames)('%s: answered failures', (operation) => {
    it.each([
      [400, 'upstream_bad_request'],
      [401, 'upstream_unauthorized'],
      [403, 'upstream_forbidden'],
      [406, 'upstream_insufficient_credits'],
      [410, 'upstream_model_retired'],
    ] as const)('HTTP %i is a rejection with code %s', async (status, code) => {
      script = reply(status, { error: `segmind says ${status}` });

      const error = await failureOf(operations[operation](client()));

      const typed = expectTyped(error, UpstreamRejectedError);
      expect(typed.httpStatus).toBe(status);
      expect(typed.code).toBe(code);
      expect(typed.retryable).toBe(false);
      expect(typed.message).toContain(`segmind says ${status}`);
    });

    it('HTTP 429 carries resetAt from an ISO x-rate-limit-reset-at-utc', async () => {
      script = reply(429, { error: 'slow down' }, { 'x-rate-limit-reset-at-utc': '2030-01-02T03:04:05Z' });

      const error = await failureOf(operations[operation](client()));

      const typed = expectTyped(error, UpstreamThrottledError);
      expect(typed.resetAt?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
      expect(typed.code).toBe('upstream_throttled');
      expect(typed.retryable).toBe(true);
    });

    it('HTTP 429 carries resetAt from epoch seconds', async () => {
      script = reply(429, {}, { 'x-rate-limit-reset-at-utc': '1893553445' });

      const error = await failureOf(operations[operation](client()));

      expect(expectTyped(error, UpstreamThrottledError).resetAt?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
    });

    it.each([
      ['without the reset header', {}],
      ['with an unparseable reset header', { 'x-rate-limit-reset-at-utc': 'soon' }],
    ])('HTTP 429 %s has no resetAt', async (_case, headers) => {
      script = reply(429, { error: 'slow down' }, headers);

      const error = await failureOf(operations[operation](client()));

      expect(expectTyped(error, UpstreamThrottledError).resetAt).toBeUndefined();
    });

    // To a submit, a gateway's 502 or 504 may come after Segmind accepted: see 'submit'.
    it.each(operation === 'submit' ? [500, 503] : [500, 502, 503, 504])(
      'HTTP %i is unavailable, with its status',
      async (status) => {
        script = reply(status, '<html>bad gateway</html>');

        const error = await failureOf(operations[operation](client()));

        const typed = expectTyped(error, UpstreamUnavailableError);
        expect(typed.httpStatus).toBe(status);
        expect(typed.code).toBe('upstream_unavailable');
        expect(typed.retryable).toBe(true);
      },
    );
  });

  describe.each(['status', 'result'] as const)('%s: reads', (operation) => {
    it('HTTP 404 means the record is unknown or expired', async () => {
      script = reply(404, { error: 'not found' });

      const error = await failureOf(operations[operation](client()));

      const typed = expectTyped(error, UpstreamExpiredError);
      expect(typed.code).toBe('upstream_expired');
      expect(typed.message).toContain(REQUEST_ID);
      expect(typed.message).toMatch(/unknown or .*expired/);
    });

    it.each([
      ['a string error', { status: 'FAILED', error: 'NSFW content detected' }, 'NSFW content detected'],
      [
        'an object error',
        { status: 'FAILED', error: { code: 17, reason: 'bad frame' } },
        '{"code":17,"reason":"bad frame"}',
      ],
      ['no error', { status: 'FAILED' }, 'Segmind reported the job FAILED without a reason'],
    ])('HTTP 422 with %s is a FAILED job', async (_case, body, expected) => {
      script = reply(422, body);

      const answer = await operations[operation](client());

      expect(answer).toEqual({ status: 'FAILED', error: expected });
    });

    it('HTTP 200 with an unknown status is invalid output', async () => {
      script = reply(200, { status: 'EXPLODED' });

      const error = await failureOf(operations[operation](client()));

      expect(expectTyped(error, InvalidUpstreamOutputError).message).toContain('EXPLODED');
    });

    it('HTTP 200 with a body that is not JSON is invalid output', async () => {
      script = reply(200, 'not json');

      const error = await failureOf(operations[operation](client()));

      expectTyped(error, InvalidUpstreamOutputError);
    });

    it('a socket destroyed after the request is unavailable: reads are safe to retry', async () => {
      script = (request) => request.socket.destroy();

      const error = await failureOf(operations[operation](client()));

      expectTyped(error, UpstreamUnavailableError);
    });

    it('a server that never answers is unavailable after timeoutMs', async () => {
      script = () => undefined;

      const error = await failureOf(operations[operation](client({ timeoutMs: 150 })));

      expect(expectTyped(error, UpstreamUnavailableError).message).toContain('150 ms');
    });

    it('a refused connection is unavailable', async () => {
      const port = await closedPort();

      const error = await failureOf(operations[operation](client({ baseUrl: `http://127.0.0.1:${port}` })));

      expectTyped(error, UpstreamUnavailableError);
    });

    it('a redirect is not followed and is unavailable', async () => {
      script = reply(302, '', { location: '/elsewhere' });

      const error = await failureOf(operations[operation](client()));

      expect(expectTyped(error, UpstreamUnavailableError).httpStatus).toBe(302);
      expect(received).toHaveLength(1);
    });

    it.each(['', '.', '..', '%2e%2E'])('refuses the request id %j without a request', async (id) => {
      const error = await failureOf(client()[operation](id));

      expect(error).toBeInstanceOf(TypeError);
      expect(received).toHaveLength(0);
    });
  });

  describe('status', () => {
    it('GETs the status path with the id URL-encoded and the API key', async () => {
      script = reply(200, { status: 'PROCESSING', request_id: 'a/b c' });

      const answer = await client().status('a/b c');

      expect(answer).toEqual({ status: 'PROCESSING' });
      expect(received[0]?.method).toBe('GET');
      expect(received[0]?.url).toBe('/v2/requests/a%2Fb%20c/status');
      expect(received[0]?.headers['x-api-key']).toBe(API_KEY);
    });

    it.each([...statusesLeadingTo('wait'), ...statusesLeadingTo('copy')])('returns %s', async (status) => {
      script = reply(200, { status, request_id: REQUEST_ID });

      expect(await client().status(REQUEST_ID)).toEqual({ status });
    });

    it.each(statusesLeadingTo('fail'))('returns %s answered with HTTP 200 with its error', async (status) => {
      script = reply(200, { status, error: 'out of memory' });

      expect(await client().status(REQUEST_ID)).toEqual({ status, error: 'out of memory' });
    });

    it.each(upstreamStatuses)('reads %s however Segmind cases or pads it', async (status) => {
      script = reply(200, { status: ` ${status.toLowerCase()} ` });

      expect((await client().status(REQUEST_ID)).status).toBe(status);
    });
  });

  describe('result', () => {
    it('GETs the result path and returns the video URL and metrics when COMPLETED', async () => {
      script = reply(200, { status: 'COMPLETED', output: VIDEO_URL, metrics: { inference_time: 77.3 } });

      const answer = await client().result(REQUEST_ID);

      expect(answer).toEqual({ status: 'COMPLETED', videoUrl: VIDEO_URL, metrics: { inference_time: 77.3 } });
      expect(received[0]?.method).toBe('GET');
      expect(received[0]?.url).toBe(`/v2/requests/${REQUEST_ID}`);
      expect(received[0]?.headers['x-api-key']).toBe(API_KEY);
    });

    it.each([
      ['a URL string', VIDEO_URL],
      ['an object', { video_url: VIDEO_URL }],
      ['an object under url', { url: VIDEO_URL }],
      ['a nested object', { output: { url: VIDEO_URL } }],
      ['a JSON-encoded object', JSON.stringify({ video_url: VIDEO_URL })],
      ['a JSON-encoded string', JSON.stringify(VIDEO_URL)],
      ['an array', [VIDEO_URL, 'https://x.test/other.mp4']],
      ['an array of objects', [{ output_url: VIDEO_URL }]],
    ])('finds the video URL in %s', async (_shape, output) => {
      script = reply(200, { status: 'COMPLETED', output });

      const answer = await client().result(REQUEST_ID);

      expect(answer).toEqual({ status: 'COMPLETED', videoUrl: VIDEO_URL });
    });

    it.each([
      ['a number', 42],
      ['an empty string', ''],
      ['a string that is not a URL', 'video.mp4'],
      ['an empty object', {}],
      ['nothing', undefined],
    ])('rejects %s as output', async (_shape, output) => {
      script = reply(200, { status: 'COMPLETED', output });

      const error = await failureOf(client().result(REQUEST_ID));

      const typed = expectTyped(error, InvalidUpstreamOutputError);
      expect(typed.code).toBe('invalid_upstream_output');
      expect(typed.message).toContain('received');
    });

    it('returns the status alone while the job runs', async () => {
      script = reply(200, { status: 'PROCESSING', output: null });

      expect(await client().result(REQUEST_ID)).toEqual({ status: 'PROCESSING' });
    });

    it('leaves out metrics that are not an object', async () => {
      script = reply(200, { status: 'COMPLETED', output: VIDEO_URL, metrics: [1, 2] });

      expect(await client().result(REQUEST_ID)).toEqual({ status: 'COMPLETED', videoUrl: VIDEO_URL });
    });
  });

  describe('classifyTransportError', () => {
    const withCause = (cause: unknown) => new TypeError('fetch failed', { cause });
    const systemError = (code: string, syscall?: string) =>
      Object.assign(new Error(`${syscall ?? 'read'} ${code}`), { code, ...(syscall ? { syscall } : {}) });

    it.each([
      ['connection refused', withCause(systemError('ECONNREFUSED', 'connect'))],
      ['DNS not found', withCause(systemError('ENOTFOUND', 'getaddrinfo'))],
      ['DNS try again', withCause(systemError('EAI_AGAIN', 'getaddrinfo'))],
      ['a connect that timed out', withCause(systemError('ETIMEDOUT', 'connect'))],
      ['undici connect timeout', withCause(systemError('UND_ERR_CONNECT_TIMEOUT'))],
      ['an expired certificate', withCause(systemError('CERT_HAS_EXPIRED'))],
      ['a self-signed certificate', withCause(systemError('DEPTH_ZERO_SELF_SIGNED_CERT'))],
      ['a host name mismatch', withCause(systemError('ERR_TLS_CERT_ALTNAME_INVALID'))],
      [
        'happy eyeballs refused on every address',
        withCause(
          Object.assign(
            new AggregateError([systemError('ECONNREFUSED', 'connect'), systemError('ECONNREFUSED', 'connect')]),
            { code: 'ECONNREFUSED' },
          ),
        ),
      ],
    ])('%s was not sent', (_case, error) => {
      expect(classifyTransportError(error)).toBe('not-sent');
    });

    it.each([
      ['a reset', withCause(systemError('ECONNRESET'))],
      ['a closed socket', withCause(systemError('UND_ERR_SOCKET'))],
      ['headers timeout', withCause(systemError('UND_ERR_HEADERS_TIMEOUT'))],
      ['socket hang up', withCause(new Error('socket hang up'))],
      ['our timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError')],
      ['an abort', new DOMException('This operation was aborted', 'AbortError')],
      [
        'happy eyeballs with one address reset',
        withCause(new AggregateError([systemError('ECONNREFUSED', 'connect'), systemError('ECONNRESET')])),
      ],
      ['a bare fetch failure', new TypeError('fetch failed')],
      ['something that is not an error', 'boom'],
    ])('%s may have been sent', (_case, error) => {
      expect(classifyTransportError(error)).toBe('maybe-sent');
    });
  });

  describe('parseResetAt', () => {
    it.each([
      ['2030-01-02T03:04:05Z', '2030-01-02T03:04:05.000Z'],
      ['2030-01-02T03:04:05+01:00', '2030-01-02T02:04:05.000Z'],
      ['2030-01-02T03:04:05', '2030-01-02T03:04:05.000Z'],
      ['1893553445', '2030-01-02T03:04:05.000Z'],
      [' 1893553445.5 ', '2030-01-02T03:04:05.500Z'],
    ])('reads %j as %s', (header, expected) => {
      expect(parseResetAt(header)?.toISOString()).toBe(expected);
    });

    it.each([null, '', 'soon', 'Thu, 01 Jan 2030 00:00:00 GMT', '2030-13-45T99:00:00Z'])('ignores %j', (header) => {
      expect(parseResetAt(header)).toBeUndefined();
    });
  });
});
