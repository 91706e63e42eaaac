import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localS3Client } from '../../local/clients';
import type { SegmindEmulator } from '../../local/emulator/server';
import { type LocalStack, startLocalStack } from '../../local/stack';

const examples = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const ACME_KEY = 'frames-acme-key';
const GLOBEX_KEY = 'frames-globex-key';
/** What every s3:// frame a tenant may not use gets, whatever the reason. */
const REFUSAL = {
  error: 'Invalid request: first_frame_url must be an s3:// URI of a frame this tenant uploaded (POST /v2/uploads)',
  error_code: 'invalid_request',
  details: [
    {
      field: 'first_frame_url',
      rule: 'must be an s3:// URI of a frame this tenant uploaded (POST /v2/uploads)',
    },
  ],
};

interface Answer {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

/** What a refusal must leave unchanged: nothing started, nothing paid for, nothing recorded. */
interface Effects {
  executions: number;
  submitRequests: number;
  jobs: number;
}

describe('E2E: frames belong to their tenant', () => {
  let stack: LocalStack;
  let emulator: SegmindEmulator;
  let workDir: string;
  let s3: S3Client;
  let dynamo: DynamoDBClient;
  let bucket: string;
  let firstPng: Buffer;
  let lastPng: Buffer;
  /** s3:// URIs of frames each tenant uploaded through POST /v2/uploads. */
  const uploaded: Record<string, { first: string; last: string }> = {};

  async function api(route: string, key: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${stack.endpoints.apiUrl}${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
  }

  /** POST /v2/uploads, then PUT the bytes to the presigned URL with the headers it names, as a client would. */
  async function upload(key: string, bytes: Buffer, filename: string): Promise<string> {
    const answer = await api('/v2/uploads', key, {
      content_type: 'image/png',
      content_length: bytes.length,
      filename,
    });
    expect(answer.status, answer.text).toBe(201);
    const { upload_url, headers, s3_uri } = answer.body as {
      upload_url: string;
      headers: Record<string, string>;
      s3_uri: string;
    };
    const put = await fetch(upload_url, { method: 'PUT', headers, body: bytes });
    expect(put.status, await put.text()).toBe(200);
    return s3_uri;
  }

  const transition = (first: string, last: string, prompt = 'A quiet street at dawn turns into night') => ({
    prompt,
    first_frame_url: first,
    last_frame_url: last,
    quality: '360p',
  });

  async function effects(): Promise<Effects> {
    const jobs = await dynamo.send(
      // Job records only: the table also holds each tenant's usage counter.
      new ScanCommand({
        TableName: stack.endpoints.jobsTable,
        Select: 'COUNT',
        FilterExpression: 'attribute_exists(#request)',
        ExpressionAttributeNames: { '#request': 'request' },
      }),
    );
    return {
      executions: stack.stateMachines
        .all()
        .reduce((sum, machine) => sum + machine.list(machine.stateMachineArn).length, 0),
      submitRequests: emulator.submitRequests(),
      jobs: jobs.Count ?? 0,
    };
  }

  async function completes(key: string, body: unknown) {
    const submitted = await api('/v2/pixverse-5-transition', key, body);
    expect(submitted.status, submitted.text).toBe(202);
    const id = String(submitted.body.request_id);
    await stack.idle();
    const status = await api(`/v2/requests/${id}/status`, key);
    expect(status.body).toMatchObject({ request_id: id, status: 'COMPLETED' });
  }

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-frames-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [`acme:${ACME_KEY}`, `globex:${GLOBEX_KEY}`],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    if (!stack.emulator) throw new Error('this suite needs the Segmind emulator');
    emulator = stack.emulator;
    bucket = stack.endpoints.bucket;
    s3 = localS3Client(stack.endpoints);
    dynamo = new DynamoDBClient({
      endpoint: stack.endpoints.dynamoDbUrl,
      region: stack.endpoints.region,
      credentials: stack.endpoints.credentials,
    });
    [firstPng, lastPng] = await Promise.all([
      readFile(path.join(examples, 'first.png')),
      readFile(path.join(examples, 'last.png')),
    ]);
    for (const [tenant, key] of [
      ['acme', ACME_KEY],
      ['globex', GLOBEX_KEY],
    ] as const) {
      uploaded[tenant] = {
        first: await upload(key, firstPng, 'first.png'),
        last: await upload(key, lastPng, 'last.png'),
      };
    }
    // A frame the S3 intake may read: a valid image, there for anyone who can name it.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'inbox/frames/first.png', Body: firstPng }));
    await stack.idle();
  });

  afterAll(async () => {
    s3?.destroy();
    dynamo?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it("puts each tenant's uploads under uploads/<tenant id>/", () => {
    expect(stack.ownerOf(ACME_KEY)).toBe('acme');
    expect(uploaded.acme?.first).toMatch(
      new RegExp(`^s3://${bucket}/uploads/acme/[0-9A-HJKMNP-TV-Z]{26}/first\\.png$`),
    );
    expect(uploaded.globex?.first).toMatch(
      new RegExp(`^s3://${bucket}/uploads/globex/[0-9A-HJKMNP-TV-Z]{26}/first\\.png$`),
    );
  });

  describe('globex naming a frame it may not use', () => {
    const cases: [string, () => string][] = [
      ["acme's uploaded frame", () => uploaded.acme?.first ?? ''],
      ['a missing frame under its own uploads', () => `s3://${bucket}/uploads/globex/01JABCDEFGHJKMNPQRSTVWXYZ0/x.png`],
      ["a missing frame under acme's uploads", () => `s3://${bucket}/uploads/acme/01JABCDEFGHJKMNPQRSTVWXYZ0/x.png`],
      ['a frame in inbox/', () => `s3://${bucket}/inbox/frames/first.png`],
      ['a frame in another bucket', () => 's3://someone-elses-bucket/uploads/globex/first.png'],
    ];
    const answers = new Map<string, Answer>();

    it.each(cases)('%s: 400 with the one refusal, nothing started, nothing paid', async (name, frame) => {
      // Arrange
      const before = await effects();

      // Act
      const answer = await api(
        '/v2/pixverse-5-transition',
        GLOBEX_KEY,
        transition(frame(), uploaded.globex?.last ?? ''),
      );
      await stack.idle();

      // Assert
      expect(answer.status, answer.text).toBe(400);
      expect(answer.body).toEqual(REFUSAL);
      expect(await effects()).toEqual(before);
      answers.set(name, answer);
    });

    it('answers every one of them with the same bytes', () => {
      const bodies = new Set(cases.map(([name]) => answers.get(name)?.text));

      expect(answers.size).toBe(cases.length);
      expect(bodies.size).toBe(1);
    });
  });

  it('lets each tenant use its own uploads: the frames that were refused to globex exist and work', async () => {
    await completes(ACME_KEY, transition(uploaded.acme?.first ?? '', uploaded.acme?.last ?? ''));
    await completes(GLOBEX_KEY, transition(uploaded.globex?.first ?? '', uploaded.globex?.last ?? ''));
  });

  it('keeps the S3 intake reading its frames from inbox/', async () => {
    // Arrange
    const before = await effects();
    const manifest = JSON.stringify(transition('frames/first.png', 'frames/first.png', 'inbox frames'));

    // Act
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'inbox/frames-test.json', Body: manifest }));
    await stack.idle();
    const result = await vi.waitFor(
      async () => {
        await stack.idle();
        const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'outbox/frames-test.json' }));
        return JSON.parse((await answer.Body?.transformToString('utf8')) ?? '{}') as Record<string, unknown>;
      },
      { timeout: 10_000, interval: 50 },
    );

    // Assert
    expect(result).toMatchObject({ status: 'COMPLETED', manifest_key: 'inbox/frames-test.json' });
    expect((await effects()).submitRequests).toBe(before.submitRequests + 1);
  });
});
