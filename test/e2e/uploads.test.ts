import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3Client } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';

const examples = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const KEY = 'uploads-acme-key';
const MB20 = 20 * 1024 * 1024;

interface Upload {
  upload_url: string;
  method: string;
  headers: Record<string, string>;
  s3_uri: string;
  expires_at: string;
}

/** A PNG signature followed by zeros: S3 does not look inside, only at the size and type. */
const pngOfSize = (bytes: number) => {
  const body = Buffer.alloc(bytes);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(body);
  return body;
};

describe('E2E: presigned uploads are bounded by S3 itself', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  let firstPng: Buffer;
  let lastPng: Buffer;

  async function requestUpload(body: Record<string, unknown>): Promise<Upload> {
    const response = await fetch(`${stack.endpoints.apiUrl}/v2/uploads`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    expect(response.status, text).toBe(201);
    return JSON.parse(text) as Upload;
  }

  /**
   * PUTs `body` straight to the presigned URL (the local S3 server, not the
   * API). The client computes Content-Length from the body it really sends.
   */
  async function put(upload: Upload, body: Buffer, contentType: string) {
    const response = await fetch(upload.upload_url, { method: 'PUT', headers: { 'content-type': contentType }, body });
    return { status: response.status, text: await response.text() };
  }

  const stored = async (upload: Upload) => {
    const key = upload.s3_uri.replace(`s3://${stack.endpoints.bucket}/`, '');
    try {
      return await s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: key }));
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFound') return undefined;
      throw error;
    }
  };

  /** S3's own refusal: an XML error from the S3 server, with S3's error code. */
  function expectS3Refusal(answer: { status: number; text: string }) {
    expect(answer.status).toBe(403);
    expect(answer.text).toMatch(/^<\?xml[^>]*\?>\s*<Error><Code>SignatureDoesNotMatch<\/Code>/);
  }

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-uploads-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [`acme:${KEY}`],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    s3 = localS3Client(stack.endpoints);
    [firstPng, lastPng] = await Promise.all([
      readFile(path.join(examples, 'first.png')),
      readFile(path.join(examples, 'last.png')),
    ]);
  });

  afterAll(async () => {
    s3?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('points the upload URL at S3, not at the API', async () => {
    const upload = await requestUpload({ content_type: 'image/png', content_length: 10 });

    expect(new URL(upload.upload_url).origin).toBe(new URL(stack.endpoints.s3Url).origin);
    expect(new URL(upload.upload_url).origin).not.toBe(new URL(stack.endpoints.apiUrl).origin);
  });

  it('refuses 20 MB + 1 byte on a URL signed for 20 MB: S3 answers 403 and stores nothing', async () => {
    // Arrange
    const upload = await requestUpload({ content_type: 'image/png', content_length: MB20 });

    // Act
    const answer = await put(upload, pngOfSize(MB20 + 1), 'image/png');

    // Assert
    expectS3Refusal(answer);
    expect(await stored(upload)).toBeUndefined();
  });

  it('refuses 20 MB + 1 byte on a URL signed for the size of a small frame', async () => {
    // Arrange
    const upload = await requestUpload({ content_type: 'image/png', content_length: firstPng.length });

    // Act
    const answer = await put(upload, pngOfSize(MB20 + 1), 'image/png');

    // Assert
    expectS3Refusal(answer);
    expect(await stored(upload)).toBeUndefined();
  });

  it('refuses a body shorter than the signed length', async () => {
    // Arrange
    const upload = await requestUpload({ content_type: 'image/png', content_length: firstPng.length });

    // Act
    const answer = await put(upload, firstPng.subarray(0, 100), 'image/png');

    // Assert
    expectS3Refusal(answer);
    expect(await stored(upload)).toBeUndefined();
  });

  it.each(['image/jpeg', 'text/html', 'application/octet-stream'])(
    'refuses a PNG upload sent as %s',
    async (contentType) => {
      // Arrange
      const upload = await requestUpload({ content_type: 'image/png', content_length: firstPng.length });

      // Act
      const answer = await put(upload, firstPng, contentType);

      // Assert
      expectS3Refusal(answer);
      expect(await stored(upload)).toBeUndefined();
    },
  );

  it('stores exactly 20 MB sent with the headers the answer names', async () => {
    // Arrange
    const upload = await requestUpload({ content_type: 'image/webp', content_length: MB20 });
    expect(upload.headers).toEqual({ 'content-type': 'image/webp', 'content-length': String(MB20) });

    // Act
    const response = await fetch(upload.upload_url, {
      method: upload.method,
      headers: upload.headers,
      body: pngOfSize(MB20),
    });

    // Assert
    expect(response.status).toBe(200);
    expect(await stored(upload)).toMatchObject({ ContentLength: MB20, ContentType: 'image/webp' });
  });

  it('stores a frame sent as asked, under the tenant, and a job can use it', async () => {
    // Arrange
    const first = await requestUpload({ content_type: 'image/png', content_length: firstPng.length });
    const last = await requestUpload({ content_type: 'image/png', content_length: lastPng.length });

    // Act
    const puts = await Promise.all([
      fetch(first.upload_url, { method: first.method, headers: first.headers, body: firstPng }),
      fetch(last.upload_url, { method: last.method, headers: last.headers, body: lastPng }),
    ]);
    const submitted = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: 'A quiet street at dawn turns into night',
        first_frame_url: first.s3_uri,
        last_frame_url: last.s3_uri,
        quality: '360p',
      }),
    });
    const { request_id: id } = (await submitted.json()) as { request_id: string };
    await stack.idle();
    const status = await fetch(`${stack.endpoints.apiUrl}/v2/requests/${id}/status`, { headers: { 'x-api-key': KEY } });

    // Assert
    expect(puts.map((answer) => answer.status)).toEqual([200, 200]);
    expect(first.s3_uri).toMatch(new RegExp(`^s3://${stack.endpoints.bucket}/uploads/acme/`));
    expect(await stored(first)).toMatchObject({ ContentLength: firstPng.length, ContentType: 'image/png' });
    expect(submitted.status).toBe(202);
    expect(await status.json()).toMatchObject({ request_id: id, status: 'COMPLETED' });
  });
});
