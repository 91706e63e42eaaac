import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { errorBodySchema, statusViewSchema } from '../../lambdas/core/apiViews';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { localApi } from './localApi';

/*
 * GET /v2/requests/{id}/events through the local API server, which runs the
 * same streaming handler Lambda runs behind API Gateway's STREAM mode.
 */

const KEY = 'sse-key';
const OTHER_KEY = 'sse-other-key';
const UNKNOWN_ID = '01JQ00000000000000000000ZZ';
/** The emulator keeps a job with this in its prompt PROCESSING until it is cancelled. */
const NEVER_FINISH = '[never-finishes]';
const HEARTBEAT_MS = 500;

/** One SSE frame: an event (id, event, data) or a comment. */
interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

function parseFrame(block: string): Frame {
  const frame: Frame = {};
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === '') frame.comment = value;
    else if (name === 'id' || name === 'event' || name === 'data') frame[name] = value;
  }
  return frame;
}

/** An open event stream: its answer, its frames as they arrive, and a way to hang up. */
interface EventStream {
  response: Response;
  /** The next frame, or undefined once the server ended the stream. */
  next: () => Promise<Frame | undefined>;
  hangUp: () => void;
}

describe('E2E: live progress over server-sent events, on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let frameUris: { first_frame_url: string; last_frame_url: string };
  const running: string[] = [];

  const { api, uploadFrame } = localApi(() => stack.endpoints.apiUrl, KEY);

  async function submit(prompt: string): Promise<string> {
    const answer = await api('/v2/pixverse-5-transition', { body: { prompt, quality: '360p', ...frameUris } });
    expect(answer.status).toBe(202);
    const id = String(answer.body.request_id);
    if (prompt.includes(NEVER_FINISH)) running.push(id);
    return id;
  }

  async function waitForPhase(id: string, phase: string) {
    for (let attempt = 0; attempt < 300; attempt++) {
      const { body } = await api(`/v2/requests/${id}/status`);
      if (body.phase === phase) return body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`request ${id} never reached phase ${phase}`);
  }

  async function openEvents(
    id: string,
    options: { key?: string; lastEventId?: string; query?: string } = {},
  ): Promise<EventStream> {
    const hangUp = new AbortController();
    const response = await fetch(`${stack.endpoints.apiUrl}/v2/requests/${id}/events${options.query ?? ''}`, {
      headers: {
        'x-api-key': options.key ?? KEY,
        accept: 'text/event-stream',
        ...(options.lastEventId === undefined ? {} : { 'last-event-id': options.lastEventId }),
      },
      signal: hangUp.signal,
    });
    // Taken on the first read, so that a refusal's JSON body stays readable.
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    const decoder = new TextDecoder();
    let buffered = '';
    const next = async (): Promise<Frame | undefined> => {
      reader ??= response.body?.getReader();
      while (!buffered.includes('\n\n')) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return undefined;
        buffered += decoder.decode(chunk.value, { stream: true });
      }
      const end = buffered.indexOf('\n\n');
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      return parseFrame(block);
    };
    return { response, next, hangUp: () => hangUp.abort() };
  }

  /** The next status event, skipping heartbeats; undefined when the stream ended or `withinMs` passed. */
  async function nextEvent(stream: EventStream, withinMs = 15_000): Promise<Frame | undefined> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), deadline - Date.now()));
      const frame = await Promise.race([stream.next(), timeout]);
      if (frame === 'timeout' || frame === undefined) return undefined;
      if (frame.event) return frame;
    }
    return undefined;
  }

  /** Every frame until the server ends the stream. */
  async function readToEnd(stream: EventStream): Promise<{ frames: Frame[]; endedMsAfterLast: number }> {
    const frames: Frame[] = [];
    let lastAt = Date.now();
    for (let frame = await stream.next(); frame; frame = await stream.next()) {
      frames.push(frame);
      lastAt = Date.now();
    }
    return { frames, endedMsAfterLast: Date.now() - lastAt };
  }

  const streamFunctionUsage = () =>
    Object.entries(stack.lambdaUsage()).find(([name]) => name.includes('StreamEventsFunction'))?.[1]?.invocations ?? 0;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-sse-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [KEY, OTHER_KEY],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 2,
        scenario: (request) =>
          String(request.prompt ?? '').includes(NEVER_FINISH) ? { neverFinish: true } : undefined,
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      lambdaEnvironment: { FRAMEBRIDGE_JOB_POLL_MS: '100', FRAMEBRIDGE_EVENTS_HEARTBEAT_MS: String(HEARTBEAT_MS) },
    });
    frameUris = { first_frame_url: await uploadFrame('first.png'), last_frame_url: await uploadFrame('last.png') };
  });

  afterAll(async () => {
    for (const id of running) await api(`/v2/requests/${id}`, { method: 'DELETE' }).catch(() => undefined);
    // Let the cancellations' own work (events, tails) end before the stack goes.
    await stack?.idle();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  describe('a job that completes', () => {
    let id: string;
    let events: Frame[];
    let stream: EventStream;
    let endedMsAfterLast: number;

    beforeAll(async () => {
      id = await submit('sunrise over the bay');
      stream = await openEvents(id);
      const read = await readToEnd(stream);
      events = read.frames.filter((frame) => frame.event);
      endedMsAfterLast = read.endedMsAfterLast;
    }, 60_000);

    it('answers 200 text/event-stream that no cache keeps', () => {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers.get('cache-control')).toBe('no-cache');
    });

    it('sends one status event per change, in order from QUEUED through PROCESSING to COMPLETED', () => {
      const bodies = events.map((frame) => z.strictObject(statusViewSchema.shape).parse(JSON.parse(frame.data ?? '')));
      const changes = bodies.map((body) => `${body.status}/${body.phase}`);

      expect(events.every((frame) => frame.event === 'status')).toBe(true);
      expect(bodies.every((body) => body.request_id === id)).toBe(true);
      // Each event is a change: no two neighbours alike.
      expect(changes.filter((change, index) => change === changes[index - 1])).toEqual([]);
      const statuses = bodies.map((body) => body.status).filter((status, index, all) => status !== all[index - 1]);
      expect(statuses).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
      expect(changes[0]).toBe('QUEUED/queued');
      expect(changes).toContain('PROCESSING/generating');
      expect(changes.at(-1)).toBe('COMPLETED/completed');
    });

    it('numbers events with strictly increasing decimal ids', () => {
      const ids = events.map((frame) => frame.id ?? '');

      expect(ids.every((eventId) => /^\d+$/.test(eventId))).toBe(true);
      for (let index = 1; index < ids.length; index++) {
        expect(BigInt(ids[index] ?? '0')).toBeGreaterThan(BigInt(ids[index - 1] ?? '0'));
      }
    });

    it('ends its last event with exactly the status endpoint body, and closes right after it', async () => {
      const status = await api(`/v2/requests/${id}/status`);

      expect(JSON.parse(events.at(-1)?.data ?? '')).toEqual(status.body);
      expect(endedMsAfterLast).toBeLessThan(1000);
    });

    it('resumes from Last-Event-ID: a client that saw an earlier event gets only the terminal one', async () => {
      const earlier = events.at(-2)?.id ?? '';

      const resumed = await readToEnd(await openEvents(id, { lastEventId: earlier }));

      expect(resumed.frames.map((frame) => frame.id)).toEqual([events.at(-1)?.id]);
    });

    it('takes last_event_id from the query too, and tells a client that has the terminal event 204', async () => {
      const last = events.at(-1)?.id ?? '';

      const byHeader = await openEvents(id, { lastEventId: last });
      const byQuery = await openEvents(id, { query: `?last_event_id=${last}` });

      expect(byHeader.response.status).toBe(204);
      expect(byQuery.response.status).toBe(204);
    });
  });

  describe('a job still running', () => {
    let id: string;

    beforeAll(async () => {
      id = await submit(`a long one ${NEVER_FINISH}`);
      await waitForPhase(id, 'generating');
    }, 60_000);

    it('sends the current state first, then only heartbeats while nothing changes', async () => {
      const stream = await openEvents(id);
      try {
        const first = await stream.next();
        const second = await stream.next();

        expect(first?.event).toBe('status');
        expect(JSON.parse(first?.data ?? '')).toMatchObject({
          request_id: id,
          status: 'PROCESSING',
          phase: 'generating',
        });
        expect(second).toEqual({ comment: 'heartbeat' });
      } finally {
        stream.hangUp();
      }
    });

    it('skips what a reconnecting client has (header or query): no status event, heartbeats only', async () => {
      const first = await openEvents(id);
      const seen = await nextEvent(first);
      first.hangUp();

      for (const options of [{ lastEventId: seen?.id }, { query: `?last_event_id=${seen?.id}` }]) {
        const again = await openEvents(id, options);
        try {
          expect(again.response.status).toBe(200);
          expect(await nextEvent(again, 3 * HEARTBEAT_MS)).toBeUndefined();
        } finally {
          again.hangUp();
        }
      }
    });

    it('stops the handler when the client goes away', async () => {
      // The earlier tests' streams have ended by now (they hung up).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = streamFunctionUsage();
      const stream = await openEvents(id);
      await nextEvent(stream);
      await new Promise((resolve) => setTimeout(resolve, 3 * HEARTBEAT_MS));
      // Still streaming: the invocation has not ended.
      expect(streamFunctionUsage()).toBe(before);

      stream.hangUp();
      const deadline = Date.now() + 3000;
      while (streamFunctionUsage() === before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      expect(streamFunctionUsage()).toBe(before + 1);
    });
  });

  describe('refusals, as JSON before any stream', () => {
    it("answers another tenant's job 404 not_found, as an unknown id", async () => {
      const id = await submit('not yours');

      for (const [target, key] of [
        [id, OTHER_KEY],
        [UNKNOWN_ID, KEY],
      ] as const) {
        const stream = await openEvents(target, { key });
        expect(stream.response.status).toBe(404);
        expect(stream.response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(z.strictObject(errorBodySchema.shape).parse(await stream.response.json())).toEqual({
          error: `No request with id ${target}`,
          error_code: 'not_found',
          details: [],
        });
      }
    });

    it('answers a Last-Event-ID that is not one of its ids 400, naming it', async () => {
      const stream = await openEvents(UNKNOWN_ID, { lastEventId: 'yesterday' });

      expect(stream.response.status).toBe(400);
      const body = z.strictObject(errorBodySchema.shape).parse(await stream.response.json());
      expect(body.error_code).toBe('invalid_request');
      expect(body.details.map((detail) => detail.field)).toEqual(['Last-Event-ID']);
    });
  });
});
