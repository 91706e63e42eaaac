import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiEvent, bodyOf, errorOf } from '../apiEvent';
import { OTHER_OWNER, OWNER } from '../fakeJobsTable';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';

stubLambdaEnv({ BUCKET_NAME: 'framebridge-bucket-test' });
const s3Mock = mockClient(S3Client);
const { handler: createUpload } = await import('../../../lambdas/uploads/createUpload');

const MB20 = 20 * 1024 * 1024;

const upload = (body: unknown, owner: string = OWNER) =>
  createUpload(apiEvent({ path: '/v2/uploads', body, owner }), lambdaContext('createUpload'));

interface UploadAnswer {
  upload_url: string;
  method: string;
  headers: Record<string, string>;
  s3_uri: string;
  expires_at: string;
}

beforeEach(() => {
  s3Mock.reset();
});

describe('Handler: POST /v2/uploads', () => {
  it("answers 201 with a presigned PUT under the tenant's uploads/<tenant>/<ulid>/, its type and length signed", async () => {
    // Arrange
    const before = Date.now();

    // Act
    const response = await upload({ content_type: 'image/png', content_length: 123_456 });

    // Assert
    expect(response.statusCode).toBe(201);
    const body = bodyOf(response) as unknown as UploadAnswer;
    expect(body.method).toBe('PUT');
    expect(body.headers).toEqual({ 'content-type': 'image/png', 'content-length': '123456' });
    const key = new RegExp(`^s3://framebridge-bucket-test/(uploads/${OWNER}/[0-9A-HJKMNP-TV-Z]{26}/frame\\.png)$`).exec(
      body.s3_uri,
    )?.[1];
    expect(key).toBeDefined();
    const url = new URL(body.upload_url);
    expect(decodeURIComponent(url.pathname)).toContain(key);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    // Signed, so S3 refuses a PUT of any other type or size.
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    // A checksum of the empty body presigned into the URL would make S3 refuse the real image.
    expect([...url.searchParams.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    const expiresAt = Date.parse(body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it("puts each tenant's uploads under its own prefix", async () => {
    // Act
    const mine = bodyOf(await upload({ content_type: 'image/png', content_length: 10 })).s3_uri;
    const theirs = bodyOf(await upload({ content_type: 'image/png', content_length: 10 }, OTHER_OWNER)).s3_uri;

    // Assert
    expect(mine).toMatch(new RegExp(`^s3://framebridge-bucket-test/uploads/${OWNER}/`));
    expect(theirs).toMatch(new RegExp(`^s3://framebridge-bucket-test/uploads/${OTHER_OWNER}/`));
  });

  it('accepts exactly 20 MB (20971520 bytes) and signs that length', async () => {
    // Act
    const response = await upload({ content_type: 'image/webp', content_length: MB20 });

    // Assert
    expect(response.statusCode).toBe(201);
    expect((bodyOf(response) as unknown as UploadAnswer).headers['content-length']).toBe(String(MB20));
  });

  it.each([
    ['image/jpeg', undefined, /\/frame\.jpg$/],
    ['image/webp', undefined, /\/frame\.webp$/],
    ['image/png', 'first_frame-v2.png', /\/first_frame-v2\.png$/],
  ])('names a %s upload %s after the filename or the type', async (contentType, filename, keyPattern) => {
    // Act
    const body = bodyOf(
      await upload({ content_type: contentType, content_length: 10, ...(filename ? { filename } : {}) }),
    );

    // Assert
    expect(body.s3_uri).toMatch(keyPattern);
  });

  it('gives every upload its own prefix', async () => {
    const first = bodyOf(await upload({ content_type: 'image/png', content_length: 10, filename: 'a.png' })).s3_uri;
    const second = bodyOf(await upload({ content_type: 'image/png', content_length: 10, filename: 'a.png' })).s3_uri;

    expect(first).not.toBe(second);
  });

  const png = { content_type: 'image/png', content_length: 10 };
  it.each<[string, unknown, string]>([
    ['no content_type', { content_length: 10 }, 'content_type'],
    ['a GIF', { ...png, content_type: 'image/gif' }, 'content_type'],
    ['no content_length', { content_type: 'image/png' }, 'content_length'],
    ['content_length 0', { ...png, content_length: 0 }, 'content_length'],
    ['content_length 20 MB + 1 byte', { ...png, content_length: MB20 + 1 }, 'content_length'],
    ['content_length 1.5', { ...png, content_length: 1.5 }, 'content_length'],
    ['content_length as a string', { ...png, content_length: '10' }, 'content_length'],
    ['content_length negative', { ...png, content_length: -1 }, 'content_length'],
    ['a path in the filename', { ...png, filename: '../jobs/x/video.mp4' }, 'filename'],
    ['a slash in the filename', { ...png, filename: 'a/b.png' }, 'filename'],
    ['a filename of 129 characters', { ...png, filename: `${'a'.repeat(125)}.png` }, 'filename'],
    ['a filename with a space', { ...png, filename: 'my frame.png' }, 'filename'],
    ['an unknown field', { ...png, bucket: 'elsewhere' }, 'bucket'],
    ['an array', ['image/png'], 'body'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    // Act
    const response = await upload(body);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details.map((issue) => issue.field)).toEqual([field]);
  });

  it('says what content_length must be', async () => {
    // Act
    const response = await upload({ content_type: 'image/png', content_length: MB20 + 1 });

    // Assert
    expect(errorOf(response).details).toEqual([
      {
        field: 'content_length',
        rule: "must be the image's size in bytes, a whole number from 1 to 20971520 (20 MB)",
      },
    ]);
  });

  it('answers 401 without a caller the authorizer resolved', async () => {
    const response = await createUpload(
      apiEvent({ path: '/v2/uploads', body: png, owner: null }),
      lambdaContext('createUpload'),
    );

    expect(response.statusCode).toBe(401);
  });
});
