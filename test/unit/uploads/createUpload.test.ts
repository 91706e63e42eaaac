import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiEvent, bodyOf, errorOf } from '../apiEvent';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';

stubLambdaEnv({ BUCKET_NAME: 'framebridge-bucket-test' });
const s3Mock = mockClient(S3Client);
const { handler: createUpload } = await import('../../../lambdas/uploads/createUpload');

const upload = (body: unknown) => createUpload(apiEvent({ path: '/v2/uploads', body }), lambdaContext('createUpload'));

beforeEach(() => {
  s3Mock.reset();
});

describe('Handler: POST /v2/uploads', () => {
  it('answers 201 with a presigned PUT for uploads/<ulid>/frame.<ext>, its content type signed', async () => {
    // Arrange
    const before = Date.now();

    // Act
    const response = await upload({ content_type: 'image/png' });

    // Assert
    expect(response.statusCode).toBe(201);
    const body = bodyOf(response) as {
      upload_url: string;
      method: string;
      headers: Record<string, string>;
      s3_uri: string;
      expires_at: string;
    };
    expect(body.method).toBe('PUT');
    expect(body.headers).toEqual({ 'content-type': 'image/png' });
    const key = /^s3:\/\/framebridge-bucket-test\/(uploads\/[0-9A-HJKMNP-TV-Z]{26}\/frame\.png)$/.exec(
      body.s3_uri,
    )?.[1];
    expect(key).toBeDefined();
    const url = new URL(body.upload_url);
    expect(decodeURIComponent(url.pathname)).toContain(key);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    // A checksum of the empty body presigned into the URL would make S3 refuse the real image.
    expect([...url.searchParams.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    const expiresAt = Date.parse(body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it.each([
    ['image/jpeg', undefined, /\/frame\.jpg$/],
    ['image/webp', undefined, /\/frame\.webp$/],
    ['image/png', 'first_frame-v2.png', /\/first_frame-v2\.png$/],
  ])('names a %s upload %s after the filename or the type', async (contentType, filename, keyPattern) => {
    // Act
    const body = bodyOf(await upload({ content_type: contentType, ...(filename ? { filename } : {}) }));

    // Assert
    expect(body.s3_uri).toMatch(keyPattern);
  });

  it('gives every upload its own prefix', async () => {
    const first = bodyOf(await upload({ content_type: 'image/png', filename: 'a.png' })).s3_uri;
    const second = bodyOf(await upload({ content_type: 'image/png', filename: 'a.png' })).s3_uri;

    expect(first).not.toBe(second);
  });

  it.each<[string, unknown, string]>([
    ['no content_type', {}, 'content_type'],
    ['a GIF', { content_type: 'image/gif' }, 'content_type'],
    ['a path in the filename', { content_type: 'image/png', filename: '../jobs/x/video.mp4' }, 'filename'],
    ['a slash in the filename', { content_type: 'image/png', filename: 'a/b.png' }, 'filename'],
    ['a filename of 129 characters', { content_type: 'image/png', filename: `${'a'.repeat(125)}.png` }, 'filename'],
    ['a filename with a space', { content_type: 'image/png', filename: 'my frame.png' }, 'filename'],
    ['an unknown field', { content_type: 'image/png', bucket: 'elsewhere' }, 'bucket'],
    ['an array', ['image/png'], 'body'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    // Act
    const response = await upload(body);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details?.map((issue) => issue.field)).toEqual([field]);
  });

  it('answers 401 without an API key id', async () => {
    const response = await createUpload(
      apiEvent({ path: '/v2/uploads', body: { content_type: 'image/png' }, owner: null }),
      lambdaContext('createUpload'),
    );

    expect(response.statusCode).toBe(401);
  });
});
