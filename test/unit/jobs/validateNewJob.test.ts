import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import type { Resolve } from '../../../lambdas/jobs/publicUrls';
import { type ValidateNewJobDeps, validateNewJob } from '../../../lambdas/jobs/validateNewJob';
import { REQUEST_DEFAULTS, validBody } from '../requestFixtures';
import { pngHeader, serveBucket } from './fakeBucket';

const BUCKET = 'framebridge-bucket-test';
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });

const dns: Record<string, readonly string[]> = {
  'cdn.example.com': ['93.184.215.14'],
  'hooks.example.com': ['93.184.215.15'],
  'rebind.example.com': ['10.0.0.7'],
};

let objects: Map<string, Uint8Array>;
let resolve: ReturnType<typeof vi.fn<Resolve>>;

const deps = (overrides: Partial<ValidateNewJobDeps> = {}): ValidateNewJobDeps => ({
  s3,
  bucket: BUCKET,
  resolve,
  ...overrides,
});

const s3Reads = () => s3Mock.commandCalls(HeadObjectCommand).length + s3Mock.commandCalls(GetObjectCommand).length;

/** The ValidationError `promise` rejects with; fails the test when it resolves or throws anything else. */
async function refusalOf(promise: Promise<unknown>): Promise<ValidationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

beforeEach(() => {
  s3Mock.reset();
  objects = serveBucket(s3Mock);
  objects.set('uploads/first.png', pngHeader(1280, 720));
  resolve = vi.fn<Resolve>(async (host) => {
    const addresses = dns[host];
    if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses;
  });
});

describe('Function: validateNewJob', () => {
  it('returns the request as stored, defaults applied, after every check passed', async () => {
    // Arrange
    const body = { ...validBody, first_frame_url: `s3://${BUCKET}/uploads/first.png` };

    // Act
    const request = await validateNewJob(body, deps());

    // Assert
    expect(request).toEqual({
      ...body,
      ...REQUEST_DEFAULTS,
    });
    expect(s3Mock.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'uploads/first.png',
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a body that breaks the schema', { ...validBody, seed: 0 }, 'Invalid request: seed must be between 1 and 999999'],
    ['an unknown field', { ...validBody, notify: true }, 'Invalid request: notify is not a known field'],
    [
      'an s3:// frame in another bucket',
      { ...validBody, last_frame_url: 's3://someone-elses-bucket/b.png' },
      `Invalid request: last_frame_url must be in s3://${BUCKET}/ (the framebridge bucket)`,
    ],
    [
      'an https frame on a private address',
      { ...validBody, first_frame_url: 'https://10.1.2.3/a.png' },
      'Invalid request: first_frame_url must not point at a non-public address (private)',
    ],
    [
      'an https frame whose name resolves to a private address',
      { ...validBody, first_frame_url: 'https://rebind.example.com/a.png' },
      'Invalid request: first_frame_url must not point at a host that resolves to a non-public address (private)',
    ],
    [
      'a missing s3:// frame',
      { ...validBody, last_frame_url: `s3://${BUCKET}/uploads/missing.png` },
      `Invalid request: last_frame_url must name an existing object (s3://${BUCKET}/uploads/missing.png was not found)`,
    ],
  ])('refuses %s with one message naming the field and the rule', async (_case, body, message) => {
    // Act
    const error = await refusalOf(validateNewJob(body, deps()));

    // Assert
    expect(error.message).toBe(message);
    expect(error.code).toBe('invalid_request');
  });

  it('names every field a stage refuses, in one error', async () => {
    // Arrange
    const body = { ...validBody, first_frame_url: 's3://other/a.png', last_frame_url: 's3://other/b.png' };

    // Act
    const error = await refusalOf(validateNewJob(body, deps()));

    // Assert
    expect(error.issues.map((issue) => issue.field)).toEqual(['first_frame_url', 'last_frame_url']);
  });

  it('checks the schema first: nothing is resolved or read for a body that breaks it', async () => {
    // Arrange
    const body = { ...validBody, prompt: '', first_frame_url: 's3://other/a.png', callback_url: 'https://10.0.0.1/' };

    // Act
    const error = await refusalOf(validateNewJob(body, deps()));

    // Assert
    expect(error.issues).toEqual([{ field: 'prompt', rule: 'must not be empty' }]);
    expect(resolve).not.toHaveBeenCalled();
    expect(s3Reads()).toBe(0);
  });

  it('checks the bucket before the addresses: nothing is resolved for a frame in another bucket', async () => {
    // Arrange
    const body = {
      ...validBody,
      first_frame_url: 's3://other/a.png',
      last_frame_url: 'https://rebind.example.com/b.png',
    };

    // Act
    const error = await refusalOf(validateNewJob(body, deps()));

    // Assert
    expect(error.issues.map((issue) => issue.field)).toEqual(['first_frame_url']);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('checks the addresses before reading frames: nothing is read for a private URL', async () => {
    // Arrange
    const body = {
      ...validBody,
      first_frame_url: 'https://rebind.example.com/a.png',
      last_frame_url: `s3://${BUCKET}/uploads/missing.png`,
    };

    // Act
    const error = await refusalOf(validateNewJob(body, deps()));

    // Assert
    expect(error.issues.map((issue) => issue.field)).toEqual(['first_frame_url']);
    expect(s3Reads()).toBe(0);
  });

  it('reads no frames when told not to (a repeat of a create that read them)', async () => {
    // Arrange
    const body = { ...validBody, last_frame_url: `s3://${BUCKET}/uploads/missing.png` };

    // Act
    const request = await validateNewJob(body, deps(), { readFrames: false });

    // Assert
    expect(request.last_frame_url).toBe(body.last_frame_url);
    expect(s3Reads()).toBe(0);
  });

  it.each([undefined, false])(
    'refuses a plain-http loopback callback when allowPrivateCallbacks is %s',
    async (allowPrivateCallbacks) => {
      // Arrange
      const body = { ...validBody, callback_url: 'http://127.0.0.1:9000/hook' };

      // Act
      const error = await refusalOf(validateNewJob(body, deps({ allowPrivateCallbacks })));

      // Assert
      expect(error.message).toMatch(/^Invalid request: callback_url must be an https:\/\/ URL/);
    },
  );

  it('allows a plain-http loopback callback with the local development switch', async () => {
    // Arrange
    const body = { ...validBody, callback_url: 'http://127.0.0.1:9000/hook' };

    // Act
    const request = await validateNewJob(body, deps({ allowPrivateCallbacks: true }));

    // Assert
    expect(request.callback_url).toBe(body.callback_url);
  });
});
