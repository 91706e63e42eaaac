import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { errorBodySchema, statusViewSchema, submittedViewSchema } from '../../lambdas/core/apiViews';
import { probeVideo } from '../../local/emulator/probe';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { localApi } from './localApi';

/*
 * POST /v1/pixverse-5-transition through the local API server, which runs the
 * same streaming handler Lambda runs behind API Gateway's STREAM mode.
 */

const KEY = 'sync-key';
const FAIL_MARK = '[upstream-fails]';
const UPSTREAM_FAILURE = 'Content moderation: the prompt was rejected by the model';
/** The emulator keeps a job with this in its prompt PROCESSING until it is cancelled. */
const NEVER_FINISH = '[never-finishes]';
/** The route's wait limit in this stack (FRAMEBRIDGE_SYNC_WAIT_S). */
const WAIT_S = 6;

describe('E2E: the synchronous v1 route, on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let frameUris: { first_frame_url: string; last_frame_url: string };
  const running: string[] = [];

  const { api, uploadFrame } = localApi(() => stack.endpoints.apiUrl, KEY);

  /** POST /v1/pixverse-5-transition; the answer's bytes as they came. */
  async function runSync(body: unknown, headers: Record<string, string> = {}) {
    const startedAt = Date.now();
    const response = await fetch(`${stack.endpoints.apiUrl}/v1/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, bytes, elapsedMs: Date.now() - startedAt };
  }

  const transition = (prompt: string, extra: Record<string, unknown> = {}) => ({
    prompt,
    quality: '360p',
    ...frameUris,
    ...extra,
  });

  const jobCount = async () => ((await api('/v2/requests?limit=100')).body.requests as unknown[]).length;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-sync-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [KEY],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        scenario: (request) => {
          const prompt = String(request.prompt ?? '');
          if (prompt.includes(FAIL_MARK)) return { fail: UPSTREAM_FAILURE };
          if (prompt.includes(NEVER_FINISH)) return { neverFinish: true };
          return undefined;
        },
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      lambdaEnvironment: { FRAMEBRIDGE_JOB_POLL_MS: '100', FRAMEBRIDGE_SYNC_WAIT_S: String(WAIT_S) },
    });
    frameUris = { first_frame_url: await uploadFrame('first.png'), last_frame_url: await uploadFrame('last.png') };
  });

  afterAll(async () => {
    for (const id of running) await api(`/v2/requests/${id}`, { method: 'DELETE' }).catch(() => undefined);
    await stack?.idle();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('answers the finished MP4 itself: H.264 of the asked duration and size, the job’s own video', async () => {
    // Act
    const answer = await runSync(transition('harbour at dusk', { duration: 5, seed: 7 }));

    // Assert
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('video/mp4');
    const id = answer.headers.get('x-request-id') ?? '';
    const status = await api(`/v2/requests/${id}/status`);
    expect(status.body).toMatchObject({ request_id: id, status: 'COMPLETED' });
    const result = await api(`/v2/requests/${id}`);
    const output = result.body.output as { bytes: number };
    expect(answer.bytes.length).toBe(output.bytes);
    const file = path.join(workDir, 'sync.mp4');
    await writeFile(file, answer.bytes);
    const facts = await probeVideo(file);
    expect(facts.video.codec).toBe('h264');
    expect(facts.video.height).toBe(360);
    expect(facts.durationSeconds).toBeGreaterThan(4.5);
    expect(facts.durationSeconds).toBeLessThan(5.5);
  });

  it('answers a repeat with the same Idempotency-Key with the same video, marked replayed, without a second job', async () => {
    // Arrange
    const body = transition('harbour at dawn');
    const submissionsBefore = stack.emulator?.submissions() ?? 0;

    // Act
    const first = await runSync(body, { 'idempotency-key': 'sync-repeat-1' });
    const again = await runSync(body, { 'idempotency-key': 'sync-repeat-1' });

    // Assert
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get('x-request-id')).toBe(first.headers.get('x-request-id'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.bytes.equals(first.bytes)).toBe(true);
    expect(stack.emulator?.submissions()).toBe(submissionsBefore + 1);
  });

  it('answers a FAILED job as its status endpoint does: 422 with error and error_code', async () => {
    // Act
    const answer = await runSync(transition(`a refused prompt ${FAIL_MARK}`));

    // Assert
    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const body = z.strictObject(statusViewSchema.shape).parse(JSON.parse(answer.bytes.toString('utf8')));
    expect(body).toMatchObject({ status: 'FAILED', phase: 'failed', error_code: expect.any(String) });
    expect(body.error).toContain(UPSTREAM_FAILURE);
    const status = await api(`/v2/requests/${body.request_id}/status`);
    expect(status.status).toBe(422);
    expect(status.body).toEqual(body);
  });

  it('refuses a bad body 400 naming the field, creating and paying for nothing', async () => {
    // Arrange
    const jobsBefore = await jobCount();
    const submissionsBefore = stack.emulator?.submissions() ?? 0;

    // Act
    const answer = await runSync(transition('too long', { duration: 7 }));

    // Assert
    expect(answer.status).toBe(400);
    const body = z.strictObject(errorBodySchema.shape).parse(JSON.parse(answer.bytes.toString('utf8')));
    expect(body.error_code).toBe('invalid_request');
    expect(body.details.map((detail) => detail.field)).toEqual(['duration']);
    expect(await jobCount()).toBe(jobsBefore);
    expect(stack.emulator?.submissions()).toBe(submissionsBefore);
  });

  it('answers 202 with the v2 submit body at its wait limit, and the job carries on for polling', async () => {
    // Act
    const answer = await runSync(transition(`a long one ${NEVER_FINISH}`));

    // Assert
    expect(answer.status).toBe(202);
    const body = z.strictObject(submittedViewSchema.shape).parse(JSON.parse(answer.bytes.toString('utf8')));
    running.push(body.request_id);
    expect(body.status_url).toBe(`${stack.endpoints.apiUrl}/v2/requests/${body.request_id}/status`);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(WAIT_S * 1000 - 200);
    expect(answer.elapsedMs).toBeLessThan(WAIT_S * 1000 + 3000);
    const status = await api(body.status_url);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ request_id: body.request_id, status: 'PROCESSING' });
  });
});
