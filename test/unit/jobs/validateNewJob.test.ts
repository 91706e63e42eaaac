import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import type { Resolve } from '../../../lambdas/jobs/publicUrls';
import {
  type ValidateNewJobDeps,
  type ValidateNewJobOptions,
  validateNewJob,
} from '../../../lambdas/jobs/validateNewJob';
import { REQUEST_DEFAULTS, validBody } from '../requestFixtures';
import { pngHeader, serveBucket } from './fakeBucket';

const BUCKET = 'framebridge-bucket-test';
const TENANT = 'acme';
const MINE = `uploads/${TENANT}/01JABCDEFGHJKMNPQRSTVWXYZ0`;
/** The one refusal of every s3:// frame an API job may not use: another tenant's, outside uploads/, or missing. */
const NOT_YOURS = 'must be an s3:// URI of a frame this tenant uploaded (POST /v2/uploads)';
/** An API job of the tenant. */
const asTenant: ValidateNewJobOptions = { owner: TENANT, source: { type: 'api' } };
/** A job from a manifest in the intake's inbox/. */
const asIntake: ValidateNewJobOptions = {
  owner: `s3:${BUCKET}`,
  source: { type: 's3', bucket: BUCKET, key: 'inbox/clip.json', name: 'clip' },
};
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
  objects.set(`${MINE}/first.png`, pngHeader(1280, 720));
  objects.set('uploads/globex/01JZZZZZZZZZZZZZZZZZZZZZZZ/first.png', pngHeader(1280, 720));
  objects.set('inbox/frames/first.png', pngHeader(1280, 720));
  objects.set('jobs/01JABCDEFGHJKMNPQRSTVWXYZ0/video.mp4', new Uint8Array(64));
  resolve = vi.fn<Resolve>(async (host) => {
    const addresses = dns[host];
    if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses;
  });
});

describe('Function: validateNewJob', () => {
  it('returns the request as stored, defaults applied, after every check passed', async () => {
    // Arrange
    const body = { ...validBody, first_frame_url: `s3://${BUCKET}/${MINE}/first.png` };

    // Act
    const request = await validateNewJob(body, deps(), asTenant);

    // Assert
    expect(request).toEqual({
      ...body,
      ...REQUEST_DEFAULTS,
    });
    expect(s3Mock.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: `${MINE}/first.png`,
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a body that breaks the schema', { ...validBody, seed: 0 }, 'Invalid request: seed must be between 1 and 999999'],
    ['an unknown field', { ...validBody, notify: true }, 'Invalid request: notify is not a known field'],
    [
      'an s3:// frame in another bucket',
      { ...validBody, last_frame_url: 's3://someone-elses-bucket/b.png' },
      `Invalid request: last_frame_url ${NOT_YOURS}`,
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
      { ...validBody, last_frame_url: `s3://${BUCKET}/${MINE}/missing.png` },
      `Invalid request: last_frame_url ${NOT_YOURS}`,
    ],
  ])('refuses %s with one message naming the field and the rule', async (_case, body, message) => {
    // Act
    const error = await refusalOf(validateNewJob(body, deps(), asTenant));

    // Assert
    expect(error.message).toBe(message);
    expect(error.code).toBe('invalid_request');
  });

  it('names every field a stage refuses, in one error', async () => {
    // Arrange
    const body = { ...validBody, first_frame_url: 's3://other/a.png', last_frame_url: 's3://other/b.png' };

    // Act
    const error = await refusalOf(validateNewJob(body, deps(), asTenant));

    // Assert
    expect(error.issues.map((issue) => issue.field)).toEqual(['first_frame_url', 'last_frame_url']);
  });

  it('checks the schema first: nothing is resolved or read for a body that breaks it', async () => {
    // Arrange
    const body = { ...validBody, prompt: '', first_frame_url: 's3://other/a.png', callback_url: 'https://10.0.0.1/' };

    // Act
    const error = await refusalOf(validateNewJob(body, deps(), asTenant));

    // Assert
    expect(error.issues).toEqual([{ field: 'prompt', rule: 'must not be empty' }]);
    expect(resolve).not.toHaveBeenCalled();
    expect(s3Reads()).toBe(0);
  });

  it('checks the frame scope before the addresses: nothing is resolved for a frame in another bucket', async () => {
    // Arrange
    const body = {
      ...validBody,
      first_frame_url: 's3://other/a.png',
      last_frame_url: 'https://rebind.example.com/b.png',
    };

    // Act
    const error = await refusalOf(validateNewJob(body, deps(), asTenant));

    // Assert
    expect(error.issues.map((issue) => issue.field)).toEqual(['first_frame_url']);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('checks the addresses before reading frames: nothing is read for a private URL', async () => {
    // Arrange
    const body = {
      ...validBody,
      first_frame_url: 'https://rebind.example.com/a.png',
      last_frame_url: `s3://${BUCKET}/${MINE}/missing.png`,
    };

    // Act
    const error = await refusalOf(validateNewJob(body, deps(), asTenant));

    // Assert
    expect(error.issues.map((issue) => issue.field)).toEqual(['first_frame_url']);
    expect(s3Reads()).toBe(0);
  });

  it('reads no frames when told not to (a repeat of a create that read them)', async () => {
    // Arrange
    const body = { ...validBody, last_frame_url: `s3://${BUCKET}/${MINE}/missing.png` };

    // Act
    const request = await validateNewJob(body, deps(), { ...asTenant, readFrames: false });

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
      const error = await refusalOf(validateNewJob(body, deps({ allowPrivateCallbacks }), asTenant));

      // Assert
      expect(error.message).toMatch(/^Invalid request: callback_url must be an https:\/\/ URL/);
    },
  );

  it('allows a plain-http loopback callback with the local development switch', async () => {
    // Arrange
    const body = { ...validBody, callback_url: 'http://127.0.0.1:9000/hook' };

    // Act
    const request = await validateNewJob(body, deps({ allowPrivateCallbacks: true }), asTenant);

    // Assert
    expect(request.callback_url).toBe(body.callback_url);
  });
  describe('s3:// frames belong to their tenant', () => {
    const firstFrame = (uri: string) => ({ ...validBody, first_frame_url: uri });

    it.each([
      ["another tenant's upload (which exists)", `s3://${BUCKET}/uploads/globex/01JZZZZZZZZZZZZZZZZZZZZZZZ/first.png`],
      ['a frame under inbox/ (which exists)', `s3://${BUCKET}/inbox/frames/first.png`],
      ['a result under jobs/ (which exists)', `s3://${BUCKET}/jobs/01JABCDEFGHJKMNPQRSTVWXYZ0/video.mp4`],
      ['an upload of no tenant', `s3://${BUCKET}/uploads/first.png`],
      ['a tenant whose name starts the same', `s3://${BUCKET}/uploads/acme-2/first.png`],
      ["a .. path back out of the tenant's prefix", `s3://${BUCKET}/${MINE}/../../globex/first.png`],
      ['the same key in another bucket', `s3://someone-elses-bucket/${MINE}/first.png`],
    ])('refuses %s with the one rule, before reading anything', async (_case, uri) => {
      // Act
      const error = await refusalOf(validateNewJob(firstFrame(uri), deps(), asTenant));

      // Assert
      expect(error.message).toBe(`Invalid request: first_frame_url ${NOT_YOURS}`);
      expect(error.issues).toEqual([{ field: 'first_frame_url', rule: NOT_YOURS }]);
      expect(s3Reads()).toBe(0);
      expect(resolve).not.toHaveBeenCalled();
    });

    it("refuses a missing frame under the tenant's own prefix with the same rule as another tenant's", async () => {
      // Act
      const missing = await refusalOf(
        validateNewJob(firstFrame(`s3://${BUCKET}/${MINE}/missing.png`), deps(), asTenant),
      );
      const foreign = await refusalOf(
        validateNewJob(
          firstFrame(`s3://${BUCKET}/uploads/globex/01JZZZZZZZZZZZZZZZZZZZZZZZ/first.png`),
          deps(),
          asTenant,
        ),
      );

      // Assert
      expect(missing.message).toBe(foreign.message);
      expect(missing.issues).toEqual(foreign.issues);
    });

    it('takes a 403 on its own prefix (the role may not list the bucket) as missing, with the same rule', async () => {
      // Arrange
      s3Mock
        .on(HeadObjectCommand, { Key: `${MINE}/hidden.png` })
        .rejects(Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } }));

      // Act
      const error = await refusalOf(validateNewJob(firstFrame(`s3://${BUCKET}/${MINE}/hidden.png`), deps(), asTenant));

      // Assert
      expect(error.issues).toEqual([{ field: 'first_frame_url', rule: NOT_YOURS }]);
    });

    it("still says what is wrong with the tenant's own object", async () => {
      // Arrange
      objects.set(`${MINE}/notes.png`, new TextEncoder().encode('these are my notes, not a picture'));

      // Act
      const error = await refusalOf(validateNewJob(firstFrame(`s3://${BUCKET}/${MINE}/notes.png`), deps(), asTenant));

      // Assert
      expect(error.issues).toEqual([
        { field: 'first_frame_url', rule: expect.stringMatching(/must be a PNG, JPEG or WebP image/) },
      ]);
    });

    it("holds a job without a source to the tenant's uploads", async () => {
      // Act
      const error = await refusalOf(
        validateNewJob(firstFrame(`s3://${BUCKET}/inbox/frames/first.png`), deps(), { owner: TENANT }),
      );

      // Assert
      expect(error.issues).toEqual([{ field: 'first_frame_url', rule: NOT_YOURS }]);
    });

    it("refuses even a replay's frames outside the scope (readFrames: false)", async () => {
      // Act
      const error = await refusalOf(
        validateNewJob(firstFrame(`s3://${BUCKET}/inbox/frames/first.png`), deps(), { ...asTenant, readFrames: false }),
      );

      // Assert
      expect(error.issues).toEqual([{ field: 'first_frame_url', rule: NOT_YOURS }]);
    });
  });

  describe('a manifest from the S3 intake', () => {
    it('reads its frames from inbox/', async () => {
      // Act
      const request = await validateNewJob(
        { ...validBody, first_frame_url: `s3://${BUCKET}/inbox/frames/first.png` },
        deps(),
        asIntake,
      );

      // Assert
      expect(request.first_frame_url).toBe(`s3://${BUCKET}/inbox/frames/first.png`);
      expect(s3Mock.commandCalls(HeadObjectCommand)[0]?.args[0].input.Key).toBe('inbox/frames/first.png');
    });

    it("refuses a tenant's upload, reading nothing", async () => {
      // Act
      const error = await refusalOf(
        validateNewJob({ ...validBody, last_frame_url: `s3://${BUCKET}/${MINE}/first.png` }, deps(), asIntake),
      );

      // Assert
      expect(error.issues).toEqual([
        { field: 'last_frame_url', rule: expect.stringMatching(/the intake reads frames from inbox\/ only/) },
      ]);
      expect(s3Reads()).toBe(0);
    });
  });
});
