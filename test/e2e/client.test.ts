import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ConflictError,
  ForbiddenError,
  Framebridge,
  JobFailedError,
  NotFoundError,
  type StatusView,
  TimeoutError,
  type TransitionRequest,
  ValidationError,
} from 'framebridge/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3Client } from '../../local/clients';
import { probeVideo } from '../../local/emulator/probe';
import { type LocalStack, startLocalStack } from '../../local/stack';

/*
 * The TypeScript client (`framebridge/client`) against the local stack: every
 * method, its typed errors, and `wait` through SSE and through polling.
 */

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const KEY = 'client-key';
const OTHER_KEY = 'client-other-key';
const UNKNOWN_ID = '01JQ00000000000000000000ZZ';
/** The emulator keeps a job with this in its prompt PROCESSING until it is cancelled. */
const NEVER_FINISH = '[never-finishes]';
/** The emulator fails a job with this in its prompt. */
const FAILS = '[fails]';
const UPSTREAM_FAILURE = 'The model could not render this transition';

/** Every API request a client made, as `METHOD /path`. */
function recordingFetch() {
  const calls: string[] = [];
  const fetchAndRecord: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    return fetch(input, init);
  };
  return { fetch: fetchAndRecord, calls };
}

/** A fetch whose first event stream breaks after its first chunk, as a dropped connection does. */
function droppingFetch() {
  let dropped = false;
  const seenLastEventIds: (string | null)[] = [];
  const fetchAndDrop: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).endsWith('/events')) return response;
    seenLastEventIds.push(new Headers(init?.headers).get('last-event-id'));
    if (dropped || !response.body) return response;
    dropped = true;
    const reader = response.body.getReader();
    let sent = false;
    const broken = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent) {
          await reader.cancel();
          controller.error(new TypeError('terminated'));
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else {
          sent = value.length > 0 && new TextDecoder().decode(value).includes('event: status');
          controller.enqueue(value);
        }
      },
    });
    return new Response(broken, { status: response.status, headers: response.headers });
  };
  return { fetch: fetchAndDrop, seenLastEventIds };
}

const isMp4 = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(4, 8)) === 'ftyp';

describe('E2E: the TypeScript client on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  let fb: Framebridge;
  let other: Framebridge;
  let frameUris: { first_frame_url: string; last_frame_url: string };
  const running: string[] = [];

  const transition = (prompt: string): TransitionRequest => ({ prompt, quality: '360p', ...frameUris });

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-client-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [KEY, OTHER_KEY],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        scenario: (request) => {
          const prompt = String(request.prompt ?? '');
          if (prompt.includes(NEVER_FINISH)) return { neverFinish: true };
          if (prompt.includes(FAILS)) return { fail: UPSTREAM_FAILURE };
          return undefined;
        },
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      lambdaEnvironment: { FRAMEBRIDGE_JOB_POLL_MS: '100', FRAMEBRIDGE_EVENTS_HEARTBEAT_MS: '500' },
    });
    s3 = localS3Client(stack.endpoints);
    fb = new Framebridge({ baseUrl: stack.endpoints.apiUrl, apiKey: KEY });
    other = new Framebridge({ baseUrl: stack.endpoints.apiUrl, apiKey: OTHER_KEY });
    const first = await readFile(path.join(frames, 'first.png'));
    const last = await readFile(path.join(frames, 'last.png'));
    frameUris = {
      first_frame_url: (await fb.uploads.create(first)).s3_uri,
      last_frame_url: (await fb.uploads.create(new Blob([new Uint8Array(last)]))).s3_uri,
    };
  });

  afterAll(async () => {
    for (const id of running) await fb.transitions.cancel(id).catch(() => undefined);
    await stack?.idle();
    s3?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  describe('uploads.create', () => {
    it('stores a Buffer and a Blob under the tenant’s uploads, with the type read from their bytes', async () => {
      const tenant = stack.ownerOf(KEY);

      for (const uri of [frameUris.first_frame_url, frameUris.last_frame_url]) {
        expect(uri).toMatch(new RegExp(`^s3://${stack.endpoints.bucket}/uploads/${tenant}/[0-9A-Z]{26}/frame\\.png$`));
        const key = uri.replace(`s3://${stack.endpoints.bucket}/`, '');
        const head = await s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: key }));
        expect(head.ContentType).toBe('image/png');
      }
    });

    it('passes a File’s name on and refuses what is not an image with a ValidationError', async () => {
      const bytes = await readFile(path.join(frames, 'first.png'));

      const named = await fb.uploads.create(new File([new Uint8Array(bytes)], 'dawn.png'));
      const refused = await fb.uploads.create(new TextEncoder().encode('GIF89a…')).catch((error: unknown) => error);

      expect(named.s3_uri).toMatch(/\/dawn\.png$/);
      expect(refused).toBeInstanceOf(ValidationError);
      expect(refused).toMatchObject({ status: 400, details: [expect.objectContaining({ field: 'content_type' })] });
    });
  });

  describe('a job followed through SSE', () => {
    const recorded = recordingFetch();
    let client: Framebridge;
    let id: string;
    let final: StatusView;
    const progress: StatusView[] = [];

    beforeAll(async () => {
      client = new Framebridge({ baseUrl: stack.endpoints.apiUrl, apiKey: KEY, fetch: recorded.fetch });
      const key = `client-e2e-${Date.now()}`;
      const submitted = await client.transitions.submit(transition('dawn to dusk, through SSE'), {
        idempotencyKey: key,
      });
      const again = await client.transitions.submit(transition('dawn to dusk, through SSE'), { idempotencyKey: key });
      expect(again.request_id).toBe(submitted.request_id);
      expect(submitted).toMatchObject({
        status: 'QUEUED',
        status_url: `${stack.endpoints.apiUrl}/v2/requests/${submitted.request_id}/status`,
      });
      id = submitted.request_id;
      final = await client.transitions.wait(id, { timeoutMs: 60_000, onProgress: (view) => progress.push(view) });
    }, 90_000);

    it('resolves with COMPLETED after reporting each change once, from the events stream alone', () => {
      expect(final).toMatchObject({ request_id: id, status: 'COMPLETED', phase: 'completed' });
      expect(progress.at(-1)).toEqual(final);
      const changes = progress.map((view) => `${view.status}/${view.phase}`);
      expect(new Set(changes).size).toBe(changes.length);
      expect(recorded.calls.filter((call) => call === `GET /v2/requests/${id}/events`)).toHaveLength(1);
      expect(recorded.calls).not.toContain(`GET /v2/requests/${id}/status`);
    });

    it('reads the status and the result, whose video_url serves an MP4', async () => {
      const status = await client.transitions.status(id);
      const result = await client.transitions.result(id);

      expect(status).toMatchObject({ request_id: id, status: 'COMPLETED' });
      expect(result.status).toBe('COMPLETED');
      if (!('output' in result && result.output)) throw new Error('no output');
      const video = new Uint8Array(await (await fetch(result.output.video_url)).arrayBuffer());
      expect(isMp4(video)).toBe(true);
      expect(video.length).toBe(result.output.bytes);
    });

    it('replays the events of a finished job, each id above the last, and nothing after its last id', async () => {
      const events = [];
      for await (const event of client.transitions.events(id)) events.push(event);
      const resumed = [];
      for await (const event of client.transitions.events(id, { lastEventId: events.at(-1)?.id })) resumed.push(event);

      expect(events.at(-1)?.status).toMatchObject({ status: 'COMPLETED' });
      expect(events.map((event) => BigInt(event.id))).toEqual(
        events.map((event) => BigInt(event.id)).sort((a, b) => (a < b ? -1 : 1)),
      );
      expect(resumed).toEqual([]);
    });
  });

  it('waits through polling alone with transport poll', async () => {
    const recorded = recordingFetch();
    const client = new Framebridge({ baseUrl: stack.endpoints.apiUrl, apiKey: KEY, fetch: recorded.fetch });
    const { request_id } = await client.transitions.submit(transition('dawn to dusk, polled'));
    const phases: string[] = [];

    const final = await client.transitions.wait(request_id, {
      transport: 'poll',
      timeoutMs: 60_000,
      onProgress: (view) => phases.push(view.phase),
    });

    expect(final).toMatchObject({ status: 'COMPLETED' });
    expect(phases.at(-1)).toBe('completed');
    expect(recorded.calls.some((call) => call.endsWith('/events'))).toBe(false);
    expect(recorded.calls.filter((call) => call === `GET /v2/requests/${request_id}/status`).length).toBeGreaterThan(1);
  }, 90_000);

  it('resumes a dropped event stream with Last-Event-ID and still sees COMPLETED', async () => {
    const dropping = droppingFetch();
    const client = new Framebridge({ baseUrl: stack.endpoints.apiUrl, apiKey: KEY, fetch: dropping.fetch });
    const { request_id } = await client.transitions.submit(transition('dawn to dusk, with a dropped stream'));

    const final = await client.transitions.wait(request_id, { transport: 'sse', timeoutMs: 60_000 });

    expect(final).toMatchObject({ status: 'COMPLETED' });
    expect(dropping.seenLastEventIds[0]).toBeNull();
    expect(dropping.seenLastEventIds[1]).toMatch(/^\d+$/);
  }, 90_000);

  it('runs a job end to end: run() answers a video_url whose bytes are an H.264 MP4 of the asked size', async () => {
    const progress: string[] = [];

    const result = await fb.transitions.run(transition('dawn to dusk, in one call'), {
      timeoutMs: 60_000,
      onProgress: (view) => progress.push(view.phase),
    });

    expect(result).toMatchObject({ status: 'COMPLETED', output: { content_type: 'video/mp4' } });
    expect(progress.at(-1)).toBe('completed');
    const bytes = new Uint8Array(await (await fetch(result.output.video_url)).arrayBuffer());
    expect(isMp4(bytes)).toBe(true);
    const file = path.join(workDir, 'run.mp4');
    await writeFile(file, bytes);
    const facts = await probeVideo(file);
    expect(facts.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(facts.durationSeconds).toBeCloseTo(5, 0);
  }, 90_000);

  it('throws JobFailedError carrying the status body when the job fails, from wait and from run', async () => {
    const { request_id } = await fb.transitions.submit(transition(`dawn to dusk ${FAILS}`));

    const waited = await fb.transitions.wait(request_id, { timeoutMs: 60_000 }).catch((error: unknown) => error);
    const ran = await fb.transitions
      .run(transition(`again ${FAILS}`), { timeoutMs: 60_000 })
      .catch((error: unknown) => error);

    expect(waited).toBeInstanceOf(JobFailedError);
    expect(waited).toMatchObject({
      code: 'upstream_failed',
      job: { request_id, status: 'FAILED', error_code: 'upstream_failed' },
    });
    expect((waited as JobFailedError).message).toContain(UPSTREAM_FAILURE);
    expect(ran).toBeInstanceOf(JobFailedError);
    expect(await fb.transitions.status(request_id)).toMatchObject({ status: 'FAILED', error_code: 'upstream_failed' });
    expect(await fb.transitions.result(request_id)).toMatchObject({ status: 'FAILED', error_code: 'upstream_failed' });
  }, 120_000);

  describe('a running job', () => {
    let id: string;

    beforeAll(async () => {
      id = (await fb.transitions.submit(transition(`dawn to dusk ${NEVER_FINISH}`))).request_id;
      running.push(id);
    });

    it('gives up waiting with TimeoutError after timeoutMs, and with the signal’s AbortError', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);

      const timedOut = await fb.transitions.wait(id, { timeoutMs: 1500 }).catch((error: unknown) => error);
      const aborted = await fb.transitions.wait(id, { signal: controller.signal }).catch((error: unknown) => error);

      expect(timedOut).toBeInstanceOf(TimeoutError);
      expect(timedOut).toMatchObject({ requestId: id, lastStatus: { request_id: id } });
      expect(aborted).toMatchObject({ name: 'AbortError' });
    });

    it('cancels it: FAILED cancelled with the billing note, wait throws JobFailedError, a second cancel ConflictError', async () => {
      const cancelled = await fb.transitions.cancel(id);
      const waited = await fb.transitions.wait(id, { timeoutMs: 30_000 }).catch((error: unknown) => error);
      const again = await fb.transitions.cancel(id).catch((error: unknown) => error);

      expect(cancelled).toMatchObject({ request_id: id, status: 'FAILED', error_code: 'cancelled' });
      expect(cancelled.note).toMatch(/billed/);
      expect(waited).toBeInstanceOf(JobFailedError);
      expect(waited).toMatchObject({ code: 'cancelled' });
      expect(again).toBeInstanceOf(ConflictError);
      expect(again).toMatchObject({ status: 409, code: 'conflict' });
    }, 60_000);
  });

  it('lists the tenant’s jobs newest first, page by page, and filters by status', async () => {
    const pages = [];
    for await (const page of fb.transitions.list({ limit: 2 }).pages()) pages.push(page);
    const all: StatusView[] = [];
    for await (const job of fb.transitions.list({ limit: 2 })) all.push(job);
    const completed: StatusView[] = [];
    for await (const job of fb.transitions.list({ status: 'COMPLETED' })) completed.push(job);
    const others: StatusView[] = [];
    for await (const job of other.transitions.list()) others.push(job);

    expect(pages.length).toBeGreaterThan(1);
    expect(pages.slice(0, -1).every((page) => page.requests.length === 2 && page.next_cursor)).toBe(true);
    expect(pages.at(-1)?.next_cursor).toBeNull();
    expect(all.map((job) => job.request_id)).toEqual(
      pages.flatMap((page) => page.requests.map((job) => job.request_id)),
    );
    expect(all.map((job) => job.created_at)).toEqual([...all.map((job) => job.created_at)].sort().reverse());
    expect(completed.length).toBeGreaterThanOrEqual(3);
    expect(completed.every((job) => job.status === 'COMPLETED')).toBe(true);
    expect(others).toEqual([]);
  });

  describe('typed errors', () => {
    it('NotFoundError for an unknown id, on every route that takes one', async () => {
      const answers = await Promise.all([
        fb.transitions.status(UNKNOWN_ID).catch((error: unknown) => error),
        fb.transitions.result(UNKNOWN_ID).catch((error: unknown) => error),
        fb.transitions.cancel(UNKNOWN_ID).catch((error: unknown) => error),
        fb.transitions.wait(UNKNOWN_ID).catch((error: unknown) => error),
      ]);

      for (const answer of answers) {
        expect(answer).toBeInstanceOf(NotFoundError);
        expect(answer).toMatchObject({ status: 404, code: 'not_found' });
      }
    });

    it('NotFoundError for another tenant’s job, the same as for an unknown one, events included', async () => {
      const { request_id } = await fb.transitions.submit(transition('mine, not theirs'));

      const answers = [
        await other.transitions.status(request_id).catch((error: unknown) => error),
        await other.transitions.result(request_id).catch((error: unknown) => error),
        await other.transitions.cancel(request_id).catch((error: unknown) => error),
        await (async () => {
          for await (const event of other.transitions.events(request_id)) return event;
        })().catch((error: unknown) => error),
      ];

      for (const answer of answers) expect(answer).toBeInstanceOf(NotFoundError);
      await fb.transitions.wait(request_id, { timeoutMs: 60_000 });
    }, 90_000);

    it('ValidationError with details naming each field and rule for a bad body', async () => {
      const body = { ...transition('bad'), seed: 0, duration: 8, quality: '1080p', colour: 'red' };

      // @ts-expect-error: an unknown field, sent on purpose to see the API refuse it by name
      const error = await fb.transitions.submit(body).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_request' });
      const fields = (error as ValidationError).details.map((detail) => detail.field);
      expect(fields).toEqual(expect.arrayContaining(['seed', 'colour']));
      expect((error as ValidationError).details.every((detail) => detail.rule.length > 0)).toBe(true);
    });

    it('ValidationError for a malformed id, ForbiddenError for an unknown key', async () => {
      const badId = await fb.transitions.status('not an id!').catch((error: unknown) => error);
      const stranger = new Framebridge({ baseUrl: stack.endpoints.apiUrl, apiKey: 'nobody-key' });
      const forbidden = await stranger.transitions.status(UNKNOWN_ID).catch((error: unknown) => error);

      expect(badId).toBeInstanceOf(ValidationError);
      expect(forbidden).toBeInstanceOf(ForbiddenError);
      expect(forbidden).toMatchObject({ status: 403, code: 'forbidden' });
    });
  });
});
