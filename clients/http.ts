import { errorFromAnswer, FramebridgeError, UNEXPECTED_RESPONSE } from './errors';

export interface FramebridgeOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000` locally or the stage URL in AWS. */
  baseUrl: string;
  /** Sent as `x-api-key` on every API call (never to the presigned upload and video URLs). */
  apiKey: string;
  /** A fetch to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  /** Statuses whose body is an answer rather than an error (e.g. 422 for a FAILED job's status). */
  expect: readonly number[];
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

/** The API's HTTP: base URL, key, JSON in and out, and error answers turned into typed errors. */
export class HttpClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;

  constructor(options: FramebridgeOptions) {
    if (!options.baseUrl) throw new TypeError('Framebridge: baseUrl is required');
    if (!options.apiKey) throw new TypeError('Framebridge: apiKey is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    // Looked up per call, and never called as a method of this object: browsers
    // refuse a fetch invoked with another `this`.
    const custom = options.fetch;
    this.#fetch = custom ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** A fetch with nothing of the API added: for presigned URLs, which must not get the key. */
  get plainFetch(): typeof fetch {
    return this.#fetch;
  }

  url(path: string, query: RequestOptions['query'] = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  /** The raw answer when its status is expected; otherwise the typed error it carries. */
  async request(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { 'x-api-key': this.#apiKey, ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const response = await this.#fetch(this.url(path, options.query), {
      method,
      headers,
      ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (options.expect.includes(response.status)) return response;
    const text = await response.text().catch(() => '');
    throw errorFromAnswer(response.status, parseJson(text) ?? text, response.headers.get('retry-after'));
  }

  /** The JSON body of an expected answer, checked by `guard` before it is typed. */
  async json<T>(
    method: string,
    path: string,
    options: RequestOptions,
    guard: (value: unknown) => value is T,
  ): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    const body = parseJson(text);
    if (!guard(body)) {
      throw new FramebridgeError({
        status: response.status,
        code: UNEXPECTED_RESPONSE,
        message: `${method} ${path} answered HTTP ${response.status} with a body this client does not understand: ${text.slice(0, 200)}`,
      });
    }
    return body;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A path segment from a caller's id: an id with `/` or `?` must not reach another route. */
export const segment = (id: string): string => encodeURIComponent(id);
