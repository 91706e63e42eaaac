import type { S3Client } from '@aws-sdk/client-s3';
import { type FieldIssue, ValidationError } from '../core/errors';
import type { JobSource } from '../core/job';
import { parseTransitionRequest, type TransitionRequest } from '../core/schemas';
import { type FrameScope, frameKeyIn, inboxFrameScope, isHttpsFrame, tenantFrameScope } from '../core/uploads';
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
  /** The tenant the job is for: an API job's s3:// frames must be its own uploads (`uploads/<owner>/`). */
  owner: string;
  /**
   * Where the job came from. A manifest's (`type: 's3'`) frames are read from
   * `inbox/` instead; any other source is held to the tenant's uploads.
   * @default - the API's rule
   */
  source?: JobSource;
  /**
   * Whether to read the s3:// frames from the bucket (the last check, and the only
   * one that calls AWS). @default true
   */
  readFrames?: boolean;
}

/** Where the job's s3:// frames may be: the intake's inbox/ for a manifest, else the tenant's own uploads. */
function frameScopeOf(options: ValidateNewJobOptions, bucket: string): FrameScope {
  return options.source?.type === 's3' ? inboxFrameScope(bucket) : tenantFrameScope(bucket, options.owner);
}

/**
 * s3:// frames must be in the job's frame scope: our bucket (we presign them
 * with our own role) and the prefix its door may read. Decided on the URI alone,
 * before anything is read, and worded the same for every frame outside it.
 */
function framesOutsideScope(request: TransitionRequest, scope: FrameScope): FieldIssue[] {
  return (['first_frame_url', 'last_frame_url'] as const).flatMap((field) => {
    const uri = request[field];
    return isHttpsFrame(uri) || frameKeyIn(scope, uri) !== undefined ? [] : [{ field, rule: scope.rule }];
  });
}

/**
 * Every check a new job's request must pass before anything is written or paid
 * for, in this order. The first check that finds a problem throws one
 * ValidationError ("Invalid request: field rule; …") naming each field and rule:
 * 1. the body against the request schema: fields, types, ranges, unknown fields;
 * 2. s3:// frames are in the job's frame scope (no read: another tenant's
 *    frame, one outside the allowed prefixes and, in step 4, a missing one all
 *    get the same rule, so nothing tells what the bucket holds);
 * 3. every URL handed on (https frames, the callback) reaches only public addresses;
 * 4. s3:// frames exist and are PNG, JPEG or WebP within the size limits.
 * Returns the request as it is stored: parsed, defaults applied.
 */
export async function validateNewJob(
  body: unknown,
  deps: ValidateNewJobDeps,
  options: ValidateNewJobOptions,
): Promise<TransitionRequest> {
  const request = parseTransitionRequest(body);
  const scope = frameScopeOf(options, deps.bucket);
  const outside = framesOutsideScope(request, scope);
  if (outside.length > 0) throw ValidationError.fromIssues('request', outside);
  await assertPublicUrls(request, {
    allowPrivateCallbacks: deps.allowPrivateCallbacks ?? false,
    resolve: deps.resolve,
  });
  if (options.readFrames ?? true) await checkS3Frames(request, { s3: deps.s3, scope });
  return request;
}
