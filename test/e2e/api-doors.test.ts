import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutesFromTemplate } from '../../local/apiRoutes';
import { localS3Client } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
/** The emulator keeps a job with this in its prompt PROCESSING until it is cancelled. */
const NEVER_FINISH = '[never-finishes]';
const KEY_A = 'key-a';
const KEY_B = 'key-b';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

describe('E2E: the HTTP doors on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  let firstPng: Buffer;
  let lastPng: Buffer;
  /** s3:// URIs of the example frames, uploaded through POST /v2/uploads. */
  let firstUri: string;
  let lastUri: string;

  async function api(
    route: string,
    options: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const response = await fetch(`${stack.endpoints.apiUrl}${route}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(options.key ? { 'x-api-key': options.key } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
  }

  /** POST /v2/uploads, then PUT the bytes to the presigned URL as a client would. */
  async function uploadFrame(bytes: Uint8Array, contentType = 'image/png', filename?: string, key = KEY_A) {
    const answer = await api('/v2/uploads', {
      key,
      body: { content_type: contentType, content_length: bytes.length, ...(filename ? { filename } : {}) },
    });
    expect(answer.status).toBe(201);
    const upload = answer.body as { upload_url: string; headers: Record<string, string>; s3_uri: string };
    const put = await fetch(upload.upload_url, { method: 'PUT', headers: upload.headers, body: bytes });
    expect(put.status).toBe(200);
    return upload;
  }

  const transition = (prompt: string, extra: Record<string, unknown> = {}) => ({
    prompt,
    first_frame_url: firstUri,
    last_frame_url: lastUri,
    quality: '360p',
    ...extra,
  });
  /** A transition of key B's tenant, from frames it uploaded itself (frames belong to their tenant). */
  let framesOfB: { first_frame_url: string; last_frame_url: string };
  const transitionOfB = (prompt: string) => ({ ...transition(prompt), ...framesOfB });

  const executionsNamed = (id: string) => stack.stepFunctions.ofJob(stack.endpoints.stateMachineArn, id);

  async function finish(id: string, key = KEY_A) {
    for (const execution of executionsNamed(id)) await execution.done;
    return api(`/v2/requests/${id}/status`, { key });
  }

  /** Polls the status until `done` holds for it (the job runs in this process: a few seconds at most). */
  async function waitForStatus(id: string, done: (status: Record<string, unknown>) => boolean) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const { body } = await api(`/v2/requests/${id}/status`, { key: KEY_A });
      if (done(body)) return body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`request ${id} never reached the awaited status`);
  }

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-doors-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [KEY_A, KEY_B],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 2,
        scenario: (request) =>
          String(request.prompt ?? '').includes(NEVER_FINISH) ? { neverFinish: true } : undefined,
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    s3 = localS3Client(stack.endpoints);
    [firstPng, lastPng] = await Promise.all([
      readFile(path.join(frames, 'first.png')),
      readFile(path.join(frames, 'last.png')),
    ]);
    firstUri = (await uploadFrame(firstPng, 'image/png', 'first.png')).s3_uri;
    lastUri = (await uploadFrame(lastPng)).s3_uri;
    framesOfB = {
      first_frame_url: (await uploadFrame(firstPng, 'image/png', 'first.png', KEY_B)).s3_uri,
      last_frame_url: (await uploadFrame(lastPng, 'image/png', 'last.png', KEY_B)).s3_uri,
    };
  });

  afterAll(async () => {
    s3?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  describe('uploads', () => {
    it('hands out a presigned PUT whose signature covers the content type, and a job made from the upload completes', async () => {
      // Arrange
      const submissionsBefore = stack.emulator?.submissions() ?? 0;
      const answer = await api('/v2/uploads', {
        key: KEY_A,
        body: { content_type: 'image/png', content_length: firstPng.length },
      });
      const upload = answer.body as { upload_url: string; s3_uri: string; headers: Record<string, string> };
      const key = upload.s3_uri.replace(`s3://${stack.endpoints.bucket}/`, '');

      // Act: a PUT with another content type is refused by S3; the one asked for is stored.
      const wrongType = await fetch(upload.upload_url, {
        method: 'PUT',
        headers: { 'content-type': 'image/jpeg' },
        body: firstPng,
      });
      const put = await fetch(upload.upload_url, { method: 'PUT', headers: upload.headers, body: firstPng });
      const submitted = await api('/v2/pixverse-5-transition', {
        key: KEY_A,
        body: transition('an uploaded frame', { first_frame_url: upload.s3_uri }),
      });
      const id = String(submitted.body.request_id);
      const status = await finish(id);
      const result = await api(`/v2/requests/${id}`, { key: KEY_A });

      // Assert
      expect(answer.status).toBe(201);
      expect(key).toMatch(new RegExp(`^uploads/${stack.ownerOf(KEY_A)}/[0-9A-HJKMNP-TV-Z]{26}/frame\\.png$`));
      expect(wrongType.status).toBe(403);
      expect(put.status).toBe(200);
      const head = await s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: key }));
      expect(head.ContentType).toBe('image/png');
      expect(head.ContentLength).toBe(firstPng.length);
      expect(submitted.status).toBe(202);
      expect(status.body).toMatchObject({ status: 'COMPLETED' });
      const output = (result.body as { output: { video_url: string } }).output;
      const video = Buffer.from(await (await fetch(output.video_url)).arrayBuffer());
      expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
      expect(stack.emulator?.submissions()).toBe(submissionsBefore + 1);
    });

    it('refuses an s3:// frame that is not an image with a 400 naming the field, starting and paying nothing', async () => {
      // Arrange
      const text = await uploadFrame(new TextEncoder().encode('not a picture, just some words'), 'image/png');
      const submissionsBefore = stack.emulator?.submissions() ?? 0;
      const executionsBefore = stack.stepFunctions.list(stack.endpoints.stateMachineArn).length;

      // Act
      const notImage = await api('/v2/pixverse-5-transition', {
        key: KEY_A,
        body: transition('a text frame', { last_frame_url: text.s3_uri }),
      });
      const missing = await api('/v2/pixverse-5-transition', {
        key: KEY_A,
        body: transition('a missing frame', { first_frame_url: `s3://${stack.endpoints.bucket}/uploads/nothing.png` }),
      });

      // Assert
      expect(notImage.status).toBe(400);
      expect(notImage.body).toMatchObject({
        error_code: 'invalid_request',
        details: [{ field: 'last_frame_url', rule: 'must be a PNG, JPEG or WebP image' }],
      });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({
        details: [
          { field: 'first_frame_url', rule: 'must be an s3:// URI of a frame this tenant uploaded (POST /v2/uploads)' },
        ],
      });
      expect(stack.stepFunctions.list(stack.endpoints.stateMachineArn)).toHaveLength(executionsBefore);
      expect(stack.emulator?.submissions()).toBe(submissionsBefore);
    });
  });

  describe('idempotency', () => {
    it('answers a repeated submit with the same request, one execution and one upstream submit', async () => {
      // Arrange
      const submissionsBefore = stack.emulator?.submissions() ?? 0;
      const body = transition('idempotent replay');
      const headers = { 'Idempotency-Key': 'replay-1' };

      // Act
      const first = await api('/v2/pixverse-5-transition', { key: KEY_A, body, headers });
      const again = await api('/v2/pixverse-5-transition', {
        key: KEY_A,
        body: { ...body, seed: 12345, duration: 5 },
        headers,
      });
      const id = String(first.body.request_id);
      const status = await finish(id);
      const afterFinish = await api('/v2/pixverse-5-transition', { key: KEY_A, body, headers });

      // Assert
      expect(first.status).toBe(202);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(again.status).toBe(202);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(afterFinish.status).toBe(202);
      expect(afterFinish.text).toBe(first.text);
      expect(status.body).toMatchObject({ status: 'COMPLETED' });
      expect(executionsNamed(id)).toHaveLength(1);
      expect(stack.emulator?.submissions()).toBe(submissionsBefore + 1);
    });

    it('answers 409 for the same key with another body', async () => {
      // Arrange
      const headers = { 'Idempotency-Key': 'conflict-1' };
      const first = await api('/v2/pixverse-5-transition', {
        key: KEY_A,
        body: transition(`conflict ${NEVER_FINISH}`),
        headers,
      });
      // Let its submit land now, so that it is not counted by a later test.
      await waitForStatus(
        String(first.body.request_id),
        (status) => status.phase === 'submitted' || status.phase === 'generating',
      );

      // Act
      const conflict = await api('/v2/pixverse-5-transition', {
        key: KEY_A,
        body: transition(`another prompt ${NEVER_FINISH}`),
        headers,
      });

      // Assert
      expect(first.status).toBe(202);
      expect(conflict.status).toBe(409);
      expect(conflict.body).toMatchObject({
        error_code: 'idempotency_conflict',
        error: expect.stringContaining(String(first.body.request_id)),
      });
      expect(executionsNamed(String(first.body.request_id))).toHaveLength(1);
    });

    it('gives two concurrent identical submits one request, one execution and one upstream submit', async () => {
      // Arrange
      const submissionsBefore = stack.emulator?.submissions() ?? 0;
      const executionsBefore = stack.stepFunctions.list(stack.endpoints.stateMachineArn).length;
      const request = {
        key: KEY_A,
        body: transition('two at once'),
        headers: { 'Idempotency-Key': 'concurrent-1' },
      };

      // Act
      const answers = await Promise.all([
        api('/v2/pixverse-5-transition', request),
        api('/v2/pixverse-5-transition', request),
      ]);
      const id = String(answers[0]?.body.request_id);
      const status = await finish(id);

      // Assert
      expect(answers.map((a) => a.status)).toEqual([202, 202]);
      expect(answers[1]?.body.request_id).toBe(id);
      expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
      expect(status.body).toMatchObject({ status: 'COMPLETED' });
      expect(executionsNamed(id)).toHaveLength(1);
      expect(stack.stepFunctions.list(stack.endpoints.stateMachineArn)).toHaveLength(executionsBefore + 1);
      expect(stack.emulator?.submissions()).toBe(submissionsBefore + 1);
    });
  });

  describe('cancel', () => {
    it('stops a running job: 200 with the billing note, then FAILED cancelled and the execution ABORTED', async () => {
      // Arrange: the upstream has the job, which never finishes on its own.
      const submitted = await api('/v2/pixverse-5-transition', {
        key: KEY_A,
        body: transition(`to be cancelled ${NEVER_FINISH}`),
      });
      const id = String(submitted.body.request_id);
      await waitForStatus(id, (status) => status.phase === 'submitted' || status.phase === 'generating');
      const [execution] = executionsNamed(id);

      // Act
      const cancelled = await api(`/v2/requests/${id}`, { method: 'DELETE', key: KEY_A });
      await execution?.done;
      const status = await api(`/v2/requests/${id}/status`, { key: KEY_A });
      const again = await api(`/v2/requests/${id}`, { method: 'DELETE', key: KEY_A });

      // Assert
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ request_id: id, status: 'FAILED', error_code: 'cancelled' });
      expect(cancelled.body.note).toMatch(/cannot be cancelled at Segmind and may still be billed/);
      expect(status.status).toBe(422);
      expect(status.body).toMatchObject({ status: 'FAILED', error_code: 'cancelled' });
      expect(stack.stepFunctions.describe(execution?.executionArn ?? '')).toMatchObject({
        status: 'ABORTED',
        error: 'cancelled',
      });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error_code: 'conflict', error: expect.stringMatching(/cancelled/) });
    });

    it('answers 409 for a finished job', async () => {
      // Arrange
      const submitted = await api('/v2/pixverse-5-transition', { key: KEY_A, body: transition('finished first') });
      const id = String(submitted.body.request_id);
      expect((await finish(id)).body).toMatchObject({ status: 'COMPLETED' });

      // Act
      const cancel = await api(`/v2/requests/${id}`, { method: 'DELETE', key: KEY_A });

      // Assert
      expect(cancel.status).toBe(409);
      expect(cancel.body).toMatchObject({
        error_code: 'conflict',
        error: expect.stringMatching(/already COMPLETED/),
      });
      expect((await api(`/v2/requests/${id}/status`, { key: KEY_A })).body).toMatchObject({ status: 'COMPLETED' });
    });
  });

  describe('owners and listing', () => {
    /** Five jobs of key B, created one after the other (newest last); the 2nd and 4th cancelled. */
    let ofB: string[];

    beforeAll(async () => {
      ofB = [];
      for (let i = 0; i < 5; i++) {
        const answer = await api('/v2/pixverse-5-transition', {
          key: KEY_B,
          body: transitionOfB(`job ${i} of key B ${NEVER_FINISH}`),
        });
        expect(answer.status).toBe(202);
        ofB.push(String(answer.body.request_id));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (const id of [ofB[1], ofB[3]]) {
        expect((await api(`/v2/requests/${id}`, { method: 'DELETE', key: KEY_B })).status).toBe(200);
      }
    });

    it("hides each key's requests from the other: status, result and cancel answer 404", async () => {
      // Arrange
      const ofA = String(
        (await api('/v2/pixverse-5-transition', { key: KEY_A, body: transition(`of key A ${NEVER_FINISH}`) })).body
          .request_id,
      );

      // Act
      const answers = await Promise.all([
        api(`/v2/requests/${ofA}/status`, { key: KEY_B }),
        api(`/v2/requests/${ofA}`, { key: KEY_B }),
        api(`/v2/requests/${ofA}`, { method: 'DELETE', key: KEY_B }),
        api(`/v2/requests/${ofB[0]}/status`, { key: KEY_A }),
      ]);
      const listOfB = await api('/v2/requests?limit=100', { key: KEY_B });
      const listOfA = await api('/v2/requests?limit=100', { key: KEY_A });

      // Assert
      expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404]);
      expect(answers.map((a) => a.body.error_code)).toEqual(Array(4).fill('not_found'));
      expect((await api(`/v2/requests/${ofA}/status`, { key: KEY_A })).body.status).not.toBe('FAILED');
      const idsOf = (answer: Answer) => (answer.body.requests as { request_id: string }[]).map((r) => r.request_id);
      expect(idsOf(listOfB)).not.toContain(ofA);
      expect(idsOf(listOfA)).toContain(ofA);
      expect(idsOf(listOfA)).not.toContain(ofB[0]);
    });

    it('pages through them newest first with an opaque cursor, two at a time', async () => {
      // Act
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const answer: Answer = await api(`/v2/requests?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: KEY_B });
        expect(answer.status).toBe(200);
        pages.push((answer.body.requests as { request_id: string }[]).map((r) => r.request_id));
        cursor = answer.body.next_cursor as string | null;
      } while (cursor && pages.length < 10);

      // Assert
      expect(pages).toEqual([[ofB[4], ofB[3]], [ofB[2], ofB[1]], [ofB[0]]]);
    });

    it('filters by status', async () => {
      // Act
      const failed = await api('/v2/requests?status=FAILED&limit=10', { key: KEY_B });

      // Assert
      expect(failed.status).toBe(200);
      expect(failed.body.requests).toEqual([
        expect.objectContaining({ request_id: ofB[3], status: 'FAILED', error_code: 'cancelled' }),
        expect.objectContaining({ request_id: ofB[1], status: 'FAILED', error_code: 'cancelled' }),
      ]);
      expect(failed.body.next_cursor).toBeNull();
    });

    it('refuses a bad limit, status or cursor with a 400 naming it', async () => {
      const answers = await Promise.all(
        [
          'limit=0',
          'limit=500',
          'status=DONE',
          'cursor=garbage!',
          `cursor=${Buffer.from('{"id":"x"}').toString('base64url')}`,
        ].map((query) => api(`/v2/requests?${query}`, { key: KEY_B })),
      );

      expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 400]);
      expect(answers.map((a) => (a.body.details as { field: string }[])[0]?.field)).toEqual([
        'limit',
        'limit',
        'status',
        'cursor',
        'cursor',
      ]);
    });
  });

  describe('OpenAPI', () => {
    it('serves /openapi.json without a key, documenting exactly the routes the API serves', async () => {
      // Act
      const answer = await api('/openapi.json');
      const served = apiRoutesFromTemplate(
        stack.template.template as unknown as Parameters<typeof apiRoutesFromTemplate>[0],
      );

      // Assert
      expect(answer.status).toBe(200);
      expect(answer.body.openapi).toBe('3.1.0');
      expect(answer.body.servers).toEqual([{ url: stack.endpoints.apiUrl }]);
      const documented = Object.entries(answer.body.paths as Record<string, object>).flatMap(([route, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`),
      );
      expect(documented.sort()).toEqual(served.map((route) => `${route.method} ${route.path}`).sort());
      // And the local API answers each of them (no "No route" 404): a route the spec names really exists.
      for (const route of documented) {
        const [method = 'GET', template = ''] = route.split(' ');
        const response = await fetch(`${stack.endpoints.apiUrl}${template.replace('{id}', 'unknown-id')}`, { method });
        // The playground (GET /) answers HTML; every other route JSON.
        const isJson = response.headers.get('content-type')?.startsWith('application/json');
        const body = (isJson ? await response.json() : { text: await response.text() }) as { error?: string };
        expect(body.error ?? '', route).not.toMatch(/^No route/);
        expect(response.status, route).not.toBe(405);
      }
    });
  });
});
