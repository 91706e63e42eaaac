import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type StatusView, statusViewSchema } from '../../lambdas/core/apiViews';
import { FAILURE_TAG_MESSAGES, FAILURE_TAGS } from '../../local/emulator/failureTags';
import { type LocalStack, startLocalStack } from '../../local/stack';

/**
 * The `[emulate:…]` prompt tags through the whole local stack: our API accepts the tag as
 * prompt text, the emulator scripts the outcome, and a client sees it on the status endpoint.
 */

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const KEY = 'tags-key';
/** A scenario the test passes itself: it must win over the tags in the same prompt. */
const OWN_MARK = '[own-scenario]';
const OWN_FAILURE = 'the scenario the test passed';
/** Our API's prompt limit (lambdas/core/schemas.ts). */
const MAX_PROMPT = 2048;

const uploadAnswer = z.object({ upload_url: z.url(), headers: z.record(z.string(), z.string()), s3_uri: z.string() });
const submittedAnswer = z.object({ request_id: z.string(), status: z.literal('QUEUED') });

describe('E2E: emulator failure tags on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let frameUris: { first_frame_url: string; last_frame_url: string };

  async function api(route: string, init: { method?: string; body?: unknown } = {}) {
    const response = await fetch(`${stack.endpoints.apiUrl}${route}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { 'x-api-key': KEY, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  async function upload(file: string): Promise<string> {
    const bytes = await readFile(path.join(frames, file));
    const answer = await api('/v2/uploads', { body: { content_type: 'image/png', content_length: bytes.length } });
    expect(answer.status).toBe(201);
    const { upload_url, headers, s3_uri } = uploadAnswer.parse(answer.body);
    expect((await fetch(upload_url, { method: 'PUT', headers, body: bytes })).status).toBe(200);
    return s3_uri;
  }

  async function submit(prompt: string): Promise<string> {
    const answer = await api('/v2/pixverse-5-transition', { body: { prompt, ...frameUris, quality: '360p' } });
    expect(answer.status).toBe(202);
    return submittedAnswer.parse(answer.body).request_id;
  }

  async function status(id: string): Promise<{ httpStatus: number; view: StatusView }> {
    const answer = await api(`/v2/requests/${id}/status`);
    return { httpStatus: answer.status, view: statusViewSchema.parse(answer.body) };
  }

  /** Polls the status endpoint as a client would until `done` holds. */
  async function statusWhen(id: string, done: (view: StatusView) => boolean, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await status(id);
      if (done(answer.view)) return answer;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${answer.view.status}/${answer.view.phase}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const ended = (view: StatusView) => view.status === 'COMPLETED' || view.status === 'FAILED';

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-tags-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [KEY],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        scenario: (request) => (String(request.prompt).includes(OWN_MARK) ? { fail: OWN_FAILURE } : undefined),
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    frameUris = { first_frame_url: await upload('first.png'), last_frame_url: await upload('last.png') };
  });

  afterAll(async () => {
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('[emulate:failed] at the end of a prompt of the longest length we accept: FAILED 422, upstream_failed, its message', async () => {
    // Arrange: the tag must survive our own validation and reach the upstream untouched.
    const tag = '[emulate:failed]';
    const prompt = `${'a'.repeat(MAX_PROMPT - tag.length)}${tag}`;

    // Act
    const id = await submit(prompt);
    const { httpStatus, view } = await statusWhen(id, ended);
    const result = await api(`/v2/requests/${id}`);

    // Assert
    expect(httpStatus).toBe(422);
    expect(view).toMatchObject({ status: 'FAILED', phase: 'failed', error_code: 'upstream_failed' });
    expect(view.error).toContain(FAILURE_TAG_MESSAGES.failed);
    expect(result.status).toBe(422);
    expect(result.body).toMatchObject({ status: 'FAILED', error_code: 'upstream_failed' });
    expect(stack.emulator?.jobs().some((job) => job.body.prompt === prompt)).toBe(true);
  });

  it('[emulate:expired]: FAILED 422 with upstream_expired', async () => {
    // Act
    const id = await submit('dawn to dusk [emulate:expired]');
    const { httpStatus, view } = await statusWhen(id, ended);

    // Assert
    expect(httpStatus).toBe(422);
    expect(view).toMatchObject({ status: 'FAILED', error_code: 'upstream_expired' });
    expect(view.error).toMatch(/record expired/);
  });

  it('[emulate:slow]: still PROCESSING when a normal job has completed, and cancellable', async () => {
    // Arrange: the slow job is generating before the normal one starts.
    const slow = await submit('dawn to dusk, slowly [emulate:slow]');
    await statusWhen(slow, (view) => view.status === 'PROCESSING');
    const normal = await submit('dawn to dusk');

    // Act
    const finished = await statusWhen(normal, ended);
    const meanwhile = await status(slow);
    const cancel = await api(`/v2/requests/${slow}`, { method: 'DELETE' });
    const after = await status(slow);

    // Assert
    expect(finished.view.status).toBe('COMPLETED');
    expect(meanwhile).toMatchObject({ httpStatus: 200, view: { status: 'PROCESSING', phase: 'generating' } });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ request_id: slow, status: 'FAILED', error_code: 'cancelled' });
    expect(after).toMatchObject({ httpStatus: 422, view: { status: 'FAILED', error_code: 'cancelled' } });
  });

  it('[emulate:rejected]: the upstream refuses the submit, FAILED 422 with upstream_bad_request, nothing billed', async () => {
    // Arrange
    const billed = stack.emulator?.submissions();

    // Act
    const id = await submit('dawn to dusk [emulate:rejected]');
    const { httpStatus, view } = await statusWhen(id, ended);

    // Assert
    expect(httpStatus).toBe(422);
    expect(view).toMatchObject({ status: 'FAILED', error_code: 'upstream_bad_request' });
    expect(view.error).toContain(FAILURE_TAG_MESSAGES.rejected);
    expect(stack.emulator?.submissions()).toBe(billed);
  });

  it('an unknown tag does not pass for a normal run: FAILED with upstream_bad_request naming the known tags', async () => {
    // Act
    const id = await submit('dawn to dusk [emulate:nonsense]');
    const { view } = await statusWhen(id, ended);

    // Assert
    expect(view).toMatchObject({ status: 'FAILED', error_code: 'upstream_bad_request' });
    expect(view.error).toContain('Unknown emulator tag [emulate:nonsense]');
    for (const tag of FAILURE_TAGS) expect(view.error).toContain(`[emulate:${tag}]`);
  });

  it("a test's own emulator scenario wins over a tag in the same prompt", async () => {
    // Act
    const id = await submit(`dawn to dusk ${OWN_MARK} [emulate:nonsense]`);
    const { view } = await statusWhen(id, ended);

    // Assert
    expect(view).toMatchObject({ status: 'FAILED', error_code: 'upstream_failed' });
    expect(view.error).toContain(OWN_FAILURE);
  });
});
