import { describe, expect, it } from 'vitest';
import { InvalidUpstreamOutputError } from '../../../lambdas/core/errors';
import { parseVideoUrl } from '../../../lambdas/providers/segmindOutput';

const VIDEO_URL = 'https://cdn.segmind.com/outputs/abc/video.mp4?X-Amz-Signature=a%2Fb';

/** The error parseVideoUrl throws for `output`, asserted to be InvalidUpstreamOutputError. */
function rejectionOf(output: unknown): InvalidUpstreamOutputError {
  try {
    parseVideoUrl(output);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidUpstreamOutputError);
    if (error instanceof InvalidUpstreamOutputError) return error;
  }
  throw new Error(`expected parseVideoUrl to reject ${String(output)}`);
}

describe('Provider: Segmind client', () => {
  describe('parseVideoUrl', () => {
    it.each([
      ['a URL string', VIDEO_URL],
      ['a URL string with surrounding whitespace', `  ${VIDEO_URL}\n`],
      ['video_url', { video_url: VIDEO_URL }],
      ['url', { url: VIDEO_URL }],
      ['output_url', { output_url: VIDEO_URL }],
      ['video', { video: VIDEO_URL }],
      ['output', { output: VIDEO_URL }],
      ['a nested object', { output: { video_url: VIDEO_URL } }],
      ['an object holding an array', { output: [VIDEO_URL] }],
      ['an array', [VIDEO_URL]],
      ['an array of objects', [{ url: VIDEO_URL }]],
      ['a JSON-encoded string', JSON.stringify(VIDEO_URL)],
      ['a JSON-encoded object', JSON.stringify({ output: { url: VIDEO_URL } })],
      ['a JSON-encoded array', JSON.stringify([VIDEO_URL])],
      ['a JSON-encoded object inside an object', { output: JSON.stringify({ url: VIDEO_URL }) }],
    ])('finds the URL in %s', (_shape, output) => {
      expect(parseVideoUrl(output)).toBe(VIDEO_URL);
    });

    it('accepts a plain-http loopback URL (the local emulator serves one)', () => {
      expect(parseVideoUrl({ video_url: 'http://127.0.0.1:4010/v.mp4' })).toBe('http://127.0.0.1:4010/v.mp4');
    });

    it('tries the keys in order and skips those without a URL', () => {
      const output = { video_url: 'pending', url: 'https://a.test/first.mp4', output_url: 'https://a.test/second.mp4' };

      expect(parseVideoUrl(output)).toBe('https://a.test/first.mp4');
    });

    it('returns the URL exactly as sent, signature encoding intact', () => {
      const signed = 'https://a.test/v.mp4?sig=%2B%2F%3D&b=%7E';

      expect(parseVideoUrl({ video_url: signed })).toBe(signed);
    });

    it.each([
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['a boolean', true],
      ['an empty string', ''],
      ['a string that is not a URL', 'not a url'],
      ['a relative URL', '/outputs/v.mp4'],
      ['an ftp URL', 'ftp://a.test/v.mp4'],
      ['a data URL', 'data:video/mp4;base64,AAAA'],
      ['an empty object', {}],
      ['an object with other keys', { file: VIDEO_URL }],
      ['an empty array', []],
      ['an object nested too deep', { output: { output: { url: VIDEO_URL } } }],
      ['a doubly JSON-encoded string', JSON.stringify(JSON.stringify(VIDEO_URL))],
      ['broken JSON', '{"url": "https://a.test/v.mp4"'],
    ])('rejects %s with InvalidUpstreamOutputError', (_shape, output) => {
      const error = rejectionOf(output);

      expect(error).toMatchObject({ name: 'InvalidUpstreamOutputError', code: 'invalid_upstream_output' });
    });

    it('says what it received: its type and a truncated rendering', () => {
      const { message } = rejectionOf({ file: 'y'.repeat(1_000) });

      expect(message).toContain('received object {"file":"yyy');
      expect(message).toContain('y'.repeat(180));
      expect(message).not.toContain('y'.repeat(201));
    });

    it.each([
      [42, 'received number 42'],
      ['', 'received string ""'],
      [[], 'received array []'],
      [null, 'received null'],
      [undefined, 'received undefined'],
    ])('names the type of %j', (output, expected) => {
      expect(rejectionOf(output).message).toContain(expected);
    });
  });
});
