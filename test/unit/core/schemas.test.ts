import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import {
  parseS3Uri,
  parseTransitionRequest,
  type TransitionRequestInput,
  toSegmindBody,
  transitionRequestSchema,
} from '../../../lambdas/core/schemas';
import { REQUEST_DEFAULTS } from '../requestFixtures';

const validBody = {
  prompt: 'A slow dolly from the sunrise frame into the night skyline',
  first_frame_url: 'https://cdn.example.com/frames/first.png',
  last_frame_url: 'https://cdn.example.com/frames/last.webp',
} satisfies TransitionRequestInput;

type Issue = { field: string; rule: string };

/** The ValidationError `body` raises; fails the test when the body is accepted. */
function rejectionOf(body: unknown): ValidationError {
  try {
    parseTransitionRequest(body);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`expected the body to be rejected: ${JSON.stringify(body)}`);
}

function without(field: keyof typeof validBody): Record<string, unknown> {
  const { [field]: _dropped, ...rest } = validBody;
  return rest;
}

const chars = (count: number) => 'x'.repeat(count);

describe('Core: transition request schema', () => {
  describe('rejections name the field and the rule', () => {
    it.each<[string, Record<string, unknown>, string, RegExp]>([
      ['prompt missing', without('prompt'), 'prompt', /is required/],
      ['prompt empty', { ...validBody, prompt: '' }, 'prompt', /must not be empty/],
      ['prompt of 2049 characters', { ...validBody, prompt: chars(2049) }, 'prompt', /at most 2048 characters/],
      ['prompt not a string', { ...validBody, prompt: 42 }, 'prompt', /must be a string/],
      ['first_frame_url missing', without('first_frame_url'), 'first_frame_url', /is required/],
      ['last_frame_url missing', without('last_frame_url'), 'last_frame_url', /is required/],
      [
        'first_frame_url over http',
        { ...validBody, first_frame_url: 'http://cdn.example.com/a.png' },
        'first_frame_url',
        /https:\/\/ URL or an s3:\/\/bucket\/key URI/,
      ],
      [
        'last_frame_url over ftp',
        { ...validBody, last_frame_url: 'ftp://files.example.com/b.png' },
        'last_frame_url',
        /https:\/\//,
      ],
      [
        'first_frame_url javascript:',
        { ...validBody, first_frame_url: 'javascript:alert(1)' },
        'first_frame_url',
        /https:\/\//,
      ],
      ['last_frame_url garbage', { ...validBody, last_frame_url: 'not a url at all' }, 'last_frame_url', /https:\/\//],
      [
        'first_frame_url with credentials',
        { ...validBody, first_frame_url: 'https://user:secret@cdn.example.com/a.png' },
        'first_frame_url',
        /https:\/\//,
      ],
      [
        'first_frame_url of 2049 characters',
        { ...validBody, first_frame_url: `https://cdn.example.com/${chars(2025)}` },
        'first_frame_url',
        /at most 2048 characters/,
      ],
      [
        's3 URI without a key',
        { ...validBody, first_frame_url: 's3://framebridge-frames' },
        'first_frame_url',
        /s3:\/\/bucket\/key/,
      ],
      [
        's3 URI with an empty key',
        { ...validBody, first_frame_url: 's3://framebridge-frames/' },
        'first_frame_url',
        /s3:\/\/bucket\/key/,
      ],
      [
        's3 URI with an upper-case bucket',
        { ...validBody, last_frame_url: 's3://Framebridge/frame.png' },
        'last_frame_url',
        /s3:\/\/bucket\/key/,
      ],
      [
        's3 URI with a bucket name too short',
        { ...validBody, last_frame_url: 's3://ab/frame.png' },
        'last_frame_url',
        /s3:\/\/bucket\/key/,
      ],
      [
        's3 URI with an underscore in the bucket',
        { ...validBody, last_frame_url: 's3://my_bucket/frame.png' },
        'last_frame_url',
        /s3:\/\/bucket\/key/,
      ],
      ['duration 6', { ...validBody, duration: 6 }, 'duration', /must be 5 or 8/],
      ['duration as the string "5"', { ...validBody, duration: '5' }, 'duration', /must be 5 or 8/],
      [
        'duration 8 at 1080p',
        { ...validBody, duration: 8, quality: '1080p' },
        'duration',
        /must be 5 when quality is 1080p/,
      ],
      ['quality 480p', { ...validBody, quality: '480p' }, 'quality', /must be one of 360p, 540p, 720p, 1080p/],
      ['motion_mode "fast"', { ...validBody, motion_mode: 'fast' }, 'motion_mode', /must be "normal"/],
      ['seed 0', { ...validBody, seed: 0 }, 'seed', /between 1 and 999999/],
      ['seed 1000000', { ...validBody, seed: 1_000_000 }, 'seed', /between 1 and 999999/],
      ['seed 1.5', { ...validBody, seed: 1.5 }, 'seed', /must be an integer/],
      ['seed as the string "12"', { ...validBody, seed: '12' }, 'seed', /must be an integer/],
      [
        'sound_effect_switch "yes"',
        { ...validBody, sound_effect_switch: 'yes' },
        'sound_effect_switch',
        /must be true or false/,
      ],
      [
        'sound_effect_content of 2049 characters',
        { ...validBody, sound_effect_content: chars(2049) },
        'sound_effect_content',
        /at most 2048 characters/,
      ],
      ['lip_sync_switch "no"', { ...validBody, lip_sync_switch: 'no' }, 'lip_sync_switch', /must be true or false/],
      [
        'lip_sync_tts_content of 2049 characters',
        { ...validBody, lip_sync_tts_content: chars(2049) },
        'lip_sync_tts_content',
        /at most 2048 characters/,
      ],
      [
        'lip_sync_tts_speaker_id "15"',
        { ...validBody, lip_sync_tts_speaker_id: '15' },
        'lip_sync_tts_speaker_id',
        /"auto", "1"–"14" or a voice name/,
      ],
      [
        'lip_sync_tts_speaker_id "0"',
        { ...validBody, lip_sync_tts_speaker_id: '0' },
        'lip_sync_tts_speaker_id',
        /"auto", "1"–"14"/,
      ],
      [
        'lip_sync_tts_speaker_id unknown voice',
        { ...validBody, lip_sync_tts_speaker_id: 'Bob' },
        'lip_sync_tts_speaker_id',
        /voice name/,
      ],
      [
        'lip_sync_tts_speaker_id "constructor" (an inherited property name)',
        { ...validBody, lip_sync_tts_speaker_id: 'constructor' },
        'lip_sync_tts_speaker_id',
        /voice name/,
      ],
      [
        'lip_sync_tts_speaker_id "toString"',
        { ...validBody, lip_sync_tts_speaker_id: 'toString' },
        'lip_sync_tts_speaker_id',
        /voice name/,
      ],
      [
        'lip_sync_tts_speaker_id as a number',
        { ...validBody, lip_sync_tts_speaker_id: 3 },
        'lip_sync_tts_speaker_id',
        /must be a string/,
      ],
      [
        'callback_url over ftp (plain http is refused at create time, see publicUrls)',
        { ...validBody, callback_url: 'ftp://hooks.example.com/framebridge' },
        'callback_url',
        /must be an https:\/\/ URL/,
      ],
      ['callback_url garbage', { ...validBody, callback_url: 'hooks' }, 'callback_url', /must be an https:\/\/ URL/],
      [
        'callback_url of 2049 characters',
        { ...validBody, callback_url: `https://hooks.example.com/${chars(2023)}` },
        'callback_url',
        /at most 2048 characters/,
      ],
      ['unknown field foo', { ...validBody, foo: 'bar' }, 'foo', /not a known field/],
    ])('%s', (_case, body, field, rule) => {
      // Act
      const error = rejectionOf(body);

      // Assert
      expect(error.name).toBe('ValidationError');
      expect(error.code).toBe('invalid_request');
      expect(error.issues).toContainEqual<Issue>({ field, rule: expect.stringMatching(rule) });
      expect(error.message).toContain(field);
    });

    it.each<[string, unknown]>([
      ['an array', [validBody]],
      ['a string', JSON.stringify(validBody)],
      ['null', null],
      ['a number', 42],
    ])('rejects a body that is %s as "body must be a JSON object"', (_case, body) => {
      // Act
      const error = rejectionOf(body);

      // Assert
      expect(error.issues).toEqual<Issue[]>([{ field: 'body', rule: 'must be a JSON object' }]);
    });

    it('names both frame fields when both are missing', () => {
      // Arrange
      const { first_frame_url: _first, last_frame_url: _last, ...body } = validBody;

      // Act
      const error = rejectionOf(body);

      // Assert
      expect(error.issues.map((issue) => issue.field).sort()).toEqual(['first_frame_url', 'last_frame_url']);
    });

    it('names every unknown field, each on its own', () => {
      // Act
      const error = rejectionOf({ ...validBody, foo: 1, webhook: 'https://x.example.com' });

      // Assert
      expect(error.issues).toEqual<Issue[]>([
        { field: 'foo', rule: 'is not a known field' },
        { field: 'webhook', rule: 'is not a known field' },
      ]);
    });

    it('reports every broken rule at once, not only the first', () => {
      // Act
      const error = rejectionOf({ ...validBody, prompt: '', seed: 0, quality: '4k' });

      // Assert
      expect(error.issues.map((issue) => issue.field).sort()).toEqual(['prompt', 'quality', 'seed']);
    });
  });

  describe('accepted values', () => {
    it('applies the documented defaults and keeps the given fields', () => {
      // Act
      const request = parseTransitionRequest(validBody);

      // Assert
      expect(request).toEqual({
        ...validBody,
        ...REQUEST_DEFAULTS,
      });
      expect(Object.keys(request)).not.toContain('callback_url');
    });

    it.each<[string, Partial<Record<string, unknown>>]>([
      ['prompt of 2048 characters', { prompt: chars(2048) }],
      ['seed 1', { seed: 1 }],
      ['seed 999999', { seed: 999_999 }],
      ['duration 8 at 720p', { duration: 8, quality: '720p' }],
      ['duration 5 at 1080p', { duration: 5, quality: '1080p' }],
      ['quality 360p', { quality: '360p' }],
      ['sound off with content', { sound_effect_switch: false, sound_effect_content: chars(2048) }],
      ['lip sync on with content', { lip_sync_switch: true, lip_sync_tts_content: 'Hello there' }],
      ['an https callback_url', { callback_url: 'https://hooks.example.com/framebridge?token=abc' }],
      ['an https frame URL with a query', { first_frame_url: 'https://cdn.example.com/a.jpg?X-Amz-Signature=1' }],
      ['an s3 URI frame', { first_frame_url: 's3://framebridge-frames/uploads/01J/first.png' }],
      ['an s3 URI with dots in the bucket', { last_frame_url: 's3://my.frames-1/a/b/c.jpg' }],
    ])('accepts %s', (_case, fields) => {
      // Act
      const request = parseTransitionRequest({ ...validBody, ...fields });

      // Assert
      expect(request).toMatchObject(fields);
    });

    it.each([
      ['emily', '1'],
      ['ETHAN', '14'],
      ['Harper', '7'],
      ['Auto', 'auto'],
      ['auto', 'auto'],
      ['14', '14'],
      [' 3 ', '3'],
    ])('normalises lip_sync_tts_speaker_id %j to %j', (given, stored) => {
      // Act
      const request = parseTransitionRequest({ ...validBody, lip_sync_tts_speaker_id: given });

      // Assert
      expect(request.lip_sync_tts_speaker_id).toBe(stored);
    });

    it('parses a stored (already parsed) request to the same value', () => {
      // Arrange
      const once = parseTransitionRequest({ ...validBody, lip_sync_tts_speaker_id: 'Emily', duration: 8 });

      // Act
      const twice = parseTransitionRequest(once);

      // Assert
      expect(twice).toEqual(once);
    });
  });

  describe('parseS3Uri', () => {
    it.each([
      ['s3://framebridge-frames/uploads/a.png', { bucket: 'framebridge-frames', key: 'uploads/a.png' }],
      ['s3://abc/k', { bucket: 'abc', key: 'k' }],
    ])('splits %s into bucket and key', (uri, parts) => {
      expect(parseS3Uri(uri)).toEqual(parts);
    });

    it.each([
      's3://bucket',
      's3://bucket/',
      'https://bucket.s3.amazonaws.com/key',
      's3://-bucket/key',
      'S3://bucket/key',
    ])('refuses %s', (uri) => {
      expect(parseS3Uri(uri)).toBeUndefined();
    });
  });

  describe('toSegmindBody', () => {
    /** A request setting every field the schema knows, optional ones included. */
    const everyField = {
      ...validBody,
      first_frame_url: 's3://framebridge-frames/uploads/first.png',
      duration: 8,
      quality: '720p',
      motion_mode: 'normal',
      seed: 4242,
      sound_effect_switch: false,
      sound_effect_content: 'rain on glass',
      lip_sync_switch: true,
      lip_sync_tts_content: 'Good evening',
      lip_sync_tts_speaker_id: 'Isabella',
      callback_url: 'https://hooks.example.com/framebridge',
    } satisfies TransitionRequestInput;
    /** Our extensions: validated and stored, never sent upstream. */
    const framebridgeOnly: readonly string[] = ['callback_url'];

    it('is tested with a request that sets every field of the schema', () => {
      expect(Object.keys(everyField).sort()).toEqual(Object.keys(transitionRequestSchema.shape).sort());
    });

    it('never sends callback_url', () => {
      // Act
      const body = toSegmindBody(parseTransitionRequest(everyField));

      // Assert
      expect(body).not.toHaveProperty('callback_url');
    });

    it('sends every Segmind field present, with its parsed value', () => {
      // Arrange
      const request = parseTransitionRequest(everyField);
      const segmindFields = Object.entries(request).filter(([field]) => !framebridgeOnly.includes(field));

      // Act
      const body = toSegmindBody(request);

      // Assert
      expect(segmindFields).toHaveLength(Object.keys(everyField).length - framebridgeOnly.length);
      expect(body).toStrictEqual(Object.fromEntries(segmindFields));
      expect(body.lip_sync_tts_speaker_id).toBe('3');
    });

    it('sends the defaults and leaves out the optional fields a request does not set', () => {
      // Act
      const body = toSegmindBody(parseTransitionRequest(validBody));

      // Assert
      expect(body).toStrictEqual({
        ...validBody,
        ...REQUEST_DEFAULTS,
      });
    });
  });
});
