import * as z from 'zod/mini';
import '../core/zodMini';

/** Whether a request that got no answer may have reached the upstream. */
export type TransportFailure = 'not-sent' | 'maybe-sent';

/** Segmind's answers are small JSON documents; anything bigger is not one of them. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Transport error codes raised before any byte of the request reached the upstream.
 * Everything else (resets, closed sockets, timeouts, aborts) may have been sent.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'HOSTNAME_MISMATCH',
]);
/** Node tags failures of these calls with `syscall`: they happen before a connection exists. */
const NOT_SENT_SYSCALLS = new Set(['connect', 'getaddrinfo']);
const MAX_CAUSE_DEPTH = 8;

/** The fields of Node and undici errors we look at; anything else is ignored. */
const transportFields = z.object({
  name: z.catch(z.optional(z.string()), undefined),
  message: z.catch(z.optional(z.string()), undefined),
  code: z.catch(z.optional(z.string()), undefined),
  syscall: z.catch(z.optional(z.string()), undefined),
  errors: z.catch(z.optional(z.array(z.unknown())), undefined),
  cause: z.optional(z.unknown()),
});

/**
 * Whether a failed fetch may have delivered the request. Looks through undici's
 * `TypeError('fetch failed')`, its `cause` chain and AggregateError's `errors` (Node's
 * happy-eyeballs connect) for a code known to happen before sending. Unknown → 'maybe-sent'.
 */
export function classifyTransportError(error: unknown): TransportFailure {
  return classifyAt(error, 0);
}

function classifyAt(error: unknown, depth: number): TransportFailure {
  if (depth > MAX_CAUSE_DEPTH || typeof error !== 'object' || error === null) return 'maybe-sent';
  const fields = transportFields.safeParse(error);
  if (!fields.success) return 'maybe-sent';
  const { name, code, syscall, errors, cause } = fields.data;
  // Our own timeout or abort may fire while the request is in flight.
  if (name === 'TimeoutError' || name === 'AbortError') return 'maybe-sent';
  if (errors !== undefined && errors.length > 0) {
    return errors.every((nested) => classifyAt(nested, depth + 1) === 'not-sent') ? 'not-sent' : 'maybe-sent';
  }
  if (code !== undefined && NOT_SENT_CODES.has(code)) return 'not-sent';
  if (syscall !== undefined && NOT_SENT_SYSCALLS.has(syscall)) return 'not-sent';
  return cause === undefined ? 'maybe-sent' : classifyAt(cause, depth + 1);
}

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)" — for messages. */
export function describeTransportError(error: unknown, depth = 0): string {
  const fields = transportFields.safeParse(error);
  if (depth > MAX_CAUSE_DEPTH || !fields.success) return String(error);
  const { name, message, code, errors, cause } = fields.data;
  const parts = [message || name || 'unknown error'];
  if (code !== undefined && !parts[0]?.includes(code)) parts[0] = `${parts[0]} (${code})`;
  if (errors !== undefined && errors.length > 0) {
    parts.push(`[${errors.map((nested) => describeTransportError(nested, depth + 1)).join('; ')}]`);
  } else if (cause !== undefined) {
    parts.push(describeTransportError(cause, depth + 1));
  }
  return parts.join(': ');
}

export type BodyRead =
  | { ok: true; text: string }
  | { ok: false; reason: 'too-large' }
  | { ok: false; reason: 'unreadable'; error: unknown };

/** An answered request: its status line, headers and (bounded) body. */
export interface Answer {
  httpStatus: number;
  headers: Headers;
  body: BodyRead;
}

/** A fetch that failed before an answer (status line) came back. */
export class NoAnswer {
  constructor(
    readonly error: unknown,
    readonly timedOut: boolean,
  ) {}
}

export interface SendRequest {
  url: string;
  method: 'GET' | 'POST';
  apiKey: string;
  timeoutMs: number;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * One request with the API key, never following redirects, its body read up to
 * MAX_BODY_BYTES. A failure before the status line comes back is a NoAnswer,
 * never a throw, so each operation decides what it means.
 */
export async function send(fetchImpl: typeof fetch, request: SendRequest): Promise<Answer | NoAnswer> {
  const signal = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  try {
    response = await fetchImpl(request.url, {
      method: request.method,
      body: request.body,
      headers: { ...request.headers, accept: 'application/json', 'x-api-key': request.apiKey },
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    return new NoAnswer(error, signal.aborted);
  }
  if (response.status >= 300 && response.status < 400) {
    // Redirects are never followed; the body is of no use.
    await response.body?.cancel().catch(() => undefined);
    return { httpStatus: response.status, headers: response.headers, body: { ok: true, text: '' } };
  }
  return { httpStatus: response.status, headers: response.headers, body: await readBoundedText(response) };
}

async function readBoundedText(response: Response): Promise<BodyRead> {
  if (response.body === null) return { ok: true, text: '' };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: 'too-large' };
      }
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    return { ok: false, reason: 'unreadable', error };
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}
