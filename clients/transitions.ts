import { FramebridgeError, UNEXPECTED_RESPONSE } from './errors';
import { type EventsOptions, type StatusEvent, statusEvents } from './events';
import { type HttpClient, segment } from './http';
import type { Sleep } from './timing';
import {
  type CancelledView,
  type CompletedResult,
  isCancelledView,
  isCompletedResult,
  isListView,
  isResultView,
  isStatusView,
  isSubmittedView,
  type JobStatus,
  type ListView,
  type ResultView,
  type StatusView,
  type SubmittedView,
  type TransitionRequest,
} from './views';
import { type WaitOptions, waitForJob } from './wait';

export interface CallOptions {
  signal?: AbortSignal;
}

export interface SubmitOptions extends CallOptions {
  /** Same key and body → the same job, never a second one: safe to resend after a timeout. */
  idempotencyKey?: string;
}

export interface RunOptions extends WaitOptions {
  idempotencyKey?: string;
}

export interface ListQuery {
  status?: JobStatus;
  /** Jobs per page (1–100, the API's default 20). The iteration still goes through every page; `break` to stop. */
  limit?: number;
  /** Start after this `next_cursor` of an earlier page. */
  cursor?: string;
}

/** The caller's jobs, newest first: iterate for jobs, or `pages()` for whole pages. Pages are fetched as they are reached. */
export interface JobList extends AsyncIterable<StatusView> {
  pages(): AsyncIterable<ListView>;
}

/** `fb.transitions`: the Pixverse 5 Transition jobs of the caller's tenant. */
export class Transitions {
  readonly #http: HttpClient;
  readonly #pause: Sleep | undefined;

  /** @internal `pause` lets tests run the waits without waiting. */
  constructor(http: HttpClient, pause?: Sleep) {
    this.#http = http;
    this.#pause = pause;
  }

  /** POST /v2/pixverse-5-transition: starts a job (QUEUED). */
  submit(body: TransitionRequest, options: SubmitOptions = {}): Promise<SubmittedView> {
    return this.#http.json(
      'POST',
      '/v2/pixverse-5-transition',
      {
        expect: [202],
        json: body,
        headers: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
        signal: options.signal,
      },
      isSubmittedView,
    );
  }

  /** GET /v2/requests/{id}/status. A FAILED job is an answer here (HTTP 422), not an error. */
  status(id: string, options: CallOptions = {}): Promise<StatusView> {
    return this.#http.json(
      'GET',
      `/v2/requests/${segment(id)}/status`,
      { expect: [200, 422], signal: options.signal },
      isStatusView,
    );
  }

  /** GET /v2/requests/{id}: the output (a fresh presigned `video_url`) once COMPLETED; `output: null` before. */
  result(id: string, options: CallOptions = {}): Promise<ResultView> {
    return this.#http.json(
      'GET',
      `/v2/requests/${segment(id)}`,
      { expect: [200, 422], signal: options.signal },
      isResultView,
    );
  }

  /** DELETE /v2/requests/{id}: the job ends FAILED `cancelled`; `note` says whether it may still be billed. */
  cancel(id: string, options: CallOptions = {}): Promise<CancelledView> {
    return this.#http.json(
      'DELETE',
      `/v2/requests/${segment(id)}`,
      { expect: [200], signal: options.signal },
      isCancelledView,
    );
  }

  /** GET /v2/requests, following `next_cursor` lazily. */
  list(query: ListQuery = {}, options: CallOptions = {}): JobList {
    const http = this.#http;
    async function* pages(): AsyncGenerator<ListView> {
      let cursor = query.cursor;
      do {
        const page: ListView = await http.json(
          'GET',
          '/v2/requests',
          { expect: [200], query: { status: query.status, limit: query.limit, cursor }, signal: options.signal },
          isListView,
        );
        yield page;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    }
    async function* jobs(): AsyncGenerator<StatusView> {
      for await (const page of pages()) yield* page.requests;
    }
    return { pages, [Symbol.asyncIterator]: () => jobs() };
  }

  /** GET /v2/requests/{id}/events: one event per status or phase change, ending after COMPLETED or FAILED. */
  events(id: string, options: EventsOptions = {}): AsyncIterable<StatusEvent> {
    return statusEvents(this.#http, id, options, this.#pause);
  }

  /** Follows a job to its end (see WaitOptions): the final status, or JobFailedError / TimeoutError. */
  wait(id: string, options: WaitOptions = {}): Promise<StatusView> {
    return waitForJob(
      {
        events: (jobId, eventOptions) => this.events(jobId, eventOptions),
        status: (jobId, statusOptions) => this.status(jobId, statusOptions),
        ...(this.#pause ? { pause: this.#pause } : {}),
      },
      id,
      options,
    );
  }

  /** Submit, wait, and read the result: the COMPLETED result with its `video_url`. */
  async run(body: TransitionRequest, options: RunOptions = {}): Promise<CompletedResult> {
    const { idempotencyKey, ...waitOptions } = options;
    const { request_id } = await this.submit(body, {
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await this.wait(request_id, waitOptions);
    const result = await this.result(request_id, options.signal ? { signal: options.signal } : {});
    if (!isCompletedResult(result)) {
      throw new FramebridgeError({
        status: 200,
        code: UNEXPECTED_RESPONSE,
        message: `Request ${request_id} completed but its result has no output`,
      });
    }
    return result;
  }
}
