import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CallbackRefusedError,
  CallbackTimeoutError,
  guardedLookup,
  guardedPost,
} from '../../../lambdas/webhooks/guardedPost';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let port: number;
let received: Received[];
let answer: (request: IncomingMessage, response: ServerResponse) => void;

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  answer = (_request, response) => response.writeHead(204).end();
});

/** A resolver for made-up names: only what the test says, and a count of lookups. */
function fakeDns(answers: Record<string, LookupAddress[]>) {
  const lookups: string[] = [];
  return {
    lookups,
    resolve: async (hostname: string) => {
      lookups.push(hostname);
      const found = answers[hostname];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return found;
    },
  };
}

const loopback: LookupAddress[] = [{ address: '127.0.0.1', family: 4 }];
const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_1' };

describe('Function: guardedPost', () => {
  it('POSTs the body and headers, connecting to the address its own lookup resolved', async () => {
    // Arrange: 'receiver.test' exists only in the fake resolver, so reaching the server proves the hook is used.
    const dns = fakeDns({ 'receiver.test': loopback });

    // Act
    const result = await guardedPost(`http://receiver.test:${port}/hooks/a?x=1`, '{"a":1}', headers, {
      allowPrivate: true,
      resolve: dns.resolve,
    });

    // Assert
    expect(result).toEqual({ status: 204 });
    expect(dns.lookups).toEqual(['receiver.test']);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/hooks/a?x=1', body: '{"a":1}' });
    expect(received[0]?.headers).toMatchObject({ ...headers, 'content-length': '7' });
  });

  it('refuses a host that resolves to a non-public address, without connecting (DNS rebinding)', async () => {
    // Arrange: a public-looking name whose answer at connect time is loopback.
    const dns = fakeDns({ 'rebind.example.com': loopback });

    // Act
    const post = guardedPost(`https://rebind.example.com:${port}/`, '{}', headers, {
      allowPrivate: false,
      resolve: dns.resolve,
    });

    // Assert
    await expect(post).rejects.toBeInstanceOf(CallbackRefusedError);
    await expect(post).rejects.toThrow(/resolves to a non-public address \(loopback\)/);
    expect(dns.lookups).toEqual(['rebind.example.com']);
    expect(received).toHaveLength(0);
  });

  it('checks the address at every connection, not once', async () => {
    // Arrange: the answer flips from loopback-allowed to metadata between two posts.
    let answerNow: LookupAddress[] = loopback;
    const resolve = async () => answerNow;
    await guardedPost(`http://flip.test:${port}/`, '{}', headers, { allowPrivate: true, resolve });

    // Act
    answerNow = [{ address: '169.254.169.254', family: 4 }];
    const second = guardedPost(`https://flip.test:${port}/`, '{}', headers, { allowPrivate: false, resolve });

    // Assert
    await expect(second).rejects.toThrow(/link-local \(cloud metadata\)/);
    expect(received).toHaveLength(1);
  });

  it('refuses a name with any non-public address among public ones', async () => {
    const dns = fakeDns({
      'mixed.example.com': [
        { address: '93.184.216.34', family: 4 },
        { address: '::ffff:10.0.0.1', family: 6 },
      ],
    });

    const post = guardedPost('https://mixed.example.com/', '{}', headers, {
      allowPrivate: false,
      resolve: dns.resolve,
    });

    await expect(post).rejects.toThrow(/IPv4-mapped private/);
  });

  it.each([
    ['http://hooks.example.com/', /must be an https:\/\/ URL/],
    ['https://127.0.0.1:1/', /loopback/],
    ['https://[::ffff:127.0.0.1]:1/', /loopback/],
    ['https://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['https://localhost:1/', /loopback name/],
  ])('refuses %s before any lookup or connection', async (url, reason) => {
    const dns = fakeDns({});

    const post = guardedPost(url, '{}', headers, { allowPrivate: false, resolve: dns.resolve });

    await expect(post).rejects.toBeInstanceOf(CallbackRefusedError);
    await expect(post).rejects.toThrow(reason);
    expect(dns.lookups).toEqual([]);
    expect(received).toHaveLength(0);
  });

  it('does not follow a redirect: it reports the 3xx and where it pointed', async () => {
    // Arrange
    answer = (request, response) => {
      if (request.url === '/moved') response.writeHead(301, { location: '/elsewhere' }).end();
      else response.writeHead(200).end('followed');
    };

    // Act
    const result = await guardedPost(`http://127.0.0.1:${port}/moved`, '{}', headers, { allowPrivate: true });

    // Assert
    expect(result).toEqual({ status: 301, location: '/elsewhere' });
    expect(received.map((r) => r.url)).toEqual(['/moved']);
  });

  it('gives up with CallbackTimeoutError when no answer comes within the deadline', async () => {
    // Arrange: the server reads the request and never answers.
    answer = () => undefined;
    const started = Date.now();

    // Act
    const post = guardedPost(`http://127.0.0.1:${port}/slow`, '{}', headers, { allowPrivate: true, timeoutMs: 300 });

    // Assert
    await expect(post).rejects.toBeInstanceOf(CallbackTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports any status, the answer body unread', async () => {
    answer = (_request, response) => response.writeHead(500).end('x'.repeat(1_000_000));

    await expect(guardedPost(`http://127.0.0.1:${port}/`, '{}', headers, { allowPrivate: true })).resolves.toEqual({
      status: 500,
    });
  });

  it('rejects with the connection error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const post = guardedPost(`http://127.0.0.1:${closedPort}/`, '{}', headers, { allowPrivate: true });

    await expect(post).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('Function: guardedLookup', () => {
  const lookupWith = (answers: LookupAddress[], allowPrivate: boolean, options: { all?: boolean; family?: number }) =>
    new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) => {
      guardedLookup(async () => answers, allowPrivate)('host.test', options as never, (error, address, family) =>
        resolve({ error, address, family }),
      );
    });

  it('answers every checked address when the socket asks for all (happy eyeballs)', async () => {
    const answers = [
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '1.1.1.1', family: 4 },
    ];

    expect(await lookupWith(answers, false, { all: true })).toMatchObject({ error: null, address: answers });
  });

  it('answers the first address of the family asked for otherwise', async () => {
    const answers = [
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '1.1.1.1', family: 4 },
    ];

    expect(await lookupWith(answers, false, { family: 4 })).toMatchObject({
      error: null,
      address: '1.1.1.1',
      family: 4,
    });
    expect(await lookupWith(answers, false, {})).toMatchObject({ address: '2606:4700:4700::1111', family: 6 });
  });

  it('fails ENOTFOUND when no address of the family exists, and refuses private ones', async () => {
    const notFound = await lookupWith([{ address: '1.1.1.1', family: 4 }], false, { family: 6 });
    const refused = await lookupWith([{ address: 'fd00:ec2::254', family: 6 }], false, { all: true });

    expect(notFound.error).toMatchObject({ code: 'ENOTFOUND' });
    expect(refused.error).toBeInstanceOf(CallbackRefusedError);
    expect(refused.error?.message).toContain('unique local');
  });
});
