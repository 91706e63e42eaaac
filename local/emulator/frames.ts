/** Segmind's documented limit for an input image. */
export const MAX_FRAME_BYTES = 20 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 30_000;

export type FrameFormat = 'png' | 'jpg' | 'webp';

/** The image format from its magic bytes; ffmpeg's image2 demuxer picks its decoder by file extension. */
export function sniffFrameFormat(bytes: Uint8Array): FrameFormat | undefined {
  const startsWith = (magic: number[], at = 0) => magic.every((byte, i) => bytes[at + i] === byte);
  if (startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith([0xff, 0xd8, 0xff])) return 'jpg';
  // RIFF....WEBP
  if (startsWith([0x52, 0x49, 0x46, 0x46]) && startsWith([0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  return undefined;
}

/** A frame could not be fetched or is not an image we render; the message is the job's error. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** The frame's format, or a FrameError naming the field when it is too large or not an image. */
export function checkFrame(bytes: Uint8Array, field: string): FrameFormat {
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new FrameError(`${field} is larger than ${MAX_FRAME_BYTES} bytes`);
  }
  const format = sniffFrameFormat(bytes);
  if (!format) throw new FrameError(`${field} is not a PNG, JPEG or WebP image`);
  return format;
}

/**
 * Downloads a frame over http(s). Plain http is allowed: locally the frames are presigned URLs
 * on a loopback S3.
 */
export async function downloadFrame(url: string, signal?: AbortSignal): Promise<Buffer> {
  const { protocol } = new URL(url);
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error(`unsupported URL scheme ${protocol}`);
  }
  const timeout = AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS);
  const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_FRAME_BYTES) {
    await response.body?.cancel();
    throw new Error(`image is ${declared} bytes, more than ${MAX_FRAME_BYTES}`);
  }
  return Buffer.from(await response.arrayBuffer());
}
