import { beforeAll, describe, expect, it } from 'vitest';
import {
  frameImageProblem,
  type ImageInfo,
  imageEndProblem,
  MAX_FRAME_SIDE,
  readImageInfo,
} from '../../../lambdas/core/imageInfo';
import { resolveFfmpeg } from '../../../local/emulator/ffmpeg';
import { runTool } from '../../../local/emulator/run-tool';

/**
 * One still of `width`×`height` encoded by ffmpeg. The lavfi source is scaled
 * (its own sizes round to even numbers) and an alpha ramp, when asked for,
 * makes libwebp write the extended (VP8X) format.
 */
async function encode(width: number, height: number, format: string, codecArgs: string[], extraFilters = '') {
  const ffmpeg = await resolveFfmpeg();
  const { stdout } = await runTool(ffmpeg.path, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=c=0x3366cc:size=320x240:rate=1',
    '-frames:v',
    '1',
    '-vf',
    `scale=${width}:${height}${extraFilters}`,
    ...codecArgs,
    '-f',
    format,
    'pipe:1',
  ]);
  return new Uint8Array(stdout);
}

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? [...Buffer.from(part, 'latin1')] : part)));
const be16 = (n: number) => [n >> 8, n & 0xff];
const le16 = (n: number) => [n & 0xff, n >> 8];
const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, n >> 16];

/** A JPEG head: SOI, the given segments, then a baseline SOF0 frame header. */
function jpegHead(width: number, height: number, { sof = 0xc0, before = [] as number[][] } = {}) {
  return bytes([0xff, 0xd8], ...before, [0xff, sof], be16(17), [8], be16(height), be16(width), [3]);
}
const jpegSegment = (marker: number, payloadLength: number) => [
  0xff,
  marker,
  ...be16(payloadLength + 2),
  ...new Array(payloadLength).fill(0x20),
];

function pngHead(width: number, height: number, chunk = 'IHDR') {
  const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return bytes(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    u32(13),
    chunk,
    u32(width),
    u32(height),
    [8, 2, 0, 0, 0],
  );
}

function webpVp8x(width: number, height: number) {
  return bytes('RIFF', [0, 0, 0, 0], 'WEBP', 'VP8X', [10, 0, 0, 0], [0x10, 0, 0, 0], le24(width - 1), le24(height - 1));
}

describe('Core: imageInfo', () => {
  describe('with images encoded by ffmpeg', () => {
    const encoded: Record<string, Uint8Array> = {};

    beforeAll(async () => {
      [encoded.png, encoded.jpeg, encoded.jpeg444, encoded.webpLossy, encoded.webpLossless, encoded.webpAlpha] =
        await Promise.all([
          encode(321, 123, 'image2pipe', ['-c:v', 'png']),
          encode(641, 359, 'image2pipe', ['-c:v', 'mjpeg', '-q:v', '3'], ',format=yuvj420p'),
          encode(333, 222, 'image2pipe', ['-c:v', 'mjpeg', '-q:v', '3'], ',format=yuvj444p'),
          encode(300, 170, 'webp', ['-c:v', 'libwebp', '-quality', '60']),
          encode(257, 129, 'webp', ['-c:v', 'libwebp', '-lossless', '1']),
          encode(199, 101, 'webp', ['-c:v', 'libwebp', '-quality', '60'], ",format=rgba,geq=r='r(X,Y)':a='X'"),
        ]);
    }, 60_000);

    it.each([
      ['PNG', 'png', 'png', 321, 123],
      ['baseline JPEG', 'jpeg', 'jpeg', 641, 359],
      ['JPEG (4:4:4)', 'jpeg444', 'jpeg', 333, 222],
      ['lossy WebP (VP8)', 'webpLossy', 'webp', 300, 170],
      ['lossless WebP (VP8L)', 'webpLossless', 'webp', 257, 129],
      ['WebP with alpha (VP8X)', 'webpAlpha', 'webp', 199, 101],
    ])('reads the format and size of a %s', (_case, name, format, width, height) => {
      // Act
      const info = readImageInfo(encoded[name] ?? new Uint8Array());

      // Assert
      expect(info).toEqual({ kind: 'image', format, width, height });
      expect(frameImageProblem(info)).toBeUndefined();
    });

    it('reads the size from the first 64 KiB alone', () => {
      const png = encoded.png ?? new Uint8Array();

      expect(readImageInfo(png.subarray(0, 64 * 1024))).toMatchObject({ width: 321, height: 123 });
      expect(readImageInfo(png.subarray(0, 24))).toMatchObject({ width: 321, height: 123 });
    });

    it('knows the chunk each WebP flavour starts with (the three parsers are all exercised)', () => {
      const chunk = (name: string) =>
        Buffer.from((encoded[name] ?? new Uint8Array()).subarray(12, 16)).toString('latin1');

      expect([chunk('webpLossy'), chunk('webpLossless'), chunk('webpAlpha')]).toEqual(['VP8 ', 'VP8L', 'VP8X']);
    });

    it('answers truncated when the bytes end before the dimensions', () => {
      expect(readImageInfo((encoded.png ?? new Uint8Array()).subarray(0, 20))).toEqual({
        kind: 'truncated',
        format: 'png',
      });
      expect(readImageInfo((encoded.jpeg ?? new Uint8Array()).subarray(0, 4))).toEqual({
        kind: 'truncated',
        format: 'jpeg',
      });
      expect(readImageInfo((encoded.webpLossy ?? new Uint8Array()).subarray(0, 26))).toEqual({
        kind: 'truncated',
        format: 'webp',
      });
    });
  });

  describe('with hand-built headers', () => {
    it('walks past APPn, DQT and DHT segments to the frame header of a JPEG', () => {
      const head = jpegHead(4000, 3000, {
        before: [jpegSegment(0xe0, 14), jpegSegment(0xe1, 30_000), jpegSegment(0xdb, 65), jpegSegment(0xc4, 28)],
      });

      expect(readImageInfo(head)).toEqual({ kind: 'image', format: 'jpeg', width: 4000, height: 3000 });
    });

    it.each([
      ['progressive (SOF2)', 0xc2],
      ['extended (SOF1)', 0xc1],
      ['lossless (SOF3)', 0xc3],
      ['arithmetic (SOF9)', 0xc9],
    ])('reads a %s JPEG frame header', (_case, sof) => {
      expect(readImageInfo(jpegHead(800, 600, { sof }))).toMatchObject({ kind: 'image', width: 800, height: 600 });
    });

    it('skips fill bytes before a marker', () => {
      const head = bytes([0xff, 0xd8], [0xff, 0xff, 0xff], [0xff, 0xc0], be16(17), [8], be16(10), be16(20), [3]);

      expect(readImageInfo(head)).toMatchObject({ width: 20, height: 10 });
    });

    it('answers truncated for a JPEG whose metadata runs past the bytes read', () => {
      const head = jpegHead(4000, 3000, { before: [jpegSegment(0xe1, 40_000), jpegSegment(0xe2, 40_000)] });

      expect(readImageInfo(head.subarray(0, 64 * 1024))).toEqual({ kind: 'truncated', format: 'jpeg' });
      expect(readImageInfo(head)).toMatchObject({ width: 4000, height: 3000 });
    });

    it.each<[string, Uint8Array, RegExp]>([
      [
        'a JPEG whose data starts before any frame header',
        bytes([0xff, 0xd8], jpegSegment(0xda, 10)),
        /no frame header/,
      ],
      ['a JPEG ending (EOI) before any frame header', bytes([0xff, 0xd8], [0xff, 0xd9]), /no frame header/],
      [
        'a JPEG with garbage where a marker belongs',
        bytes([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0x12, 0x34]),
        /no marker/,
      ],
      ['a JPEG segment of length 1', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 1]), /invalid length/],
      ['a JPEG deferring its height to DNL', jpegHead(100, 0), /DNL/],
      ['a PNG whose first chunk is not IHDR', pngHead(10, 10, 'IDAT'), /IHDR/],
      ['a PNG of width 0', pngHead(0, 10), /zero/],
      [
        'a WebP with an unknown first chunk',
        bytes('RIFF', [0, 0, 0, 0], 'WEBP', 'ABCD', [0, 0, 0, 0], new Array(12).fill(0)),
        /unknown chunk/,
      ],
      [
        'a VP8 WebP without its start code',
        bytes('RIFF', [0, 0, 0, 0], 'WEBP', 'VP8 ', [0, 0, 0, 0], [0, 0, 0], [1, 2, 3], le16(10), le16(10)),
        /start code/,
      ],
      [
        'a VP8L WebP without its signature',
        bytes('RIFF', [0, 0, 0, 0], 'WEBP', 'VP8L', [0, 0, 0, 0], [0x2e, 0, 0, 0, 0]),
        /signature/,
      ],
    ])('calls %s corrupt, saying why', (_case, head, reason) => {
      const info = readImageInfo(head);

      expect(info.kind).toBe('corrupt');
      expect(frameImageProblem(info)).toMatch(reason);
    });

    it.each<[string, Uint8Array]>([
      ['plain text', bytes('hello, this is not an image at all')],
      ['a GIF', bytes('GIF89a', [10, 0, 10, 0])],
      ['a RIFF that is not WebP (WAV)', bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ', new Array(16).fill(0))],
      ['an MP4', bytes([0, 0, 0, 0x20], 'ftypisom', new Array(20).fill(0))],
      ['nothing', new Uint8Array()],
      ['a lone JPEG SOI', bytes([0xff, 0xd8])],
    ])('does not take %s for an image', (_case, head) => {
      const info = readImageInfo(head);

      expect(info).toEqual({ kind: 'unknown_format' });
      expect(frameImageProblem(info)).toBe('must be a PNG, JPEG or WebP image');
    });
  });

  describe('frameImageProblem', () => {
    const image = (width: number, height: number): ImageInfo => ({ kind: 'image', format: 'png', width, height });

    it(`accepts ${MAX_FRAME_SIDE} px a side and refuses one more, naming the size`, () => {
      expect(frameImageProblem(image(MAX_FRAME_SIDE, MAX_FRAME_SIDE))).toBeUndefined();
      expect(frameImageProblem(image(MAX_FRAME_SIDE + 1, 10))).toBe(
        'must be at most 10000 pixels a side (is 10001×10)',
      );
      expect(frameImageProblem(image(10, MAX_FRAME_SIDE + 1))).toMatch(/10×10001/);
    });

    it('reads sizes beyond the limit from real headers (PNG 32-bit, VP8X 24-bit)', () => {
      expect(readImageInfo(pngHead(70_000, 20))).toMatchObject({ width: 70_000, height: 20 });
      expect(readImageInfo(webpVp8x(16_383, 16_384))).toMatchObject({ width: 16_383, height: 16_384 });
      expect(frameImageProblem(readImageInfo(pngHead(70_000, 20)))).toMatch(/at most 10000 pixels/);
    });

    it('says what is wrong with a truncated header', () => {
      expect(frameImageProblem({ kind: 'truncated', format: 'jpeg' })).toMatch(/complete JPEG image/);
    });
  });
});

describe('Core: imageEndProblem (a frame must be whole, not only its header)', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);
  const IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

  it.each([
    ['a PNG ending with IEND', 'png', bytes(...IEND), 100, undefined],
    ['a PNG without IEND', 'png', bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 100, /cut off/],
    ['a JPEG ending with FFD9', 'jpeg', bytes(0x12, 0xff, 0xd9), 100, undefined],
    ['a JPEG with padding after FFD9', 'jpeg', bytes(0xff, 0xd9, 0x00, 0x0a), 100, undefined],
    ['a JPEG without FFD9', 'jpeg', bytes(0x12, 0x34, 0x56), 100, /cut off/],
  ] as const)('%s', (_name, format, tail, size, expected) => {
    const problem = imageEndProblem(format, new Uint8Array(), tail, size);
    if (expected) expect(problem).toMatch(expected);
    else expect(problem).toBeUndefined();
  });

  it('checks a WebP against the size its RIFF header declares', () => {
    const head = new Uint8Array(12);
    new DataView(head.buffer).setUint32(4, 92, true);
    head.set([0x52, 0x49, 0x46, 0x46], 0);
    expect(imageEndProblem('webp', head, new Uint8Array(), 100)).toBeUndefined();
    expect(imageEndProblem('webp', head, new Uint8Array(), 60)).toMatch(/complete WebP image/);
  });
});
