import * as z from 'zod/mini';
import '../core/zodMini';
import { SubmitOutcomeUnknownError, UpstreamExpiredError, UpstreamUnavailableError } from '../core/errors';
import {
  acceptedSubmit,
  type Exchange,
  failureError,
  type ResultAnswer,
  requestIdSchema,
  resultFrom,
  type StatusAnswer,
  statusFrom,
} from './segmindAnswers';
import { summarizeForMessage } from './segmindOutput';
import { type Answer, classifyTransportError, describeTransportError, NoAnswer, send } from './segmindTransport';

export type { UpstreamStatus } from '../core/contract/upstreamStatus';
export { parseResetAt } from './segmindAnswers';
export { classifyTransportError, type TransportFailure } from './segmindTransport';

export const SEGMIND_MODEL_PATH = '/v2/pixverse-5-transition';

export interface SegmindClientOptions {
  /** e.g. `https://api.segmind.com` or `http://127.0.0.1:PORT`; a trailing slash is ignored. */
  baseUrl: string;
  /** Resolved lazily (Secrets Manager in AWS) and called per request: the caller caches. */
  apiKey: () => Promise<string>;
  /** Per request, body included. @default 20_000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetchImpl?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 20_000;

/**
 * Answers a gateway gives when it reached the upstream but lost its answer: 502
 * and 504, and Cloudflare's 520 (unknown answer) and 524 (timed out waiting).
 * To a submit they say nothing about whether Segmind accepted (and billed) the job.
 */
const GATEWAY_LOST_ANSWER = new Set([502, 504, 520, 524]);

const optionsSchema = z.object({
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'baseUrl must be an absolute http(s) URL' })
    .check(z.refine((url) => !/[?#]/.test(url), 'baseUrl must not hold a query or fragment')),
  timeoutMs: z._default(z.number().check(z.int()).check(z.positive()).check(z.lte(900_000)), DEFAULT_TIMEOUT_MS),
});

export class SegmindClient {
  readonly #baseUrl: string;
  readonly #apiKey: () => Promise<string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: SegmindClientOptions) {
    const parsed = optionsSchema.safeParse({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs });
    if (!parsed.success) {
      throw new TypeError(`Invalid SegmindClientOptions: ${z.prettifyError(parsed.error)}`);
    }
    this.#baseUrl = parsed.data.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = parsed.data.timeoutMs;
    this.#apiKey = options.apiKey;
    // Resolved at call time so a fetch replaced after construction is still used.
    this.#fetch = options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  /**
   * Starts a paid job. Throws SubmitOutcomeUnknownError whenever the upstream may have
   * accepted it without us learning the request id — a 502 or 504, a timeout or a reset
   * after sending: Segmind has no idempotency, so a retry could bill the user twice.
   * 429, the other 5xx and failures before sending are retryable.
   */
  async submit(body: Record<string, unknown>): Promise<{ requestId: string; status: 'QUEUED' }> {
    const exchange = await this.#exchange('the submit');
    const answer = await send(this.#fetch, {
      url: `${this.#baseUrl}${SEGMIND_MODEL_PATH}`,
      method: 'POST',
      apiKey: exchange.apiKey,
      timeoutMs: exchange.timeoutMs,
      body: JSON.stringify(body),
      // No pooled socket outlives a submit: one gone stale (e.g. across a frozen Lambda)
      // fails the next submit with a reset, which we would have to treat as possibly sent.
      headers: { 'content-type': 'application/json', connection: 'close' },
    });
    if (answer instanceof NoAnswer) throw unansweredSubmitError(answer, exchange);
    const { httpStatus } = answer;
    if (httpStatus >= 200 && httpStatus < 300) return acceptedSubmit(answer, exchange);
    if (GATEWAY_LOST_ANSWER.has(httpStatus)) {
      throw new SubmitOutcomeUnknownError(
        `A gateway answered the submit with HTTP ${httpStatus}: Segmind may have accepted and billed the job behind it, so it is not retried.`,
      );
    }
    if (httpStatus >= 400 && httpStatus < 600) throw failureError(answer, exchange);
    throw new SubmitOutcomeUnknownError(
      `Segmind answered the submit with HTTP ${httpStatus}${httpStatus < 400 ? ' (redirects are not followed)' : ''}; it may have accepted and billed the job, so it is not retried.`,
    );
  }

  /** Reads a job's state. Every failure here is safe to retry except 404 (record expired). */
  async status(requestId: string): Promise<StatusAnswer> {
    const id = requireRequestId(requestId);
    const exchange = await this.#exchange(`the status of Segmind request ${id}`, id);
    return statusFrom(await this.#read(`/v2/requests/${encodeURIComponent(id)}/status`, exchange), exchange);
  }

  /** Reads a job's outcome; when COMPLETED, `videoUrl` is the absolute URL of the MP4. */
  async result(requestId: string): Promise<ResultAnswer> {
    const id = requireRequestId(requestId);
    const exchange = await this.#exchange(`the result of Segmind request ${id}`, id);
    return resultFrom(await this.#read(`/v2/requests/${encodeURIComponent(id)}`, exchange), exchange);
  }

  async #exchange(what: string, requestId?: string): Promise<Exchange> {
    const apiKey = (await this.#apiKey()).trim();
    // fetch would quote an invalid header value in its error message: check it ourselves.
    if (!/^[\x20-\x7e]+$/.test(apiKey)) {
      throw new TypeError('The Segmind API key is empty or holds characters not allowed in an HTTP header');
    }
    return { what, requestId, apiKey, timeoutMs: this.#timeoutMs };
  }

  /** GET with the read-side mapping: anything but a usable answer is retryable. */
  async #read(path: string, exchange: Exchange): Promise<Answer> {
    const answer = await send(this.#fetch, {
      url: `${this.#baseUrl}${path}`,
      method: 'GET',
      apiKey: exchange.apiKey,
      timeoutMs: exchange.timeoutMs,
    });
    if (answer instanceof NoAnswer) {
      const reason = answer.timedOut
        ? `no answer within ${exchange.timeoutMs} ms`
        : describeTransportError(answer.error);
      throw new UpstreamUnavailableError(`Could not read ${exchange.what}: ${reason}`, { cause: answer.error });
    }
    const { httpStatus } = answer;
    if (httpStatus === 404) {
      throw new UpstreamExpiredError(
        `Segmind does not know request ${exchange.requestId}: the id is unknown or its record expired (Segmind keeps request records for 1 hour after submission).`,
      );
    }
    if (httpStatus === 422 || (httpStatus >= 200 && httpStatus < 300)) return answer;
    if (httpStatus >= 400 && httpStatus < 600) throw failureError(answer, exchange);
    throw new UpstreamUnavailableError(`Segmind answered ${exchange.what} with unexpected HTTP ${httpStatus}`, {
      httpStatus,
    });
  }
}

/**
 * A submit that got no answer: retryable only when the request is known not to
 * have left (connection refused, DNS), otherwise it may have been accepted and billed.
 */
function unansweredSubmitError(answer: NoAnswer, exchange: Exchange): Error {
  if (!answer.timedOut && classifyTransportError(answer.error) === 'not-sent') {
    return new UpstreamUnavailableError(
      `Could not reach Segmind for the submit (the request was not sent, retrying is safe): ${describeTransportError(answer.error)}`,
      { cause: answer.error },
    );
  }
  const failure = answer.timedOut
    ? `Segmind did not answer the submit within ${exchange.timeoutMs} ms`
    : `The submit to Segmind failed after it may have been sent (${describeTransportError(answer.error)})`;
  return new SubmitOutcomeUnknownError(
    `${failure}; Segmind may have accepted and billed the job, so it is not retried.`,
    { cause: answer.error },
  );
}

function requireRequestId(requestId: string): string {
  const parsed = requestIdSchema.safeParse(requestId);
  if (!parsed.success) {
    throw new TypeError(
      `Invalid Segmind request id ${summarizeForMessage(requestId, 60)}: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}
