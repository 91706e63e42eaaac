import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { errorBodySchema } from '../../lambdas/core/apiViews';
import { statusOfApiError } from '../../lambdas/core/contract/apiErrors';
import { localS3Client } from '../../local/clients';
import type { SegmindEmulator } from '../../local/emulator/server';
import { type LocalStack, startLocalStack } from '../../local/stack';
import {
  API_KEY,
  authCases,
  bodyCases,
  FOREIGN_OBJECTS,
  type FrameFileCase,
  type Frames,
  frameFileCases,
  frameScopeCases,
  goodTransition,
  type HttpCase,
  idempotencyKeyCases,
  inboxFrames,
  listQueryCases,
  type ManifestCase,
  manifestCases,
  methodCases,
  NOT_YOURS_RULE,
  nonPublicUrlCases,
  type PresignedUploadCase,
  parameterCases,
  pathCases,
  presignedUploadCases,
  type Refusal,
  TENANT,
  uploadCases,
} from './badInputCorpus';

/**
 * Host names whose address is non-public are answered by a stub: the API's
 * public-URL check resolves names with `node:dns/promises`, and `.test` names
 * never resolve for real. Every other name goes to the real resolver.
 */
vi.mock('node:dns/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:dns/promises')>();
  const { fakeDnsAnswers } = await import('./badInputCorpus');
  const lookup = ((hostname: string, options?: object) => {
    const answer = Object.hasOwn(fakeDnsAnswers, hostname) ? fakeDnsAnswers[hostname] : undefined;
    if (!answer) return actual.lookup(hostname, options ?? {});
    return Promise.resolve(answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as typeof actual.lookup;
  return { ...actual, lookup, default: { ...actual, lookup } };
});

const examples = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** What every refusal must leave unchanged: nothing started, nothing paid for, nothing recorded. */
interface Effects {
  executions: number;
  submitRequests: number;
  /** Job records in the jobs table. */
  jobs: number;
  /** Every item in the jobs table: job records, and anything else a create writes (usage counters). */
  items: number;
}

describe('E2E: bad input is refused on the local stack', () => {
  let stack: LocalStack;
  let emulator: SegmindEmulator;
  let workDir: string;
  let s3: S3Client;
  let dynamo: DynamoDBClient;
  let frames: Frames;

  const put = (key: string, body: Uint8Array | string, contentType: string) =>
    s3.send(new PutObjectCommand({ Bucket: stack.endpoints.bucket, Key: key, Body: body, ContentType: contentType }));

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-bad-input-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [`${TENANT}:${API_KEY}`],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      // As in AWS: plain-http and private callback receivers are refused.
      lambdaEnvironment: { FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS: '0' },
    });
    if (!stack.emulator) throw new Error('the bad-input suite needs the Segmind emulator');
    emulator = stack.emulator;
    const { endpoints } = stack;
    s3 = localS3Client(endpoints);
    dynamo = new DynamoDBClient({
      endpoint: endpoints.dynamoDbUrl,
      region: endpoints.region,
      credentials: endpoints.credentials,
    });
    const [first, last] = await Promise.all([
      readFile(path.join(examples, 'first.png')),
      readFile(path.join(examples, 'last.png')),
    ]);
    await put('uploads/bad-input/good/first.png', first, 'image/png');
    await put('uploads/bad-input/good/last.png', last, 'image/png');
    frames = {
      first: `s3://${endpoints.bucket}/uploads/bad-input/good/first.png`,
      last: `s3://${endpoints.bucket}/uploads/bad-input/good/last.png`,
    };
    for (const frame of frameFileCases) {
      await put(`uploads/bad-input/${frame.key}`, frame.bytes(), frame.contentType);
    }
    for (const key of Object.values(FOREIGN_OBJECTS)) await put(key, first, 'image/png');
    await put('inbox/frames/first.png', first, 'image/png');
    await put('inbox/frames/last.png', last, 'image/png');
    for (const [name, bytes] of Object.entries(inboxFrames)) {
      await put(`inbox/frames/${name}`, bytes(), 'application/octet-stream');
    }
    await stack.idle();
  });

  afterAll(async () => {
    s3?.destroy();
    dynamo?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  /** Sends exactly what the case says (path verbatim, raw headers) to the local API, on a fresh connection. */
  function send(request: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Uint8Array;
  }): Promise<Answer> {
    const { port } = new URL(stack.endpoints.apiUrl);
    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        {
          host: '127.0.0.1',
          port: Number(port),
          method: request.method,
          path: request.path,
          headers: request.headers,
          // A connection per request: no case can leave a half-read body in front of the next one.
          agent: false,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              contentType: response.headers['content-type'],
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  }

  function sendCase(c: HttpCase): Promise<Answer> {
    const body = c.raw ? c.raw(frames) : c.json ? JSON.stringify(c.json(frames)) : undefined;
    const contentType = c.contentType === undefined ? (body === undefined ? null : 'application/json') : c.contentType;
    const apiKey = c.apiKey === undefined ? API_KEY : c.apiKey;
    return send({
      method: c.method,
      path: c.path,
      headers: {
        ...(apiKey === null ? {} : { 'x-api-key': apiKey }),
        ...(contentType === null ? {} : { 'content-type': contentType }),
        ...c.headers,
      },
      body,
    });
  }

  async function effects(): Promise<Effects> {
    const count = (filter?: object) =>
      dynamo
        .send(new ScanCommand({ TableName: stack.endpoints.jobsTable, Select: 'COUNT', ...filter }))
        .then((answer) => answer.Count ?? 0);
    return {
      executions: stack.stateMachines
        .all()
        .reduce((sum, machine) => sum + machine.list(machine.stateMachineArn).length, 0),
      submitRequests: emulator.submitRequests(),
      jobs: await count({
        FilterExpression: 'attribute_exists(#request)',
        ExpressionAttributeNames: { '#request': 'request' },
      }),
      items: await count(),
    };
  }

  /**
   * Segmind's shape, `{error, error_code, details}` and nothing else, naming the
   * field and the rule: in `details` when it lists fields, else in the message.
   */
  function expectRefusal(answer: Answer, refusal: Refusal) {
    expect(answer.status, answer.text.slice(0, 500)).toBe(refusal.status);
    expect(answer.contentType).toMatch(/^application\/json/);
    const body = z.strictObject(errorBodySchema.shape).parse(JSON.parse(answer.text));
    expect(body.error_code).toBe(refusal.code);
    expect(statusOfApiError(body.error_code)).toBe(refusal.status);
    expect(body.error).toContain(refusal.field);
    if (body.details.length > 0) {
      expect(body.details).toContainEqual({ field: refusal.field, rule: expect.stringMatching(refusal.rule) });
    } else {
      expect(body.error).toMatch(refusal.rule);
    }
  }

  async function expectRefused(c: HttpCase) {
    // Arrange
    const before = await effects();

    // Act
    const answer = await sendCase(c);
    await stack.idle();

    // Assert
    expectRefusal(answer, c);
    expect(await effects()).toEqual(before);
  }

  it('runs with private callbacks switched off, as in AWS', () => {
    expect(process.env.FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS).toBe('0');
  });

  describe('request parameters (every rule of the parameters table)', () => {
    it.each(parameterCases)('$name', expectRefused);
  });

  describe('bodies: not an object, not JSON, not sent as JSON, too big', () => {
    it.each(bodyCases)('$name', expectRefused);
  });

  describe('Idempotency-Key header', () => {
    it.each(idempotencyKeyCases)('$name', expectRefused);
  });

  describe('non-public hosts in every URL field', () => {
    it.each(nonPublicUrlCases)('$name', expectRefused);
  });

  describe('bad ids and unknown routes', () => {
    it.each(pathCases)('$name', expectRefused);
  });

  describe('list query parameters', () => {
    it.each(listQueryCases)('$name', expectRefused);
  });

  describe('upload requests', () => {
    it.each(uploadCases)('$name', expectRefused);
  });

  describe('API keys', () => {
    it.each(authCases)('$name', expectRefused);
  });

  describe('methods', () => {
    it.each(methodCases)('$name', expectRefused);
  });

  describe('s3:// frames that are not usable images', () => {
    it.each(frameFileCases)('$name as $field', async (frame: FrameFileCase) => {
      const c: HttpCase = {
        name: frame.name,
        method: 'POST',
        path: '/v2/pixverse-5-transition',
        json: (good) => ({
          ...goodTransition(good),
          [frame.field]: `s3://${stack.endpoints.bucket}/uploads/bad-input/${frame.key}`,
        }),
        status: 400,
        code: 'invalid_request',
        field: frame.field,
        rule: frame.rule,
      };
      await expectRefused(c);
    });
  });

  describe("s3:// frames that are not the tenant's (one refusal for all)", () => {
    const answers = new Map<string, Answer>();

    it.each(frameScopeCases)('$name', async (c: HttpCase) => {
      // Arrange
      const before = await effects();

      // Act
      const answer = await sendCase(c);
      await stack.idle();

      // Assert
      expectRefusal(answer, c);
      expect(await effects()).toEqual(before);
      answers.set(c.name, answer);
    });

    it('answers every one of them with the same bytes, naming no object', () => {
      expect([...answers.keys()]).toEqual(frameScopeCases.map((c) => c.name));
      for (const answer of answers.values()) {
        expect(JSON.parse(answer.text)).toEqual({
          error: `Invalid request: first_frame_url ${NOT_YOURS_RULE}`,
          error_code: 'invalid_request',
          details: [{ field: 'first_frame_url', rule: NOT_YOURS_RULE }],
        });
      }
      expect(new Set([...answers.values()].map((answer) => `${answer.status} ${answer.text}`)).size).toBe(1);
    });
  });

  describe('presigned uploads used other than as signed: the S3 server refuses them', () => {
    it.each(presignedUploadCases)('$name', async (c: PresignedUploadCase) => {
      // Arrange
      const before = await effects();
      const asked = await send({
        method: 'POST',
        path: '/v2/uploads',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify(c.request),
      });
      expect(asked.status, asked.text).toBe(201);
      const upload = JSON.parse(asked.text) as { upload_url: string; s3_uri: string };
      expect(new URL(upload.upload_url).origin).toBe(new URL(stack.endpoints.s3Url).origin);

      // Act: straight to S3, the body's real length in Content-Length.
      const refused = await fetch(upload.upload_url, {
        method: 'PUT',
        headers: { 'content-type': c.put.contentType },
        body: c.put.body(),
      });
      const text = await refused.text();

      // Assert
      expect(refused.status, text).toBe(c.s3Status);
      expect(text).toMatch(new RegExp(`^<\\?xml[^>]*\\?>\\s*<Error><Code>${c.s3Code}</Code>`));
      const key = upload.s3_uri.replace(`s3://${stack.endpoints.bucket}/`, '');
      expect(key.startsWith(`uploads/${TENANT}/`)).toBe(true);
      await expect(s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: key }))).rejects.toThrow();
      expect(await effects()).toEqual(before);
    });
  });

  describe('S3 intake manifests', () => {
    const objectText = async (key: string): Promise<string | undefined> => {
      try {
        const answer = await s3.send(new GetObjectCommand({ Bucket: stack.endpoints.bucket, Key: key }));
        return (await answer.Body?.transformToString('utf8')) ?? '';
      } catch (error) {
        if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
        throw error;
      }
    };
    const exists = (key: string) =>
      s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: key })).then(
        () => true,
        () => false,
      );

    it.each(manifestCases)('$name', async (c: ManifestCase) => {
      // Arrange
      const key = `inbox/bad-input/${c.file}.json`;
      const errorKey = `outbox/bad-input/${c.file}.error.json`;
      const before = await effects();

      // Act
      await put(key, c.content(), 'application/json');
      await stack.idle();
      const text = await vi.waitFor(
        async () => {
          const found = await objectText(errorKey);
          if (found === undefined) throw new Error(`${errorKey} has not been written yet`);
          return found;
        },
        { timeout: 10_000, interval: 25 },
      );
      await stack.idle();

      // Assert
      const document = JSON.parse(text) as { error: unknown; manifest_key: string };
      expect(document.manifest_key).toBe(key);
      const error = document.error as { code: string; message: string; details: { field: string; rule: string }[] };
      expect(error.code).toBe(c.code);
      if (c.field === undefined) {
        expect(error.message).toMatch(c.rule);
      } else {
        expect(error.message).toContain(c.field);
        expect(error.details).toContainEqual({ field: c.field, rule: expect.stringMatching(c.rule) });
      }
      expect(await effects()).toEqual(before);
      expect(await exists(`outbox/bad-input/${c.file}.mp4`)).toBe(false);
      expect(await exists(`outbox/bad-input/${c.file}.json`)).toBe(false);
    });
  });

  describe('afterwards', () => {
    const IDEMPOTENCY_KEY = 'bad-input-final-job';
    let finalJobId: string;

    it('answers GET /healthz 200', async () => {
      const answer = await send({ method: 'GET', path: '/healthz' });

      expect(answer.status).toBe(200);
    });

    it('still completes a good job: one execution, one upstream submit', async () => {
      // Arrange
      const before = await effects();
      const submissionsBefore = emulator.submissions();

      // Act
      const submitted = await send({
        method: 'POST',
        path: '/v2/pixverse-5-transition',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', 'Idempotency-Key': IDEMPOTENCY_KEY },
        body: JSON.stringify(goodTransition(frames)),
      });
      expect(submitted.status, submitted.text).toBe(202);
      finalJobId = String((JSON.parse(submitted.text) as { request_id: string }).request_id);
      await stack.idle();
      const status = await send({
        method: 'GET',
        path: `/v2/requests/${finalJobId}/status`,
        headers: { 'x-api-key': API_KEY },
      });

      // Assert
      expect(status.status).toBe(200);
      expect(JSON.parse(status.text)).toMatchObject({ request_id: finalJobId, status: 'COMPLETED' });
      expect(stack.stepFunctions.ofJob(stack.endpoints.stateMachineArn, finalJobId)).toHaveLength(1);
      expect(emulator.submissions()).toBe(submissionsBefore + 1);
      const after = await effects();
      expect(after.submitRequests).toBe(before.submitRequests + 1);
      expect(after.jobs).toBe(before.jobs + 1);
    });

    it('refuses its Idempotency-Key with another body: 409 naming the key', async () => {
      await expectRefused({
        name: 'Idempotency-Key reused with another body',
        method: 'POST',
        path: '/v2/pixverse-5-transition',
        headers: { 'Idempotency-Key': IDEMPOTENCY_KEY },
        json: (good) => ({ ...goodTransition(good), seed: 7 }),
        status: 409,
        code: 'idempotency_conflict',
        field: 'Idempotency-Key',
        rule: new RegExp(`already used for request ${finalJobId} with a different body`),
      });
    });

    it('refuses to cancel it once COMPLETED: 409', async () => {
      await expectRefused({
        name: 'cancel a completed job',
        method: 'DELETE',
        path: `/v2/requests/${finalJobId}`,
        status: 409,
        code: 'conflict',
        field: finalJobId,
        rule: /is already COMPLETED; only a queued or running request can be cancelled/,
      });
    });
  });
});
