import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { blockedRangeOf, checkCallbackUrl, ipLiteralOf } from '../core/urlGuard';

/**
 * A POST to a URL a client gave us, guarded against SSRF: the URL is checked
 * (scheme, credentials, literal addresses) and every address its host resolves
 * to is checked in the socket's own DNS lookup, at connect time — the address
 * connected to is the address checked, so DNS rebinding gets nowhere. No
 * redirects are followed (node's http never does), no proxy is used, and one
 * deadline covers lookup, connect, TLS and the response headers.
 */

export interface GuardedPostOptions {
  /** Plain http and non-public addresses allowed (`FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS=1`, local only). */
  readonly allowPrivate: boolean;
  /** Deadline for the whole exchange, up to the response headers. @default 15000 */
  readonly timeoutMs?: number;
  /** Resolves a host name to every address (tests). @default dns.lookup with `all: true` */
  readonly resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

export interface GuardedPostAnswer {
  readonly status: number;
  /** The Location header of a redirect, reported but never followed. */
  readonly location?: string;
}

/** The URL or an address its host resolves to is not allowed. Retrying cannot help. */
export class CallbackRefusedError extends Error {
  override readonly name = 'CallbackRefusedError';
}

/** No answer within the deadline. */
export class CallbackTimeoutError extends Error {
  override readonly name = 'CallbackTimeoutError';
}

const DEFAULT_TIMEOUT_MS = 15_000;

const systemResolve = (hostname: string): Promise<LookupAddress[]> =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/**
 * The socket's lookup: resolves, refuses the host if any of its addresses is
 * non-public (a mixed answer is as suspicious as a private one), and answers in
 * the shape the socket asked for (`all` with happy eyeballs, one address otherwise).
 */
export function guardedLookup(
  resolve: (hostname: string) => Promise<LookupAddress[]>,
  allowPrivate: boolean,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answers) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = answers.filter((answer) => family === undefined || answer.family === family);
        const first = addresses[0];
        if (!first) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (!allowPrivate) {
          const range = addresses.map((answer) => blockedRangeOf(answer.address)).find(Boolean);
          if (range) {
            callback(new CallbackRefusedError(`The callback host resolves to a non-public address (${range})`), '', 0);
            return;
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

export function guardedPost(
  rawUrl: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  options: GuardedPostOptions,
): Promise<GuardedPostAnswer> {
  const checked = checkCallbackUrl(rawUrl, { allowPrivate: options.allowPrivate });
  if (!checked.ok) return Promise.reject(new CallbackRefusedError(`The callback URL ${checked.reason}`));
  const { url } = checked;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const send = url.protocol === 'https:' ? https.request : http.request;
  const literal = ipLiteralOf(url.hostname);

  return new Promise<GuardedPostAnswer>((resolve, reject) => {
    const request = send({
      protocol: url.protocol,
      hostname: literal ?? url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      // A fresh connection each time: a pooled socket would skip the lookup check.
      agent: false,
      lookup: guardedLookup(options.resolve ?? systemResolve, options.allowPrivate),
    });
    const deadline = setTimeout(() => {
      request.destroy(new CallbackTimeoutError(`No answer from the callback URL within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('response', (response) => {
      clearTimeout(deadline);
      const location = response.headers.location;
      // The status is the answer; the body is not read (and a reset while dropping it does not matter).
      response.on('error', () => undefined);
      response.destroy();
      resolve({ status: response.statusCode ?? 0, ...(location ? { location } : {}) });
    });
    request.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    request.end(body);
  });
}
