import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { logger } from '../../adapters/logger';
import { ValidationError } from '../../core/errors';
import type { Job, JobSource } from '../../core/job';
import {
  MAX_MANIFEST_BYTES,
  ManifestError,
  type ManifestErrorCode,
  type ManifestIssue,
  manifestErrorDocument,
  manifestIdempotencyKey,
  manifestName,
  outboxKeys,
  type ParsedManifest,
  parseManifest,
} from '../../core/manifest';
import { TenantLimitError } from '../../core/spendLimits';

/** The object an `Object Created` event names. */
export interface CreatedObject {
  bucket: string;
  key: string;
  etag?: string;
  size?: number;
}

/** The shared create-job core: records the job and starts its execution, once per idempotency key. */
export type StartJob = (input: {
  owner: string;
  body: unknown;
  idempotencyKey: string;
  source: JobSource;
}) => Promise<{ job: Job; replayed: boolean }>;

export interface AcceptManifestDeps {
  s3: S3Client;
  /** The framebridge bucket: the only bucket whose inbox/ is read. */
  bucket: string;
  /** The tenant that owns the intake's jobs, and whose spend limits they count against. */
  tenant: string;
  startJob: StartJob;
}

/** Why a manifest started no job: the manifest is wrong, or its tenant is at a spend limit. */
type Rejection = ManifestErrorCode | TenantLimitError['code'];

export type IntakeOutcome =
  | { outcome: 'ignored'; key: string; reason: string }
  | { outcome: 'started' | 'duplicate'; key: string; jobId: string }
  | { outcome: 'rejected'; key: string; code: Rejection; errorKey: string };

const unquote = (etag: string | undefined) => etag?.replace(/^"|"$/g, '');

const httpStatus = (error: unknown) =>
  error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;

/** S3's answer for an object that is not there. */
const isMissing = (error: unknown) =>
  (error instanceof Error && ['NoSuchKey', 'NotFound'].includes(error.name)) || httpStatus(error) === 404;

/** S3's answer for an object the role may not see, or that is not there when it may not list the bucket. */
const isForbidden = (error: unknown) =>
  (error instanceof Error && ['Forbidden', 'AccessDenied'].includes(error.name)) || httpStatus(error) === 403;

/**
 * Turns a manifest dropped in `inbox/` into a job of the intake's tenant. A
 * manifest that cannot start a job — a bad one, or one over the tenant's spend
 * limits — is answered with `outbox/<name>.error.json` and the call succeeds
 * (it is not retried); transient S3, DynamoDB or Step Functions failures
 * throw, so the event is redelivered. Each object version starts at most one job.
 */
export async function acceptManifest(object: CreatedObject, deps: AcceptManifestDeps): Promise<IntakeOutcome> {
  const { key } = object;
  if (object.bucket !== deps.bucket) {
    return ignored(key, `the object is in ${object.bucket}, not in the framebridge bucket ${deps.bucket}`);
  }
  const name = manifestName(key);
  if (name === undefined) return ignored(key, 'not a manifest: only inbox/*.json starts a job');

  const answer = async (code: Rejection, document: unknown, details: unknown): Promise<IntakeOutcome> => {
    const errorKey = outboxKeys(name).error;
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: errorKey,
        Body: `${JSON.stringify(document, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
    logger.warn('manifest rejected', { key, code, details });
    return { outcome: 'rejected', key, code, errorKey };
  };
  const reject = (error: ManifestError) => answer(error.code, manifestErrorDocument(error, key), error.details);

  if (object.size !== undefined && object.size > MAX_MANIFEST_BYTES) return reject(tooLarge(object.size));
  const read = await readManifest(object, deps);
  if (read === undefined) return ignored(key, 'the manifest no longer exists');
  if ('tooLarge' in read) return reject(tooLarge(read.tooLarge));

  let manifest: ParsedManifest;
  try {
    manifest = parseManifest(read.bytes, deps.bucket);
    await checkInboxFrames(manifest, deps);
  } catch (error) {
    if (error instanceof ManifestError) return reject(error);
    throw error;
  }

  // The version read, not the one the event named: a newer upload may have
  // replaced it (its own event follows), and the key must describe these bytes.
  const version = { versionId: read.versionId, etag: read.etag ?? unquote(object.etag) };
  let started: { job: Job; replayed: boolean };
  try {
    started = await deps.startJob({
      owner: deps.tenant,
      body: manifest.request,
      idempotencyKey: manifestIdempotencyKey(key, version),
      source: { type: 's3', bucket: deps.bucket, key, versionId: version.versionId, name },
    });
  } catch (error) {
    // The create-job core's own checks: each frame's format, size and dimensions.
    if (error instanceof ValidationError) return reject(ManifestError.fromValidation(error));
    if (error instanceof TenantLimitError) return answer(error.code, limitErrorDocument(error, key), [error.issue]);
    throw error;
  }
  const outcome = started.replayed ? 'duplicate' : 'started';
  logger.info(started.replayed ? 'manifest already started a job' : 'job started from manifest', {
    key,
    jobId: started.job.id,
  });
  return { outcome, key, jobId: started.job.id };
}

/**
 * `outbox/<name>.error.json` for a manifest refused by a spend limit. The
 * manifest is not retried: the event's retries would outlast neither a full
 * day's quota nor a long queue of jobs, and would end in the dead-letter queue
 * with nothing in outbox/. The answer says which limit and when to upload the
 * manifest again (the same bytes may be uploaded again: no job was made).
 */
function limitErrorDocument(error: TenantLimitError, manifestKey: string, now = new Date()) {
  const { retryAfterSeconds } = error.refusal;
  return {
    error: {
      code: error.code,
      message: `${error.message}; upload the manifest again then`,
      details: [error.issue],
      retry_after_seconds: retryAfterSeconds,
      retry_after: new Date(now.getTime() + retryAfterSeconds * 1000).toISOString(),
    },
    manifest_key: manifestKey,
  };
}

function ignored(key: string, reason: string): IntakeOutcome {
  logger.info('object ignored', { key, reason });
  return { outcome: 'ignored', key, reason };
}

const tooLarge = (bytes: number) =>
  new ManifestError(
    'manifest_too_large',
    `The manifest is ${bytes} bytes; at most ${MAX_MANIFEST_BYTES} bytes are accepted`,
  );

type ReadManifest = { bytes: Uint8Array; versionId?: string; etag?: string } | { tooLarge: number };

/**
 * Reads the manifest's current version (no VersionId: reading an older version
 * would need s3:GetObjectVersion, and a superseded manifest is answered by its
 * successor's event); `undefined` when it is gone.
 */
async function readManifest(object: CreatedObject, deps: AcceptManifestDeps): Promise<ReadManifest | undefined> {
  let answer: GetObjectCommandOutput;
  try {
    answer = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: object.key }));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  if (answer.ContentLength !== undefined && answer.ContentLength > MAX_MANIFEST_BYTES) {
    if (answer.Body && 'destroy' in answer.Body) answer.Body.destroy();
    return { tooLarge: answer.ContentLength };
  }
  const bytes = (await answer.Body?.transformToByteArray()) ?? new Uint8Array();
  return { bytes, versionId: answer.VersionId, etag: unquote(answer.ETag) };
}

/**
 * Frames under inbox/ must exist before any job does. A 403 counts as missing:
 * the role may read inbox/ but not list the bucket, so S3 answers 403 rather
 * than 404 for an absent key. Format, size and dimensions are then checked by
 * the create-job core, as for the API.
 */
async function checkInboxFrames(manifest: ParsedManifest, deps: AcceptManifestDeps): Promise<void> {
  const missing: ManifestIssue[] = [];
  for (const frame of manifest.inboxFrames) {
    try {
      await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: frame.key }));
    } catch (error) {
      if (!isMissing(error) && !isForbidden(error)) throw error;
      missing.push({
        field: frame.field,
        rule: `names s3://${deps.bucket}/${frame.key}, which does not exist; upload the frame before the manifest`,
      });
    }
  }
  if (missing.length > 0) throw ManifestError.fromIssues('frame_not_found', missing);
}
