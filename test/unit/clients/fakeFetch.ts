import type { StatusView } from 'framebridge/client';

/** One request the client under test sent. */
export interface SentRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array | undefined;
  signal: AbortSignal | undefined;
}

/** A fetch that answers from `answer` and records every request, in order. */
export function fakeFetch(answer: (request: SentRequest, index: number) => Response | Promise<Response>) {
  const requests: SentRequest[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request: SentRequest = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: init?.body ? new Uint8Array(await new Response(init.body).arrayBuffer()) : undefined,
      signal: init?.signal ?? undefined,
    };
    requests.push(request);
    init?.signal?.throwIfAborted();
    return answer(request, requests.length - 1);
  };
  return { fetch, requests };
}

export const jsonAnswer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** An event-stream answer sending `chunks` as they are (strings are UTF-8 encoded), then closing or failing. */
export function sseAnswer(chunks: readonly (string | Uint8Array)[], options: { failAtEnd?: boolean } = {}) {
  const encoder = new TextEncoder();
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[index++];
      if (chunk !== undefined) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      else if (options.failAtEnd) controller.error(new TypeError('terminated'));
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
}

export function statusBody(status: StatusView['status'], phase: StatusView['phase'], extra: Partial<StatusView> = {}) {
  return {
    request_id: 'REQ1',
    status,
    phase,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:01.000Z',
    ...extra,
  } satisfies StatusView;
}

export const statusEvent = (id: number, view: StatusView) =>
  `id: ${id}\nevent: status\ndata: ${JSON.stringify(view)}\n\n`;

/** A pause that returns at once and remembers what it was asked to wait. */
export function recordingPause() {
  const waits: number[] = [];
  const pause = async (ms: number, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    waits.push(ms);
  };
  return { pause, waits };
}
