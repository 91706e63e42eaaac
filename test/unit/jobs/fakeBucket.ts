import {
  GetObjectCommand,
  type GetObjectCommandInput,
  HeadObjectCommand,
  type HeadObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/** S3's answer to HeadObject on a missing key: a bodiless 404 the SDK names NotFound. */
export function notFound(): Error {
  return Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
}

/**
 * Serves HeadObject and ranged GetObject from in-memory objects, as S3 would:
 * a missing key is NotFound, `Range: bytes=a-b` answers those bytes only.
 * Answers the bucket's objects (`objects`, when given, else a new map).
 */
export function serveBucket(
  s3: AwsClientStub<S3Client>,
  objects: Map<string, Uint8Array> = new Map(),
): Map<string, Uint8Array> {
  s3.on(HeadObjectCommand).callsFake(async (input: HeadObjectCommandInput) => {
    const object = objects.get(String(input.Key));
    if (!object) throw notFound();
    return { ContentLength: object.length };
  });
  s3.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
    const object = objects.get(String(input.Key));
    if (!object) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    const suffix = /^bytes=-(\d+)$/.exec(input.Range ?? '');
    const [, from = '0', to = String(object.length - 1)] = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '') ?? [];
    const bytes = suffix
      ? object.subarray(Math.max(0, object.length - Number(suffix[1])))
      : object.subarray(Number(from), Number(to) + 1);
    return { ContentLength: bytes.length, Body: { transformToByteArray: async () => bytes } as never };
  });
  return objects;
}

/**
 * The smallest thing the frame checks take for a PNG of the given size: the
 * signature, IHDR and the closing IEND chunk (a PNG cut off after its header is refused).
 */
export function pngHeader(width: number, height: number): Uint8Array {
  const header = Buffer.alloc(45);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'latin1');
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  header.set([8, 2, 0, 0, 0], 24);
  header.set([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], 33);
  return new Uint8Array(header);
}
