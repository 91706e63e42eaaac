import { describe, expect, it } from 'vitest';
import {
  MAX_MANIFEST_BYTES,
  ManifestError,
  manifestErrorDocument,
  manifestIdempotencyKey,
  manifestName,
  outboxFailureDocument,
  outboxKeys,
  outboxResultDocument,
  parseManifest,
} from '../../../lambdas/core/manifest';
import { storedJob } from '../fakeJobsTable';

const BUCKET = 'framebridge-bucket';
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const manifest = (fields: Record<string, unknown> = {}) => ({
  prompt: 'dawn to dusk',
  first_frame_url: 'a.png',
  last_frame_url: 'b.png',
  ...fields,
});

/** The ManifestError `parseManifest` raises; fails the test when the manifest is accepted. */
function rejectionOf(body: Uint8Array): ManifestError {
  try {
    parseManifest(body, BUCKET);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('Core: manifest names', () => {
  it.each([
    ['inbox/clip.json', 'clip'],
    ['inbox/2025/march/clip.json', '2025/march/clip'],
    ['inbox/my clip (final).json', 'my_clip__final_'],
    ['inbox/../escape.json', '_/escape'],
    ['inbox/a//b.json', 'a/_/b'],
    ['inbox/.json', '_'],
    ['inbox/café.v2.json', 'café.v2'],
  ])('%s → %s', (key, name) => {
    expect(manifestName(key)).toBe(name);
  });

  it.each([
    'outbox/clip.json',
    'outbox/clip.error.json',
    'inbox/frame.png',
    'inbox/clip.JSON',
    'inbox.json',
    'jobs/01J/result.json',
    'uploads/inbox/clip.json',
  ])('%s is not a manifest', (key) => {
    expect(manifestName(key)).toBeUndefined();
  });

  it('keeps names short enough for outbox/<name>.error.json to be a valid key', () => {
    const name = manifestName(`inbox/${'é'.repeat(500)}.json`) ?? '';

    expect(Buffer.byteLength(outboxKeys(name).error)).toBeLessThanOrEqual(1024);
    expect(name).toMatch(/^é+$/);
  });

  it('puts every answer under outbox/', () => {
    expect(outboxKeys('2025/clip')).toEqual({
      video: 'outbox/2025/clip.mp4',
      result: 'outbox/2025/clip.json',
      error: 'outbox/2025/clip.error.json',
    });
  });
});

describe('Core: manifest idempotency keys', () => {
  it('are stable per key and version, and differ otherwise', () => {
    const key = manifestIdempotencyKey('inbox/clip.json', { etag: 'abc' });

    expect(manifestIdempotencyKey('inbox/clip.json', { etag: 'abc' })).toBe(key);
    expect(manifestIdempotencyKey('inbox/clip.json', { etag: 'abd' })).not.toBe(key);
    expect(manifestIdempotencyKey('inbox/other.json', { etag: 'abc' })).not.toBe(key);
    expect(manifestIdempotencyKey('inbox/clip.json', { versionId: 'abc' })).not.toBe(key);
  });

  it('prefer the version id when the bucket is versioned', () => {
    expect(manifestIdempotencyKey('inbox/clip.json', { versionId: 'v1', etag: 'a' })).toBe(
      manifestIdempotencyKey('inbox/clip.json', { versionId: 'v1', etag: 'b' }),
    );
  });

  it('fit the Idempotency-Key rules (1–255 printable ASCII) whatever the object key', () => {
    const key = manifestIdempotencyKey(`inbox/${'ü'.repeat(400)}.json`, { etag: 'abc' });

    expect(key).toMatch(/^s3-[0-9a-f]{64}$/);
  });

  it('need a version id or an ETag', () => {
    expect(() => manifestIdempotencyKey('inbox/clip.json', {})).toThrow(/version id or an ETag/);
  });
});

describe('Core: parseManifest', () => {
  it('resolves keys relative to inbox/ and applies the API body’s defaults', () => {
    const { request, inboxFrames } = parseManifest(bytes(manifest({ first_frame_url: 'frames/a.png' })), BUCKET);

    expect(request).toMatchObject({
      first_frame_url: `s3://${BUCKET}/inbox/frames/a.png`,
      last_frame_url: `s3://${BUCKET}/inbox/b.png`,
      duration: 5,
      quality: '540p',
      seed: 12345,
    });
    expect(inboxFrames).toEqual([
      { field: 'first_frame_url', key: 'inbox/frames/a.png' },
      { field: 'last_frame_url', key: 'inbox/b.png' },
    ]);
  });

  it('keeps https URLs and s3:// URIs under this bucket’s inbox/ as written', () => {
    const { request, inboxFrames } = parseManifest(
      bytes(
        manifest({
          first_frame_url: 'https://cdn.example.com/a.png',
          last_frame_url: `s3://${BUCKET}/inbox/b.png`,
        }),
      ),
      BUCKET,
    );

    expect(request.first_frame_url).toBe('https://cdn.example.com/a.png');
    expect(request.last_frame_url).toBe(`s3://${BUCKET}/inbox/b.png`);
    expect(inboxFrames).toEqual([{ field: 'last_frame_url', key: 'inbox/b.png' }]);
  });

  it('accepts a UTF-8 byte order mark', () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(manifest())]);

    expect(parseManifest(withBom, BUCKET).request.prompt).toBe('dawn to dusk');
  });

  it.each<[string, Uint8Array, string, RegExp]>([
    ['invalid JSON', bytes('{"prompt":'), 'invalid_json', /not valid UTF-8 JSON/],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), 'invalid_json', /not valid UTF-8 JSON/],
    ['a JSON string', bytes('"hello"'), 'invalid_manifest', /must be a JSON object/],
    ['null', bytes('null'), 'invalid_manifest', /must be a JSON object/],
    ['too many bytes', new Uint8Array(MAX_MANIFEST_BYTES + 1), 'manifest_too_large', /at most 262144 bytes/],
  ])('refuses %s', (_case, body, code, message) => {
    const error = rejectionOf(body);

    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['an absolute key', '/inbox/a.png'],
    ['a parent segment', '../jobs/x/video.mp4'],
    ['a current segment', './a.png'],
    ['an empty segment', 'frames//a.png'],
    ['a backslash', 'frames\\a.png'],
  ])('refuses a frame key with %s, naming the field', (_case, key) => {
    const error = rejectionOf(bytes(manifest({ last_frame_url: key })));

    expect(error.code).toBe('invalid_manifest');
    expect(error.details).toEqual([{ field: 'last_frame_url', rule: expect.stringContaining('relative to inbox/') }]);
  });

  it('refuses s3:// frames outside this bucket’s inbox/', () => {
    const error = rejectionOf(
      bytes(manifest({ first_frame_url: `s3://${BUCKET}/uploads/a.png`, last_frame_url: 's3://other/inbox/b.png' })),
    );

    expect(error.details.map((d) => d.field)).toEqual(['first_frame_url', 'last_frame_url']);
    expect(error.details[0]?.rule).toContain(`s3://${BUCKET}/inbox/`);
  });

  it('names every field that breaks the API body’s rules, unknown ones included', () => {
    const error = rejectionOf(bytes({ first_frame_url: 'a.png', quality: '4k', extra: 1 }));

    expect(error.code).toBe('invalid_manifest');
    expect(error.message).toMatch(/^Invalid manifest: /);
    expect(error.details.map((d) => d.field).sort()).toEqual(['extra', 'last_frame_url', 'prompt', 'quality']);
  });

  it('leaves non-string frames to the schema', () => {
    const error = rejectionOf(bytes(manifest({ first_frame_url: 42 })));

    expect(error.details).toEqual([{ field: 'first_frame_url', rule: 'must be a string' }]);
  });
});

describe('Core: outbox documents', () => {
  const source = { type: 's3' as const, bucket: BUCKET, key: 'inbox/clip.json', name: 'clip' };

  it('describes a bad manifest with its code, message, details and key', () => {
    const error = new ManifestError('frame_not_found', 'Invalid manifest: x', [{ field: 'a', rule: 'b' }]);

    expect(manifestErrorDocument(error, 'inbox/clip.json')).toEqual({
      error: { code: 'frame_not_found', message: 'Invalid manifest: x', details: [{ field: 'a', rule: 'b' }] },
      manifest_key: 'inbox/clip.json',
    });
  });

  it('refuses to describe a result for a job without an output', () => {
    expect(() => outboxResultDocument(storedJob('j1', {}, { source }), BUCKET, 'clip')).toThrow(/not completed/);
  });

  it('describes a failure, even one recorded without a reason', () => {
    const job = storedJob('j1', {}, { status: 'FAILED', phase: 'failed', source });

    expect(outboxFailureDocument(job)).toEqual({
      request_id: 'j1',
      status: 'FAILED',
      error: { code: 'internal_error', message: 'The job failed without a recorded reason' },
      manifest_key: 'inbox/clip.json',
    });
  });
});
