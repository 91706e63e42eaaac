import { FramebridgeError, UNEXPECTED_RESPONSE } from './errors';
import { type HttpClient, segment } from './http';
import { readSse } from './sse';
import { type Sleep, sleep } from './timing';
import { isStatusView, isTerminal, type StatusView } from './views';

export interface EventsOptions {
  /** Resume after this event (its `id`): the server skips what the client was already sent. */
  lastEventId?: string;
  signal?: AbortSignal;
}

/** One `status` event: the status endpoint's body, with the event's id to resume from. */
export interface StatusEvent {
  id: string;
  status: StatusView;
}

/** Wait before reconnecting, unless the server sent `retry:`. */
const DEFAULT_RECONNECT_MS = 1000;
/** Connections in a row that may break mid-stream before the error is the caller's. */
const MAX_BROKEN_STREAMS = 3;

/**
 * The job's progress as it happens: the current state first, then one event
 * per change, ending after COMPLETED or FAILED. A stream that ends without a
 * terminal event (the server's own time limit) or breaks mid-way is reopened
 * with `Last-Event-ID`, so nothing is seen twice. An error answer (404 for an
 * unknown id or another tenant's, 401, …) throws its typed error.
 */
export async function* statusEvents(
  http: HttpClient,
  id: string,
  options: EventsOptions = {},
  pause: Sleep = sleep,
): AsyncGenerator<StatusEvent> {
  const { signal } = options;
  let lastEventId = options.lastEventId;
  let reconnectMs = DEFAULT_RECONNECT_MS;
  let broken = 0;
  for (;;) {
    const response = await http.request('GET', `/v2/requests/${segment(id)}/events`, {
      expect: [200, 204],
      headers: { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal,
    });
    // 204: the client already has the terminal event; there is nothing more to send.
    if (response.status === 204 || !response.body) return;
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream')) {
      await response.body.cancel().catch(() => undefined);
      throw new FramebridgeError({
        status: response.status,
        code: UNEXPECTED_RESPONSE,
        message: `GET /v2/requests/${id}/events answered ${type || 'no content type'}, not text/event-stream`,
      });
    }
    try {
      for await (const item of readSse(response.body, signal)) {
        if (item.kind === 'retry') reconnectMs = item.ms;
        if (item.kind !== 'event' || item.event !== 'status') continue;
        const status = parseStatus(item.data);
        if (item.id) lastEventId = item.id;
        broken = 0;
        yield { id: item.id, status };
        if (isTerminal(status)) return;
      }
    } catch (error) {
      // A dropped connection is resumed like a closed one; anything else is the caller's.
      if (signal?.aborted || error instanceof FramebridgeError || ++broken >= MAX_BROKEN_STREAMS) throw error;
    }
    await pause(reconnectMs, signal);
  }
}

function parseStatus(data: string): StatusView {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    value = undefined;
  }
  if (!isStatusView(value)) {
    throw new FramebridgeError({
      status: 200,
      code: UNEXPECTED_RESPONSE,
      message: `A status event this client does not understand: ${data.slice(0, 200)}`,
    });
  }
  return value;
}
