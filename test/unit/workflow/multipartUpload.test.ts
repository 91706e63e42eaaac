import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  UploadPartCommand,
  type UploadPartCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { uploadStream } from '../../../lambdas/workflow/steps/multipartUpload';
import { failureOf } from '../failureOf';

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const TARGET = { Bucket: 'framebridge-bucket-test', Key: 'jobs/job-1/video.mp4', ContentType: 'video/mp4' };
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const s3 = new S3Client({ region: 'us-east-1', credentials });
const s3Mock = mockClient(S3Client);

/** The bytes of every part, copied when sent (the uploader reuses its buffers), by part number. */
let parts: Map<number, Buffer>;
/** Whole-object PUTs, copied when sent. */
let puts: Buffer[];
/** Every command in the order sent, with the part number for UploadPart. */
let log: string[];

/** `bytes` as a stream of chunks of `chunkSize`, each chunk's memory reused once the next is asked for, as httpGet does. */
async function* chunksOf(bytes: Buffer, chunkSize = 64 * 1024): AsyncGenerator<Buffer> {
  const scratch = Buffer.alloc(chunkSize);
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    const piece = bytes.subarray(offset, offset + chunkSize);
    piece.copy(scratch);
    yield scratch.subarray(0, piece.length);
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stored = () => Buffer.concat([...parts.entries()].sort(([a], [b]) => a - b).map(([, bytes]) => bytes));

beforeEach(() => {
  s3Mock.reset();
  parts = new Map();
  puts = [];
  log = [];
  s3Mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    log.push('PutObject');
    puts.push(Buffer.from(input.Body as Uint8Array));
    return { ETag: '"etag-put"' };
  });
  s3Mock.on(CreateMultipartUploadCommand).callsFake(async () => {
    log.push('Create');
    return { UploadId: 'upload-1' };
  });
  s3Mock.on(UploadPartCommand).callsFake(async (input: UploadPartCommandInput) => {
    parts.set(input.PartNumber ?? 0, Buffer.from(input.Body as Uint8Array));
    log.push(`UploadPart ${input.PartNumber}`);
    return { ETag: `"etag-${input.PartNumber}"` };
  });
  s3Mock.on(CompleteMultipartUploadCommand).callsFake(async () => {
    log.push('Complete');
    return {};
  });
  s3Mock.on(AbortMultipartUploadCommand).callsFake(async () => {
    log.push('Abort');
    return {};
  });
});

describe('Function: uploadStream', () => {
  it.each([
    ['a small body', 4096],
    ['a body of exactly one part', PART],
  ])('stores %s with one PutObject and its length, no multipart upload', async (_case, size) => {
    // Arrange
    const body = randomBytes(size);

    // Act
    const bytes = await uploadStream(s3, TARGET, chunksOf(body));

    // Assert
    expect(bytes).toBe(size);
    expect(log).toEqual(['PutObject']);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ ...TARGET, ContentLength: size });
    expect(puts[0]?.equals(body)).toBe(true);
  });

  it('stores an empty body as an empty object', async () => {
    // Act
    const bytes = await uploadStream(s3, TARGET, chunksOf(Buffer.alloc(0)));

    // Assert
    expect(bytes).toBe(0);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ ContentLength: 0 });
  });

  it('sends a larger body as 5 MiB parts, each byte in place whatever the chunking, then completes in part order', async () => {
    // Arrange: chunks that straddle part boundaries
    const body = randomBytes(3 * PART + 12_345);

    // Act
    const bytes = await uploadStream(s3, TARGET, chunksOf(body, 100_003));

    // Assert
    expect(bytes).toBe(body.length);
    expect([...parts.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect([...parts.values()].map((part) => part.length).sort((a, b) => b - a)).toEqual([PART, PART, PART, 12_345]);
    expect(stored().equals(body)).toBe(true);
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toEqual({
      ...TARGET,
      ChecksumAlgorithm: 'CRC32',
    });
    expect(
      s3Mock.commandCalls(UploadPartCommand).every((call) => {
        const input = call.args[0].input;
        return input.UploadId === 'upload-1' && input.ContentLength === (input.Body as Uint8Array).byteLength;
      }),
    ).toBe(true);
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: TARGET.Bucket,
      Key: TARGET.Key,
      UploadId: 'upload-1',
      MultipartUpload: {
        Parts: [1, 2, 3, 4].map((PartNumber) => ({ PartNumber, ETag: `"etag-${PartNumber}"` })),
      },
    });
    expect(log.at(-1)).toBe('Complete');
    expect(log).not.toContain('Abort');
  });

  it('ends a body that stops on a part boundary without an empty last part', async () => {
    // Act
    await uploadStream(s3, TARGET, chunksOf(randomBytes(2 * PART)));

    // Assert
    expect([...parts.values()].map((part) => part.length)).toEqual([PART, PART]);
  });

  it('passes on the part checksums S3 answered, as an upload that declared CRC32 needs', async () => {
    // Arrange
    s3Mock.on(UploadPartCommand).callsFake(async (input: UploadPartCommandInput) => ({
      ETag: `"etag-${input.PartNumber}"`,
      ChecksumCRC32: `crc-${input.PartNumber}`,
    }));

    // Act
    await uploadStream(s3, TARGET, chunksOf(randomBytes(PART + 1)));

    // Assert
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input.MultipartUpload?.Parts).toEqual([
      { PartNumber: 1, ETag: '"etag-1"', ChecksumCRC32: 'crc-1' },
      { PartNumber: 2, ETag: '"etag-2"', ChecksumCRC32: 'crc-2' },
    ]);
  });

  it('declares no checksum algorithm when the client computes checksums only when required', async () => {
    // Arrange
    const client = new S3Client({ region: 'us-east-1', credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });

    // Act
    await uploadStream(client, TARGET, chunksOf(randomBytes(PART + 1)));

    // Assert
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toEqual(TARGET);
  });

  it('holds at most partBuffers parts, reusing their memory, and reads on only as parts are stored', async () => {
    // Arrange: S3 slow to store each part
    let inFlight = 0;
    let mostInFlight = 0;
    const memories = new Set<ArrayBufferLike>();
    s3Mock.on(UploadPartCommand).callsFake(async (input: UploadPartCommandInput) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      memories.add((input.Body as Uint8Array).buffer);
      parts.set(input.PartNumber ?? 0, Buffer.from(input.Body as Uint8Array));
      await wait(20);
      inFlight -= 1;
      return { ETag: `"etag-${input.PartNumber}"` };
    });
    const body = randomBytes(10 * PART + 1);

    // Act
    await uploadStream(s3, TARGET, chunksOf(body, MIB), { partBuffers: 3 });

    // Assert
    expect(parts.size).toBe(11);
    expect(mostInFlight).toBe(3);
    expect(memories.size).toBe(3);
    expect(stored().equals(body)).toBe(true);
  });

  it('aborts after the parts in flight settled, never completing, when S3 fails a part for good', async () => {
    // Arrange: part 2 fails; parts 1 and 3 are slow to answer
    const failure = new Error('We encountered an internal error. Please try again.');
    s3Mock.on(UploadPartCommand).callsFake(async (input: UploadPartCommandInput) => {
      if (input.PartNumber === 2) throw failure;
      await wait(30);
      log.push(`stored ${input.PartNumber}`);
      return { ETag: `"etag-${input.PartNumber}"` };
    });

    // Act
    const error = await failureOf(uploadStream(s3, TARGET, chunksOf(randomBytes(8 * PART))));

    // Assert
    expect(error).toBe(failure);
    expect(log).not.toContain('Complete');
    expect(log.at(-1)).toBe('Abort');
    expect(log.filter((entry) => entry.startsWith('stored')).length).toBeGreaterThan(0);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: TARGET.Bucket,
      Key: TARGET.Key,
      UploadId: 'upload-1',
    });
  });

  it('aborts and rethrows the body’s own error when the body fails mid-way, never completing', async () => {
    // Arrange
    const cutOff = new Error('cut off');
    async function* breaking() {
      yield* chunksOf(randomBytes(2 * PART + 10));
      throw cutOff;
    }

    // Act
    const error = await failureOf(uploadStream(s3, TARGET, breaking()));

    // Assert
    expect(error).toBe(cutOff);
    expect(log.filter((entry) => entry.startsWith('UploadPart'))).toHaveLength(2);
    expect(log.at(-1)).toBe('Abort');
    expect(log).not.toContain('Complete');
  });

  it('stores nothing when the body fails within its first part', async () => {
    // Arrange
    async function* breaking() {
      yield Buffer.from('not much');
      throw new Error('broken');
    }

    // Act
    const error = await failureOf(uploadStream(s3, TARGET, breaking()));

    // Assert
    expect((error as Error).message).toBe('broken');
    expect(log).toEqual([]);
  });

  it('rethrows a failure to create the upload, sending no part and leaving nothing to abort', async () => {
    // Arrange
    const failure = new Error('AccessDenied');
    s3Mock.on(CreateMultipartUploadCommand).rejects(failure);

    // Act
    const error = await failureOf(uploadStream(s3, TARGET, chunksOf(randomBytes(3 * PART))));

    // Assert
    expect(error).toBe(failure);
    expect(log).toEqual([]);
    expect(s3Mock.commandCalls(UploadPartCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts when completing fails', async () => {
    // Arrange
    const failure = new Error('InternalError');
    s3Mock.on(CompleteMultipartUploadCommand).rejects(failure);

    // Act
    const error = await failureOf(uploadStream(s3, TARGET, chunksOf(randomBytes(PART + 1))));

    // Assert
    expect(error).toBe(failure);
    expect(log.at(-1)).toBe('Abort');
  });

  it('rethrows the failure, not the abort’s, when the abort fails too', async () => {
    // Arrange
    const failure = new Error('part failed');
    s3Mock.on(UploadPartCommand).rejects(failure);
    s3Mock.on(AbortMultipartUploadCommand).rejects(new Error('abort failed'));

    // Act
    const error = await failureOf(uploadStream(s3, TARGET, chunksOf(randomBytes(2 * PART + 1))));

    // Assert
    expect(error).toBe(failure);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('refuses parts smaller than S3 allows', async () => {
    // Act
    const error = await failureOf(uploadStream(s3, TARGET, chunksOf(randomBytes(10)), { partSizeBytes: MIB }));

    // Assert
    expect((error as Error).message).toMatch(/at least 5242880 bytes/);
    expect(log).toEqual([]);
  });
});
