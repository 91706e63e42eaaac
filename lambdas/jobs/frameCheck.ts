import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { logger } from '../adapters/logger';
import { ValidationError } from '../core/errors';
import {
  frameImageProblem,
  IMAGE_TAIL_BYTES,
  imageEndProblem,
  MAX_FRAME_BYTES,
  readImageInfo,
} from '../core/imageInfo';
import type { TransitionRequest } from '../core/schemas';
import { type FrameScope, frameKeyIn, isHttpsFrame } from '../core/uploads';

export interface FrameCheckDeps {
  s3: S3Client;
  /** Where the job's s3:// frames may be; any other s3:// frame is refused without a read. */
  scope: FrameScope;
}

/** Enough for the header of every PNG and WebP and of almost every JPEG. */
const HEADER_BYTES = 64 * 1024;
/** A second, larger read for a JPEG whose metadata (EXIF, ICC, XMP) pushes its frame header further. */
const LONG_HEADER_BYTES = 1024 * 1024;

const frameFields = ['first_frame_url', 'last_frame_url'] as const;
type FrameField = (typeof frameFields)[number];

const httpStatusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * S3 answers HeadObject on a missing key with 404 only to a caller allowed to
 * list the bucket, and 403 to any other: the API's role may read objects but
 * not list them, so both mean "no such object" here.
 */
const isMissing = (error: unknown) =>
  error instanceof Error &&
  (['NotFound', 'NoSuchKey', 'Forbidden'].includes(error.name) || [403, 404].includes(httpStatusOf(error) ?? 0));

async function readRange(deps: FrameCheckDeps, key: string, range: string): Promise<Uint8Array> {
  const answer = await deps.s3.send(new GetObjectCommand({ Bucket: deps.scope.bucket, Key: key, Range: range }));
  return answer.Body ? answer.Body.transformToByteArray() : new Uint8Array();
}

const readHead = (deps: FrameCheckDeps, key: string, bytes: number) => readRange(deps, key, `bytes=0-${bytes - 1}`);

/**
 * The rule the frame at `key` (in the caller's scope) breaks, or undefined
 * when it is fine. A missing object gets the scope's one refusal, the same as
 * a frame outside the scope; only an object the caller may use is described.
 */
async function frameProblem(deps: FrameCheckDeps, uri: string, key: string): Promise<string | undefined> {
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.scope.bucket, Key: key }));
    const size = head.ContentLength ?? 0;
    if (size === 0) return `must not be an empty object (${uri})`;
    if (size > MAX_FRAME_BYTES) {
      return `must be at most ${MAX_FRAME_BYTES / (1024 * 1024)} MB, ${MAX_FRAME_BYTES} bytes (${uri} is ${size} bytes)`;
    }
    let headBytes = await readHead(deps, key, HEADER_BYTES);
    let info = readImageInfo(headBytes);
    if (info.kind === 'truncated' && size > HEADER_BYTES) {
      headBytes = await readHead(deps, key, LONG_HEADER_BYTES);
      info = readImageInfo(headBytes);
    }
    const problem = frameImageProblem(info);
    if (problem || info.kind !== 'image') return problem;
    // A file cut off after its header would be paid for and then fail upstream.
    // An explicit range (not `bytes=-16`): S3-compatible servers do not all take suffix ranges.
    const tail = await readRange(deps, key, `bytes=${Math.max(0, size - IMAGE_TAIL_BYTES)}-${size - 1}`);
    return imageEndProblem(info.format, headBytes, tail, size);
  } catch (error) {
    if (isMissing(error)) {
      // 403 is also what a missing grant looks like: leave a trace for the operator.
      if (httpStatusOf(error) === 403) logger.warn('frame check answered 403, taken as missing', { uri });
      return deps.scope.rule;
    }
    throw error;
  }
}

/**
 * Checks every `s3://` frame before anything is paid for: the object is in the
 * caller's scope (checked without a read), exists, is at most 20 MB, is a PNG,
 * JPEG or WebP (by its bytes, not its name) and at most 10000 px a side. A frame
 * outside the scope or missing gets the scope's one rule. Throws one
 * ValidationError naming each field and rule. https frames are left to the
 * upstream: fetching them here would be an open proxy.
 */
export async function checkS3Frames(request: Pick<TransitionRequest, FrameField>, deps: FrameCheckDeps): Promise<void> {
  const issues = (
    await Promise.all(
      frameFields.map(async (field) => {
        const uri = request[field];
        if (isHttpsFrame(uri)) return [];
        const key = frameKeyIn(deps.scope, uri);
        const rule = key === undefined ? deps.scope.rule : await frameProblem(deps, uri, key);
        return rule ? [{ field, rule }] : [];
      }),
    )
  ).flat();
  if (issues.length) {
    throw ValidationError.fromIssues('request', issues);
  }
}
