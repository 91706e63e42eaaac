import { describe, expect, it } from 'vitest';
import { readSse, type SseItem, SseParser } from '../../../clients/sse';
import { sseAnswer } from './fakeFetch';

/** Everything a parser makes of `chunks`, fed one after the other. */
function parse(chunks: readonly string[]): SseItem[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

const stream = [
  ': heartbeat\n\n',
  'id: 17\nevent: status\ndata: {"status":"QUEUED"}\n\n',
  'retry: 2500\n',
  'id: 28\r\nevent: status\r\ndata: {"status":\r\ndata:"COMPLETED"}\r\n\r\n',
  'data: no type\rdata:second line\r\r',
].join('');

const expected: SseItem[] = [
  { kind: 'comment', text: 'heartbeat' },
  { kind: 'event', id: '17', event: 'status', data: '{"status":"QUEUED"}' },
  { kind: 'retry', ms: 2500 },
  { kind: 'event', id: '28', event: 'status', data: '{"status":\n"COMPLETED"}' },
  // The id persists; an event without a type is a `message`; a leading space is dropped only once.
  { kind: 'event', id: '28', event: 'message', data: 'no type\nsecond line' },
];

describe('Client: SseParser', () => {
  it('reads events, ids, comments and retry with LF, CRLF and CR line ends', () => {
    expect(parse([stream])).toEqual(expected);
  });

  it('gives the same items however the stream is cut into chunks', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parse([stream.slice(0, cut), stream.slice(cut)]), `cut at ${cut}`).toEqual(expected);
    }
    expect(parse([...stream])).toEqual(expected);
  });

  it('treats a CR at the end of a chunk and an LF opening the next as one line end, even with empty chunks between', () => {
    const items = parse(['data: a\r', '', '\n\r', '\n']);

    expect(items).toEqual([{ kind: 'event', id: '', event: 'message', data: 'a' }]);
  });

  it('dispatches nothing for a block without data, keeps its id, and ignores unknown fields and ids holding NUL', () => {
    const items = parse(['id: 5\nevent: status\n\n', 'foo: bar\nid: 6\0\ndata\n\n']);

    expect(items).toEqual([{ kind: 'event', id: '5', event: 'message', data: '' }]);
  });

  it('drops a block the stream ended in the middle of', async () => {
    const items: SseItem[] = [];

    for await (const item of readSse(sseAnswer(['id: 1\ndata: whole\n\n', 'id: 2\ndata: cut off']).body!)) {
      items.push(item);
    }

    expect(items).toEqual([{ kind: 'event', id: '1', event: 'message', data: 'whole' }]);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: café → ✓\n\n');
    const items: SseItem[] = [];

    for await (const item of readSse(sseAnswer([bytes.slice(0, 10), bytes.slice(10, 13), bytes.slice(13)]).body!)) {
      items.push(item);
    }

    expect(items).toEqual([{ kind: 'event', id: '', event: 'message', data: 'café → ✓' }]);
  });

  it('cancels the body when the reader stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new TextEncoder().encode(': beat\n\n')),
      cancel: () => {
        cancelled = true;
      },
    });

    for await (const item of readSse(body)) {
      expect(item.kind).toBe('comment');
      break;
    }

    expect(cancelled).toBe(true);
  });
});
