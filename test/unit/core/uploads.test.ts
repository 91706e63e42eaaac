import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import {
  FRAME_PREFIXES,
  frameKeyIn,
  inboxFrameScope,
  isKeyUnder,
  parseUploadRequest,
  tenantFrameScope,
  tenantUploadsPrefix,
  uploadKey,
} from '../../../lambdas/core/uploads';

const BUCKET = 'framebridge-frames';
const ULID = '01JABCDEFGHJKMNPQRSTVWXYZ0';

describe('Core: upload keys', () => {
  it('puts an upload under uploads/<tenant>/<upload id>/, named after the file or the type', () => {
    expect(uploadKey('acme', ULID, { content_type: 'image/png', content_length: 10 })).toBe(
      `uploads/acme/${ULID}/frame.png`,
    );
    expect(uploadKey('acme', ULID, { content_type: 'image/jpeg', content_length: 10, filename: 'a.jpg' })).toBe(
      `uploads/acme/${ULID}/a.jpg`,
    );
  });

  it.each(['', 'Acme', 'acme/../globex', 'a/b', '../x', 's3:bucket', '.'])(
    'refuses %j as a tenant id (no key outside the tenant prefix can be made)',
    (tenantId) => {
      expect(() => tenantUploadsPrefix(tenantId)).toThrow(/is not a tenant id/);
    },
  );

  it('reads frames only from uploads/ and inbox/', () => {
    expect(FRAME_PREFIXES).toEqual(['uploads/', 'inbox/']);
  });
});

describe('Core: parseUploadRequest', () => {
  it('accepts a frame type and a length from 1 byte to 20 MB', () => {
    expect(parseUploadRequest({ content_type: 'image/webp', content_length: 1 })).toEqual({
      content_type: 'image/webp',
      content_length: 1,
    });
    expect(parseUploadRequest({ content_type: 'image/png', content_length: 20 * 1024 * 1024 }).content_length).toBe(
      20_971_520,
    );
  });

  it.each<[string, unknown, string]>([
    ['missing', undefined, "content_length is required and must be the image's size in bytes"],
    ['0', 0, 'content_length must be the image'],
    ['20 MB + 1', 20 * 1024 * 1024 + 1, 'a whole number from 1 to 20971520 (20 MB)'],
    ['a fraction', 2.5, 'a whole number from 1 to 20971520'],
    ['a string', '1024', 'a whole number from 1 to 20971520'],
  ])('refuses content_length %s, naming the field and the rule', (_case, contentLength, message) => {
    // Act
    const parse = () => parseUploadRequest({ content_type: 'image/png', content_length: contentLength });

    // Assert
    expect(parse).toThrow(ValidationError);
    expect(parse).toThrow(message);
  });
});

describe('Core: frame scopes', () => {
  const acme = tenantFrameScope(BUCKET, 'acme');
  const inbox = inboxFrameScope(BUCKET);

  it("admits the tenant's own uploads", () => {
    expect(frameKeyIn(acme, `s3://${BUCKET}/uploads/acme/${ULID}/frame.png`)).toBe(`uploads/acme/${ULID}/frame.png`);
    expect(frameKeyIn(acme, `s3://${BUCKET}/uploads/acme/first.png`)).toBe('uploads/acme/first.png');
  });

  it.each([
    ["another tenant's upload", `s3://${BUCKET}/uploads/globex/${ULID}/frame.png`],
    ['a tenant whose name starts the same', `s3://${BUCKET}/uploads/acme-2/${ULID}/frame.png`],
    ['the uploads prefix itself', `s3://${BUCKET}/uploads/acme/`],
    ['an upload of no tenant', `s3://${BUCKET}/uploads/${ULID}/frame.png`],
    ['a frame in inbox/', `s3://${BUCKET}/inbox/frames/first.png`],
    ['a result under jobs/', `s3://${BUCKET}/jobs/${ULID}/video.mp4`],
    ['a result under outbox/', `s3://${BUCKET}/outbox/clip.mp4`],
    ['a .. segment back out of the prefix', `s3://${BUCKET}/uploads/acme/../globex/frame.png`],
    ['a . segment', `s3://${BUCKET}/uploads/acme/./frame.png`],
    ['an empty segment', `s3://${BUCKET}/uploads/acme//frame.png`],
    ['the same key in another bucket', `s3://someone-elses-bucket/uploads/acme/${ULID}/frame.png`],
    ['an https URL', 'https://cdn.example.com/uploads/acme/frame.png'],
  ])('keeps out %s', (_case, uri) => {
    expect(frameKeyIn(acme, uri)).toBeUndefined();
  });

  it("gives every refusal of a tenant's scope one rule that names nothing in the bucket", () => {
    expect(acme.rule).toBe('must be an s3:// URI of a frame this tenant uploaded (POST /v2/uploads)');
    expect(tenantFrameScope(BUCKET, 'globex').rule).toBe(acme.rule);
  });

  it('admits the intake only to inbox/', () => {
    expect(frameKeyIn(inbox, `s3://${BUCKET}/inbox/frames/first.png`)).toBe('inbox/frames/first.png');
    expect(frameKeyIn(inbox, `s3://${BUCKET}/uploads/acme/${ULID}/frame.png`)).toBeUndefined();
    expect(frameKeyIn(inbox, `s3://${BUCKET}/outbox/x.png`)).toBeUndefined();
    expect(inbox.rule).toMatch(/the intake reads frames from inbox\/ only/);
  });

  it.each([
    ['uploads/', 'uploads/a/b.png', true],
    ['uploads/', 'uploads/', false],
    ['uploads/', 'uploadsX/a.png', false],
    ['uploads/', 'uploads/a/../b.png', false],
    ['uploads/', 'uploads/a/', false],
  ])('isKeyUnder(%j, %j) is %s', (prefix, key, expected) => {
    expect(isKeyUnder(prefix, key)).toBe(expected);
  });
});
