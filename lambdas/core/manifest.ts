import { createHash } from 'node:crypto';
import { invalidMessage, ValidationError } from './errors';
import type { Job } from './job';
import { parseS3Uri, parseTransitionRequest, type TransitionRequest } from './schemas';

/**
 * The S3 door's rules: which keys are manifests, how a manifest's frames
 * resolve, what the job is keyed on, and the documents written to `outbox/`.
 * Pure: the intake and outbox handlers do the S3 calls.
 */

export const INBOX_PREFIX = 'inbox/';
export const OUTBOX_PREFIX = 'outbox/';
const MANIFEST_SUFFIX = '.json';
/** Manifests are small request bodies; anything bigger is refused without parsing. */
export const MAX_MANIFEST_BYTES = 256 * 1024;
const FRAME_FIELDS = ['first_frame_url', 'last_frame_url'] as const;
export type FrameField = (typeof FRAME_FIELDS)[number];
/** `outbox/` + name + `.error.json` must stay within S3's 1024-byte key limit. */
const MAX_NAME_BYTES = 1024 - OUTBOX_PREFIX.length - '.error.json'.length;

export type ManifestErrorCode = 'manifest_too_large' | 'invalid_json' | 'invalid_manifest' | 'frame_not_found';

export interface ManifestIssue {
  readonly field: string;
  readonly rule: string;
}

/** The manifest itself is wrong: reported in `outbox/<name>.error.json`, never retried. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly code: ManifestErrorCode,
    message: string,
    readonly details: readonly ManifestIssue[] = [],
  ) {
    super(message);
  }

  static fromValidation(error: ValidationError): ManifestError {
    return new ManifestError('invalid_manifest', error.message.replace(/^Invalid request/, 'Invalid manifest'), [
      ...error.issues,
    ]);
  }

  static fromIssues(code: ManifestErrorCode, issues: readonly ManifestIssue[]): ManifestError {
    return new ManifestError(code, invalidMessage('manifest', issues), issues);
  }
}

/**
 * `inbox/<name>.json` → `<name>` with every path segment made safe for an S3
 * key (letters, digits, `.`, `_`, `-`; `.`/`..`/empty segments become `_`);
 * `undefined` for any key outside `inbox/` or not ending in `.json`, so nothing
 * else — `outbox/` above all — can ever start a job.
 */
export function manifestName(key: string): string | undefined {
  if (!key.startsWith(INBOX_PREFIX) || !key.endsWith(MANIFEST_SUFFIX)) return undefined;
  if (key.length < INBOX_PREFIX.length + MANIFEST_SUFFIX.length) return undefined;
  const inner = key.slice(INBOX_PREFIX.length, key.length - MANIFEST_SUFFIX.length);
  return truncateUtf8(inner.split('/').map(safeSegment).join('/'), MAX_NAME_BYTES);
}

function safeSegment(segment: string): string {
  const cleaned = segment.normalize('NFC').replace(/[^\p{L}\p{N}._-]/gu, '_');
  return cleaned === '' || /^\.+$/.test(cleaned) ? '_' : cleaned;
}

function truncateUtf8(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value) <= maxBytes) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return value.slice(0, end);
}

/** Where a manifest's results go. */
export function outboxKeys(name: string): { video: string; result: string; error: string } {
  return {
    video: `${OUTBOX_PREFIX}${name}.mp4`,
    result: `${OUTBOX_PREFIX}${name}.json`,
    error: `${OUTBOX_PREFIX}${name}.error.json`,
  };
}

/**
 * The idempotency key of one object version: the same version (or, in an
 * unversioned bucket, the same bytes under the same key: the ETag) always maps
 * to the same job, however often its event is delivered.
 */
export function manifestIdempotencyKey(key: string, version: { versionId?: string; etag?: string }): string {
  if (!version.versionId && !version.etag) {
    throw new Error(`manifestIdempotencyKey(${key}): a version id or an ETag is required`);
  }
  const identity = version.versionId ? `version:${version.versionId}` : `etag:${version.etag}`;
  return `s3-${createHash('sha256').update(`${key}\n${identity}`).digest('hex')}`;
}

/** A URL or URI (`scheme://…`) is passed on as written; anything else is a key under `inbox/`. */
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

function resolveFrame(value: unknown, field: FrameField, bucket: string): { value: unknown; issue?: ManifestIssue } {
  if (typeof value !== 'string' || value === '' || HAS_SCHEME.test(value)) return { value };
  const segments = value.split('/');
  if (value.startsWith('/') || value.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return {
      value,
      issue: {
        field,
        rule: "must be an https:// URL, an s3://bucket/key URI, or a key relative to inbox/ (no leading '/', no empty, '.' or '..' segments)",
      },
    };
  }
  return { value: `s3://${bucket}/${INBOX_PREFIX}${value}` };
}

export interface ParsedManifest {
  /** The validated request, frames resolved, defaults applied. */
  readonly request: TransitionRequest;
  /** The `s3://` frames, all under this bucket's `inbox/`: the intake checks they exist. */
  readonly inboxFrames: readonly { field: FrameField; key: string }[];
}

/**
 * Parses a manifest: UTF-8 JSON holding the same fields as the API body, with
 * `first_frame_url` / `last_frame_url` also accepted as keys relative to
 * `inbox/` (→ `s3://<bucket>/inbox/<key>`); `s3://` frames must be under this
 * bucket's `inbox/`, the only prefix the intake may read. Throws a ManifestError
 * naming the problem and, for schema violations, every field and rule.
 */
export function parseManifest(bytes: Uint8Array, bucket: string): ParsedManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new ManifestError(
      'manifest_too_large',
      `The manifest is ${bytes.byteLength} bytes; at most ${MAX_MANIFEST_BYTES} bytes are accepted`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ManifestError('invalid_json', `The manifest is not valid UTF-8 JSON: ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ManifestError('invalid_manifest', 'The manifest must be a JSON object with the API body’s fields', [
      { field: 'body', rule: 'must be a JSON object' },
    ]);
  }
  const resolved: Record<string, unknown> = { ...document };
  const issues: ManifestIssue[] = [];
  for (const field of FRAME_FIELDS) {
    if (!Object.hasOwn(resolved, field)) continue;
    const frame = resolveFrame(resolved[field], field, bucket);
    resolved[field] = frame.value;
    if (frame.issue) issues.push(frame.issue);
  }
  if (issues.length > 0) throw ManifestError.fromIssues('invalid_manifest', issues);

  let request: TransitionRequest;
  try {
    request = parseTransitionRequest(resolved);
  } catch (error) {
    if (error instanceof ValidationError) throw ManifestError.fromValidation(error);
    throw error;
  }
  const inboxFrames: { field: FrameField; key: string }[] = [];
  for (const field of FRAME_FIELDS) {
    const s3 = parseS3Uri(request[field]);
    if (!s3) continue;
    if (s3.bucket === bucket && s3.key.startsWith(INBOX_PREFIX)) inboxFrames.push({ field, key: s3.key });
    else
      issues.push({
        field,
        rule: `must be under s3://${bucket}/${INBOX_PREFIX} (the intake reads frames from inbox/ only)`,
      });
  }
  if (issues.length > 0) throw ManifestError.fromIssues('invalid_manifest', issues);
  return { request, inboxFrames };
}

/** `outbox/<name>.error.json` for a manifest that could not start a job. */
export function manifestErrorDocument(error: ManifestError, manifestKey: string) {
  return {
    error: { code: error.code, message: error.message, details: error.details },
    manifest_key: manifestKey,
  };
}

/** `outbox/<name>.json` for a finished job: where the video is, and how it was made. */
export function outboxResultDocument(job: Job, bucket: string, name: string) {
  if (job.status !== 'COMPLETED' || !job.output) {
    throw new Error(`outboxResultDocument: job ${job.id} has not completed with an output`);
  }
  return {
    request_id: job.id,
    status: job.status,
    s3_uri: `s3://${bucket}/${outboxKeys(name).video}`,
    job_s3_uri: `s3://${job.output.s3Bucket}/${job.output.videoKey}`,
    content_type: job.output.contentType,
    bytes: job.output.bytes,
    metrics: job.metrics ?? {},
    ...(job.completedAt ? { completed_at: job.completedAt } : {}),
    ...manifestReference(job),
  };
}

/** `outbox/<name>.error.json` for a job that ended FAILED. */
export function outboxFailureDocument(job: Job) {
  return {
    request_id: job.id,
    status: job.status,
    error: job.error ?? { code: 'internal_error', message: 'The job failed without a recorded reason' },
    ...manifestReference(job),
  };
}

function manifestReference(job: Job) {
  if (job.source?.type !== 's3') return {};
  return {
    manifest_key: job.source.key,
    ...(job.source.versionId ? { manifest_version_id: job.source.versionId } : {}),
  };
}
