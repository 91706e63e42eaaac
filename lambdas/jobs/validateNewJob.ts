import type { S3Client } from '@aws-sdk/client-s3';
import { type FieldIssue, ValidationError } from '../core/errors';
import { parseS3Uri, parseTransitionRequest, type TransitionRequest } from '../core/schemas';
import { checkS3Frames } from './frameCheck';
import { assertPublicUrls, type Resolve } from './publicUrls';

export interface ValidateNewJobDeps {
  /** Reads the s3:// frames' bytes. */
  s3: S3Client;
  /** The bucket s3:// frames must live in. */
  bucket: string;
  /** The local development switch: private and plain-http callback URLs allowed. @default false */
  allowPrivateCallbacks?: boolean;
  /** Resolves host names for the public-URL check. @default DNS */
  resolve?: Resolve;
}

export interface ValidateNewJobOptions {
  /**
   * Whether to read the s3:// frames from the bucket (the last check, and the only
   * one that calls AWS). @default true
   */
  readFrames?: boolean;
}

/** Frames given as s3:// must be in our bucket: we presign them with our own role. */
function framesOutsideBucket(request: TransitionRequest, bucket: string): FieldIssue[] {
  return (['first_frame_url', 'last_frame_url'] as const).flatMap((field) => {
    const s3 = parseS3Uri(request[field]);
    return s3 && s3.bucket !== bucket ? [{ field, rule: `must be in s3://${bucket}/ (the framebridge bucket)` }] : [];
  });
}

/**
 * Every check a new job's request must pass before anything is written or paid
 * for, in this order. The first check that finds a problem throws one
 * ValidationError ("Invalid request: field rule; …") naming each field and rule:
 * 1. the body against the request schema: fields, types, ranges, unknown fields;
 * 2. s3:// frames are in the framebridge bucket;
 * 3. every URL handed on (https frames, the callback) reaches only public addresses;
 * 4. s3:// frames exist and are PNG, JPEG or WebP within the size limits.
 * Returns the request as it is stored: parsed, defaults applied.
 */
export async function validateNewJob(
  body: unknown,
  deps: ValidateNewJobDeps,
  options: ValidateNewJobOptions = {},
): Promise<TransitionRequest> {
  const request = parseTransitionRequest(body);
  const outside = framesOutsideBucket(request, deps.bucket);
  if (outside.length > 0) throw ValidationError.fromIssues('request', outside);
  await assertPublicUrls(request, {
    allowPrivateCallbacks: deps.allowPrivateCallbacks ?? false,
    resolve: deps.resolve,
  });
  if (options.readFrames ?? true) await checkS3Frames(request, deps);
  return request;
}
