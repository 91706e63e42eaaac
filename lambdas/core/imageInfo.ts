/**
 * Format and dimensions of an image from its first bytes, without decoding it:
 * PNG (IHDR), JPEG (the SOFn frame header, found by walking the marker
 * segments) and WebP (VP8, VP8L or VP8X). Used to refuse a bad frame before the
 * paid submit.
 */

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export type ImageInfo =
  | { kind: 'image'; format: ImageFormat; width: number; height: number }
  /** Not a PNG, JPEG or WebP signature. */
  | { kind: 'unknown_format' }
  /** The bytes end before the dimensions: more of the file may tell. */
  | { kind: 'truncated'; format: ImageFormat }
  | { kind: 'corrupt'; format: ImageFormat; reason: string };

/** Segmind's documented limit for an input image. */
export const MAX_FRAME_BYTES = 20 * 1024 * 1024;
/** The largest side, in pixels, a frame may have. */
export const MAX_FRAME_SIDE = 10_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (bytes: Uint8Array, at: number, length: number) =>
  String.fromCharCode(...bytes.subarray(at, at + length));
const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
// Callers check the length first: these never read past the end.
const be16 = (bytes: Uint8Array, at: number) => view(bytes).getUint16(at);
const be32 = (bytes: Uint8Array, at: number) => view(bytes).getUint32(at);
const le16 = (bytes: Uint8Array, at: number) => view(bytes).getUint16(at, true);
const le24 = (bytes: Uint8Array, at: number) => le16(bytes, at) + (bytes[at + 2] ?? 0) * 2 ** 16;
const le32 = (bytes: Uint8Array, at: number) => view(bytes).getUint32(at, true);

function image(format: ImageFormat, width: number, height: number): ImageInfo {
  if (width === 0 || height === 0) return { kind: 'corrupt', format, reason: 'declares a zero width or height' };
  return { kind: 'image', format, width, height };
}

function readPng(bytes: Uint8Array): ImageInfo {
  // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4)
  if (bytes.length < 24) return { kind: 'truncated', format: 'png' };
  if (ascii(bytes, 12, 4) !== 'IHDR') return { kind: 'corrupt', format: 'png', reason: 'does not start with IHDR' };
  return image('png', be32(bytes, 16), be32(bytes, 20));
}

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
/** Markers that stand alone, without a length: TEM and RST0–7. */
const isStandalone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

function readJpeg(bytes: Uint8Array): ImageInfo {
  const corrupt = (reason: string): ImageInfo => ({ kind: 'corrupt', format: 'jpeg', reason });
  let offset = 2; // after SOI
  for (;;) {
    if (offset >= bytes.length) return { kind: 'truncated', format: 'jpeg' };
    if (bytes[offset] !== 0xff) return corrupt(`has no marker at byte ${offset}`);
    while (bytes[offset] === 0xff) offset++; // fill bytes
    if (offset >= bytes.length) return { kind: 'truncated', format: 'jpeg' };
    const marker = bytes[offset] ?? 0;
    offset++;
    if (isStandalone(marker)) continue;
    if (marker === 0xd9 || marker === 0xda || marker === 0xd8)
      return corrupt('has no frame header (SOF) before its data');
    if (offset + 2 > bytes.length) return { kind: 'truncated', format: 'jpeg' };
    const length = be16(bytes, offset);
    if (length < 2) return corrupt(`has a segment of invalid length at byte ${offset}`);
    if (isStartOfFrame(marker)) {
      // length (2), precision (1), height (2), width (2)
      if (offset + 7 > bytes.length) return { kind: 'truncated', format: 'jpeg' };
      const height = be16(bytes, offset + 3);
      const width = be16(bytes, offset + 5);
      if (height === 0) return corrupt('defers its height to a DNL marker, which is not supported');
      return image('jpeg', width, height);
    }
    offset += length;
  }
}

function readWebp(bytes: Uint8Array): ImageInfo {
  const corrupt = (reason: string): ImageInfo => ({ kind: 'corrupt', format: 'webp', reason });
  // "RIFF" size "WEBP", then the first chunk: fourcc (4), size (4), data from byte 20
  if (bytes.length < 20) return { kind: 'truncated', format: 'webp' };
  const chunk = ascii(bytes, 12, 4);
  if (chunk === 'VP8 ') {
    // frame tag (3), start code 9d 01 2a (3), 14-bit width and height (2 + 2)
    if (bytes.length < 30) return { kind: 'truncated', format: 'webp' };
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return corrupt('has a bad VP8 start code');
    return image('webp', le16(bytes, 26) & 0x3fff, le16(bytes, 28) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    // signature 0x2f, then width-1 and height-1 in 14 bits each
    if (bytes.length < 25) return { kind: 'truncated', format: 'webp' };
    if (bytes[20] !== 0x2f) return corrupt('has a bad VP8L signature');
    const bits = le32(bytes, 21);
    return image('webp', (bits & 0x3fff) + 1, (Math.floor(bits / 2 ** 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') {
    // flags (1), reserved (3), canvas width-1 and height-1 in 24 bits each
    if (bytes.length < 30) return { kind: 'truncated', format: 'webp' };
    return image('webp', le24(bytes, 24) + 1, le24(bytes, 27) + 1);
  }
  return corrupt(`starts with an unknown chunk ${JSON.stringify(chunk)}`);
}

/** Format and dimensions from the first bytes of a file (64 KiB is plenty for all but unusual JPEGs). */
export function readImageInfo(bytes: Uint8Array): ImageInfo {
  if (PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return readPng(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return readJpeg(bytes);
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return readWebp(bytes);
  return { kind: 'unknown_format' };
}

const formatNames: Record<ImageFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };

/** How many bytes at the end of a file `imageEndProblem` needs. */
export const IMAGE_TAIL_BYTES = 16;
const PNG_IEND = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/**
 * Whether a file of `size` bytes ends as its format requires — a PNG with its
 * IEND chunk, a JPEG with its end-of-image marker (trailing padding allowed), a
 * WebP as long as its RIFF header says — so a file cut off after its header is
 * refused before the paid submit. `tail` is the file's last bytes.
 */
export function imageEndProblem(
  format: ImageFormat,
  head: Uint8Array,
  tail: Uint8Array,
  size: number,
): string | undefined {
  const complete = `must be a complete ${formatNames[format]} image (it is cut off)`;
  if (format === 'png') {
    const end = tail.subarray(tail.length - PNG_IEND.length);
    return PNG_IEND.every((byte, i) => end[i] === byte) ? undefined : complete;
  }
  if (format === 'jpeg') {
    let last = tail.length - 1;
    while (last > 0 && (tail[last] === 0x00 || tail[last] === 0x0a || tail[last] === 0x0d)) last--;
    return tail[last - 1] === 0xff && tail[last] === 0xd9 ? undefined : complete;
  }
  return head.length >= 8 && le32(head, 4) + 8 <= size ? undefined : complete;
}

/**
 * The frame rule an image breaks, phrased to follow the field name
 * (`first_frame_url must be …`), or undefined when it is a usable frame.
 */
export function frameImageProblem(info: ImageInfo): string | undefined {
  switch (info.kind) {
    case 'unknown_format':
      return 'must be a PNG, JPEG or WebP image';
    case 'truncated':
      return `must be a complete ${formatNames[info.format]} image (its header ends before the dimensions)`;
    case 'corrupt':
      return `must be a valid ${formatNames[info.format]} image (it ${info.reason})`;
    case 'image':
      return info.width > MAX_FRAME_SIDE || info.height > MAX_FRAME_SIDE
        ? `must be at most ${MAX_FRAME_SIDE} pixels a side (is ${info.width}×${info.height})`
        : undefined;
  }
}
