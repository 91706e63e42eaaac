import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpDownload, HttpDownloadError, httpGet } from '../../../lambdas/workflow/steps/httpDownload';
import { failureOf } from '../failureOf';

/** A throwaway self-signed certificate for localhost and 127.0.0.1 (2000–2100), for the https case only. */
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcoVokS4HeplbTppI
yXjMfYNssc4qNgV8jEJDel/2ahShRANCAASXN8yBlewq/eNrMXjB2WW9f7DuwWMA
FlUGTHgCyAYovHQa10CaS8T/OiFmF6lciZb+gaFqWjWePsra96HdSXJ3
-----END PRIVATE KEY-----`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBWjCCAQGgAwIBAgIUAYZKZ+YR53AFlySjob8cuoGcCDQwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAx
MDAwMDAwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASXN8yBlewq/eNrMXjB2WW9f7DuwWMAFlUGTHgCyAYovHQa10CaS8T/
OiFmF6lciZb+gaFqWjWePsra96HdSXJ3oy8wLTAaBgNVHREEEzARgglsb2NhbGhv
c3SHBH8AAAEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiApq8al
W+TDvZyIYkYdpKBbUwWvAlLYoVsCPq4W3XywmAIgGCCn3xj3hZJ/0b75bwsH8DCQ
qCYXREhSETg9gzm6QOE=
-----END CERTIFICATE-----`;

const servers: Server[] = [];
const sockets = new Set<Socket>();

async function listen(server: Server, protocol = 'http'): Promise<string> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${protocol}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server that answers every request with `answer`, written in the given pieces: exact bytes on the wire. */
function rawServer(pieces: (Buffer | string)[], end = true): Promise<string> {
  return listen(
    createTcpServer((socket: Socket) => {
      socket.once('data', async () => {
        for (const piece of pieces) {
          socket.write(piece);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        if (end) socket.end();
      });
    }),
  );
}

/** The whole body, each piece copied as it comes. */
async function readAll(download: HttpDownload): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let piece = await download.read(); piece !== null; piece = await download.read()) {
    pieces.push(Buffer.from(piece));
  }
  return Buffer.concat(pieces);
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('Function: httpGet', () => {
  it('sends one GET with Host, the given headers and Connection: close, and reads a content-length body', async () => {
    // Arrange
    const body = randomBytes(3 * 1024 * 1024 + 17);
    let seen: { method?: string; url?: string; headers: Record<string, unknown> } = { headers: {} };
    const base = await listen(
      createHttpServer((request, response) => {
        seen = { method: request.method, url: request.url, headers: request.headers };
        response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(body.length) });
        response.end(body);
      }),
    );

    // Act
    const download = await httpGet(new URL(`${base}/outputs/video.mp4?sig=a%2Fb`), {
      headers: { 'accept-encoding': 'identity' },
    });
    const received = await readAll(download);

    // Assert
    expect(download.status).toBe(200);
    expect(download.header('Content-Type')).toBe('video/mp4');
    expect(download.header('content-length')).toBe(String(body.length));
    expect(received.equals(body)).toBe(true);
    expect(seen).toMatchObject({
      method: 'GET',
      url: '/outputs/video.mp4?sig=a%2Fb',
      headers: { host: new URL(base).host, 'accept-encoding': 'identity', connection: 'close' },
    });
  });

  it('keeps each piece intact until the next read, however slowly the body is read', async () => {
    // Arrange: 2 MiB, far more than the reader buffers before it pauses the socket
    const body = randomBytes(2 * 1024 * 1024);
    const base = await listen(
      createHttpServer((_request, response) => {
        response.writeHead(200, { 'content-length': String(body.length) });
        response.end(body);
      }),
    );
    const download = await httpGet(new URL(base));
    const hash = createHash('sha256');
    let changed = 0;

    // Act: hold each piece while more of the body arrives
    for (let piece = await download.read(); piece !== null; piece = await download.read()) {
      const copy = Buffer.from(piece);
      await new Promise((resolve) => setImmediate(resolve));
      if (!copy.equals(piece)) changed += 1;
      hash.update(piece);
    }

    // Assert
    expect(changed).toBe(0);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('decodes a chunked body, with extensions and trailers, split anywhere on the wire', async () => {
    // Arrange
    const wire = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;name=value\r\nhello\r\n' +
        '1\r\n \r\n' +
        'A\r\n0123456789\r\n' +
        '0\r\nX-Trailer: yes\r\n\r\n',
    );
    const pieces = [...wire].map((byte) => Buffer.from([byte]));
    const base = await rawServer(pieces);

    // Act
    const download = await httpGet(new URL(base));
    const received = await readAll(download);

    // Assert
    expect(download.status).toBe(200);
    expect(received.toString()).toBe('hello 0123456789');
  });

  it('reads a body without length or chunking to the end of the connection', async () => {
    // Arrange
    const base = await rawServer(['HTTP/1.0 200 OK\r\nContent-Type: video/mp4\r\n\r\nfirst ', 'second']);

    // Act
    const download = await httpGet(new URL(base));

    // Assert
    expect((await readAll(download)).toString()).toBe('first second');
  });

  it('skips informational 1xx answers', async () => {
    // Arrange
    const base = await rawServer(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']);

    // Act
    const download = await httpGet(new URL(base));

    // Assert
    expect(download.status).toBe(200);
    expect((await readAll(download)).toString()).toBe('ok');
  });

  it('answers a non-200 status with its headers, which the caller may refuse unread', async () => {
    // Arrange
    const base = await listen(
      createHttpServer((_request, response) => {
        response.writeHead(302, { location: 'https://elsewhere.example/video.mp4' });
        response.end();
      }),
    );

    const abort = new AbortController();

    // Act
    const download = await httpGet(new URL(base), { signal: abort.signal });
    abort.abort();

    // Assert
    expect(download.status).toBe(302);
    expect(download.header('location')).toBe('https://elsewhere.example/video.mp4');
  });

  it('fails a body cut off before its content-length, saying how much came', async () => {
    // Arrange
    const base = await rawServer(['HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', Buffer.alloc(500, 1)]);

    // Act
    const download = await httpGet(new URL(base));
    const error = await failureOf(readAll(download));

    // Assert
    expect(error).toBeInstanceOf(HttpDownloadError);
    expect((error as Error).message).toMatch(/closed after 500 of 1000 bytes/);
  });

  it.each<[string, string, RegExp]>([
    ['a status line that is not HTTP/1.x', 'ICY 200 OK\r\n\r\n', /status line/],
    [
      'both transfer-encoding and content-length',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n',
      /both/,
    ],
    [
      'a transfer coding other than chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      /transfer-encoding/,
    ],
    [
      'two different content-lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
      /content-length/,
    ],
    ['a folded header line', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n continued\r\n\r\n', /Malformed response header/],
  ])('refuses a response with %s', async (_case, head, message) => {
    // Arrange
    const base = await rawServer([head]);

    // Act
    const error = await failureOf(httpGet(new URL(base)));

    // Assert
    expect(error).toBeInstanceOf(HttpDownloadError);
    expect((error as Error).message).toMatch(message);
  });

  it.each<[string, string, RegExp]>([
    ['a chunk size that is not hex', 'zz\r\nhello\r\n0\r\n\r\n', /chunk size/],
    ['a chunk longer than its size', '2\r\nhello\r\n0\r\n\r\n', /longer than its size/],
  ])('fails a chunked body with %s', async (_case, body, message) => {
    // Arrange
    const base = await rawServer([`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`]);

    // Act
    const download = await httpGet(new URL(base));
    const error = await failureOf(readAll(download));

    // Assert
    expect(error).toBeInstanceOf(HttpDownloadError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses response headers larger than 64 KiB', async () => {
    // Arrange
    const base = await rawServer([`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`], false);

    // Act
    const error = await failureOf(httpGet(new URL(base)));

    // Assert
    expect((error as Error).message).toMatch(/too large/);
  });

  it('fails when the connection closes before the headers', async () => {
    // Arrange
    const base = await rawServer(['HTTP/1.1 200 OK\r\nContent-Le']);

    // Act
    const error = await failureOf(httpGet(new URL(base)));

    // Assert
    expect((error as Error).message).toMatch(/before the response headers/);
  });

  it('closes the connection when its signal aborts: before the headers, and during a pending read', async () => {
    // Arrange: one server that never answers, one that stops mid-body
    const silent = await rawServer([], false);
    const stalled = await rawServer(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], false);
    const early = new AbortController();
    const late = new AbortController();

    // Act
    const opening = failureOf(httpGet(new URL(silent), { signal: early.signal }));
    early.abort();
    const download = await httpGet(new URL(stalled), { signal: late.signal });
    const first = Buffer.from((await download.read()) ?? []);
    const pending = download.read();
    late.abort();

    // Assert
    expect((await opening) as Error).toBeInstanceOf(HttpDownloadError);
    expect(((await opening) as Error).message).toMatch(/aborted/);
    expect(first.toString()).toBe('abc');
    await expect(pending).rejects.toThrow(/aborted/);
    await expect(download.read()).rejects.toThrow(/aborted/);
  });

  it('downloads over https, verifying the certificate against the given authority', async () => {
    // Arrange
    const body = randomBytes(300_000);
    const base = await listen(
      createHttpsServer({ key: TEST_KEY, cert: TEST_CERT }, (_request, response) => {
        response.writeHead(200, { 'content-length': String(body.length) });
        response.end(body);
      }),
      'https',
    );

    // Act
    const trusted = await httpGet(new URL(base), { ca: TEST_CERT });
    const received = await readAll(trusted);
    const untrusted = await failureOf(httpGet(new URL(base)));

    // Assert
    expect(received.equals(body)).toBe(true);
    expect((untrusted as Error).message).toMatch(/certificate/);
  });

  it('refuses URLs other than http and https', async () => {
    // Act
    const error = await failureOf(httpGet(new URL('ftp://127.0.0.1/video.mp4')));

    // Assert
    expect(error).toBeInstanceOf(HttpDownloadError);
  });
});
