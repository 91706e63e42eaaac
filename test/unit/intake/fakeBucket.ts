import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  type CopyObjectCommandInput,
  GetObjectCommand,
  type GetObjectCommandInput,
  HeadObjectCommand,
  type HeadObjectCommandInput,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';

export interface StoredObject {
  body: Uint8Array;
  etag: string;
  contentType?: string;
}

/** A body as the SDK hands it out in Node: a Readable with the SDK's transform helpers. */
function sdkBody(bytes: Uint8Array) {
  return Object.assign(Readable.from([Buffer.from(bytes)]), {
    transformToByteArray: async () => bytes,
    transformToString: async (encoding?: string) => Buffer.from(bytes).toString((encoding ?? 'utf8') as BufferEncoding),
    transformToWebStream: () => Readable.toWeb(Readable.from([Buffer.from(bytes)])) as ReadableStream,
  });
}

const noSuchKey = () =>
  new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
const notFound = () => new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });

async function bytesOf(body: PutObjectCommandInput['Body']): Promise<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  throw new Error('fakeBucket: PutObject bodies are strings or bytes in these tests');
}

/**
 * Serves GetObject (with Range), HeadObject, PutObject and CopyObject on a
 * mocked S3Client from an in-memory bucket, answering missing keys the way S3
 * does (NoSuchKey for GetObject, NotFound for HeadObject). Unversioned: the ETag
 * is the MD5 of the bytes, quoted, as S3 sends it.
 */
export function serveBucket(s3: AwsClientStub<S3Client>, bucket: string): Map<string, StoredObject> {
  const objects = new Map<string, StoredObject>();
  const find = (input: { Bucket?: string; Key?: string }) =>
    input.Bucket === bucket ? objects.get(String(input.Key)) : undefined;
  s3.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
    const object = find(input);
    if (!object) throw noSuchKey();
    const range = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
    const body = range ? object.body.subarray(Number(range[1]), Number(range[2]) + 1) : object.body;
    return { Body: sdkBody(body), ContentLength: body.byteLength, ETag: object.etag, ContentType: object.contentType };
  });
  s3.on(HeadObjectCommand).callsFake(async (input: HeadObjectCommandInput) => {
    const object = find(input);
    if (!object) throw notFound();
    return { ContentLength: object.body.byteLength, ETag: object.etag, ContentType: object.contentType };
  });
  s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    if (input.Bucket !== bucket) throw new Error(`fakeBucket: PutObject to ${input.Bucket}`);
    putObject(objects, String(input.Key), await bytesOf(input.Body), input.ContentType);
    return {};
  });
  s3.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
    const [sourceBucket, ...sourceKey] = String(input.CopySource).split('/');
    const source = sourceBucket === bucket ? objects.get(sourceKey.map(decodeURIComponent).join('/')) : undefined;
    if (!source) throw noSuchKey();
    objects.set(String(input.Key), { ...source });
    return {};
  });
  return objects;
}

export function putObject(
  objects: Map<string, StoredObject>,
  key: string,
  body: Uint8Array | string,
  contentType?: string,
): StoredObject {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const stored = { body: bytes, etag: `"${createHash('md5').update(bytes).digest('hex')}"`, contentType };
  objects.set(key, stored);
  return stored;
}

/** The JSON document stored under `key`. */
export function jsonAt(objects: Map<string, StoredObject>, key: string): unknown {
  const object = objects.get(key);
  if (!object) throw new Error(`no object ${key}; have ${[...objects.keys()].join(', ')}`);
  return JSON.parse(new TextDecoder().decode(object.body));
}
