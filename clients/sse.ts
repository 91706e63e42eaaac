/*
 * A server-sent events parser after the HTML standard's "event stream
 * interpretation": fetch-based, because EventSource cannot send `x-api-key`.
 * It takes text in chunks of any size (a line, a field name or a CRLF may be
 * split across chunks) and hands out what each complete block means.
 */

/** One dispatched event. `id` is the stream's last event id once this event arrived (it persists across events). */
export interface SseEvent {
  kind: 'event';
  id: string;
  event: string;
  data: string;
}

/** A comment line (`: heartbeat`): the server is alive but has nothing to say. */
export interface SseComment {
  kind: 'comment';
  text: string;
}

/** A `retry:` field: the reconnection delay the server asks for, in ms. */
export interface SseRetry {
  kind: 'retry';
  ms: number;
}

export type SseItem = SseEvent | SseComment | SseRetry;

export class SseParser {
  #buffer = '';
  /** The previous chunk ended in CR: an LF opening the next one belongs to that line end. */
  #pendingCr = false;
  #lastEventId = '';
  #eventType = '';
  #data: string[] = [];

  /** Feeds decoded text; answers what the complete lines in it mean, in order. */
  push(chunk: string): SseItem[] {
    let text = chunk;
    if (this.#pendingCr && text !== '') {
      if (text.startsWith('\n')) text = text.slice(1);
      this.#pendingCr = false;
    }
    this.#buffer += text;
    const items: SseItem[] = [];
    for (;;) {
      const end = this.#buffer.search(/[\r\n]/);
      if (end === -1) break;
      const line = this.#buffer.slice(0, end);
      let next = end + 1;
      if (this.#buffer[end] === '\r') {
        if (end + 1 === this.#buffer.length) this.#pendingCr = true;
        else if (this.#buffer[end + 1] === '\n') next = end + 2;
      }
      this.#buffer = this.#buffer.slice(next);
      const item = this.#line(line);
      if (item) items.push(item);
    }
    return items;
  }

  /** The stream ended: a block without its closing blank line is dropped, as the standard says. */
  end(): void {
    this.#buffer = '';
    this.#data = [];
    this.#eventType = '';
  }

  #line(line: string): SseItem | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return { kind: 'comment', text: line.slice(1).replace(/^ /, '') };
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    switch (field) {
      case 'event':
        this.#eventType = value;
        return undefined;
      case 'data':
        this.#data.push(value);
        return undefined;
      case 'id':
        // An id holding NUL is ignored: it could not be sent back as a header.
        if (!value.includes('\0')) this.#lastEventId = value;
        return undefined;
      case 'retry':
        return /^\d+$/.test(value) ? { kind: 'retry', ms: Number(value) } : undefined;
      default:
        return undefined;
    }
  }

  #dispatch(): SseEvent | undefined {
    const data = this.#data;
    const event = this.#eventType || 'message';
    this.#data = [];
    this.#eventType = '';
    // A block with no data line dispatches nothing (it may still have set the id).
    if (data.length === 0) return undefined;
    return { kind: 'event', id: this.#lastEventId, event, data: data.join('\n') };
  }
}

/**
 * The items of an event stream body, decoded as UTF-8 across chunk boundaries.
 * Stopping the iteration (or `signal`) cancels the body, which closes the connection.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseItem> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const cancel = () => {
    reader.cancel(signal?.reason).catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    parser.end();
    signal?.throwIfAborted();
  } finally {
    signal?.removeEventListener('abort', cancel);
    cancel();
    reader.releaseLock();
  }
}
