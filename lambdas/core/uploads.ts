import * as z from 'zod/mini';
import { UPLOADS_PREFIX } from './contract/names';
import { MAX_FRAME_BYTES } from './imageInfo';
import { INBOX_PREFIX } from './manifest';
import { parseOrThrow, parseS3Uri } from './schemas';
import { tenantIdSchema } from './tenants';
import { withMeta } from './zodMini';

/** The frame formats the upstream accepts, by content type, with the extension a default name gets. */
export const frameContentTypes = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const;
export type FrameContentType = keyof typeof frameContentTypes;
const contentTypeNames = Object.keys(frameContentTypes) as [FrameContentType, ...FrameContentType[]];

/** Seconds a presigned upload URL stays valid. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;

/** Every prefix a frame may be read from, whoever asks: what the roles that read frames are granted. */
export const FRAME_PREFIXES = [UPLOADS_PREFIX, INBOX_PREFIX] as const;

const contentLengthRule = `must be the image's size in bytes, a whole number from 1 to ${MAX_FRAME_BYTES} (20 MB)`;

/** The body of `POST /v2/uploads`. Strict: unknown fields are refused by name. */
export const uploadRequestSchema = z.strictObject(
  {
    content_type: z.enum(contentTypeNames, {
      error: (issue) => (issue.input === undefined ? 'is required' : `must be one of ${contentTypeNames.join(', ')}`),
    }),
    content_length: withMeta(
      z
        .number({
          error: (issue) => (issue.input === undefined ? `is required and ${contentLengthRule}` : contentLengthRule),
        })
        .check(z.int({ error: contentLengthRule }))
        .check(z.gte(1, { error: contentLengthRule }))
        .check(z.lte(MAX_FRAME_BYTES, { error: contentLengthRule })),
      {
        description:
          'The exact size of the image in bytes (at most 20 MB, 20971520). It is signed into the upload URL: S3 refuses an upload of any other size.',
      },
    ),
    filename: withMeta(
      z.optional(
        z
          .string({ error: 'must be a string' })
          .check(z.maxLength(128, { error: 'must be at most 128 characters' }))
          .check(
            z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
              error: 'must start with a letter or digit and hold only letters, digits, ".", "_" and "-"',
              abort: true,
            }),
          )
          .check(z.refine((name) => !name.includes('..'), { error: 'must not contain ".."' })),
      ),
      { description: 'The object name under the upload prefix; default frame.<ext>' },
    ),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a JSON object') },
);
export type UploadRequest = z.output<typeof uploadRequestSchema>;

export function parseUploadRequest(body: unknown): UploadRequest {
  return parseOrThrow(uploadRequestSchema, body, 'request');
}

/** `uploads/<tenant id>/`: every upload of one tenant, and the only place its API jobs may read frames from. */
export function tenantUploadsPrefix(tenantId: string): string {
  // A tenant id holds no '/' and no '.': one tenant's prefix can never hold or name another's.
  if (!tenantIdSchema.safeParse(tenantId).success) throw new Error(`'${tenantId}' is not a tenant id`);
  return `${UPLOADS_PREFIX}${tenantId}/`;
}

/**
 * `uploads/<tenant id>/<upload id>/<filename or frame.<ext>>`: under the
 * tenant's own prefix, and a fresh prefix per upload, so uploads never
 * overwrite each other.
 */
export function uploadKey(tenantId: string, uploadId: string, request: UploadRequest): string {
  const name = request.filename ?? `frame.${frameContentTypes[request.content_type]}`;
  return `${tenantUploadsPrefix(tenantId)}${uploadId}/${name}`;
}

/**
 * Where a new job's `s3://` frames may be: one prefix of the framebridge
 * bucket. Every frame outside it, and every frame inside it that does not
 * exist, is refused with the same `rule`, so a refusal says nothing about what
 * the bucket holds.
 */
export interface FrameScope {
  readonly bucket: string;
  readonly prefix: string;
  readonly rule: string;
}

/** An API job's frames: only the tenant's own uploads. */
export function tenantFrameScope(bucket: string, tenantId: string): FrameScope {
  return {
    bucket,
    prefix: tenantUploadsPrefix(tenantId),
    rule: 'must be an s3:// URI of a frame this tenant uploaded (POST /v2/uploads)',
  };
}

/** A manifest's frames: only the intake's `inbox/`, which whoever may write manifests may also write frames to. */
export function inboxFrameScope(bucket: string): FrameScope {
  return {
    bucket,
    prefix: INBOX_PREFIX,
    rule: `must name an existing object under s3://${bucket}/${INBOX_PREFIX} (the intake reads frames from inbox/ only)`,
  };
}

/**
 * Whether `key` names an object under `prefix`, by a key no path handling can
 * move elsewhere: something after the prefix, and no empty, `.` or `..` segment.
 */
export function isKeyUnder(prefix: string, key: string): boolean {
  if (!key.startsWith(prefix) || key.length === prefix.length) return false;
  return key
    .slice(prefix.length)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** A frame the request schema accepted is an https URL (in its parsed form) or else an `s3://` URI, held to the scope. */
export const isHttpsFrame = (frame: string): boolean => frame.startsWith('https://');

/** The key of an `s3://` frame in `scope`; undefined for a URI anywhere else (another bucket, another prefix). */
export function frameKeyIn(scope: FrameScope, uri: string): string | undefined {
  const s3 = parseS3Uri(uri);
  return s3 && s3.bucket === scope.bucket && isKeyUnder(scope.prefix, s3.key) ? s3.key : undefined;
}
