import { CopyObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getJob, type JobStore } from '../../adapters/jobStore';
import { logger } from '../../adapters/logger';
import { outboxFailureDocument, outboxKeys, outboxResultDocument } from '../../core/manifest';

export interface WriteOutboxDeps {
  store: JobStore;
  s3: S3Client;
  /** The framebridge bucket, whose outbox/ receives the results. */
  bucket: string;
}

export type OutboxOutcome =
  | { outcome: 'skipped'; jobId: string; reason: string }
  | { outcome: 'completed' | 'failed'; jobId: string; keys: string[] };

/** A copy source is `bucket/key`, URL-encoded segment by segment. */
const copySource = (bucket: string, key: string) => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

const json = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

/**
 * Answers a manifest from `inbox/` once its job has ended: the video copied
 * server-side to `outbox/<name>.mp4`, then `outbox/<name>.json` (written last,
 * so its presence means the video is there); or `outbox/<name>.error.json`
 * when the job failed. Jobs not started from a manifest are left alone. Every
 * write overwrites, so a redelivered event is harmless.
 */
export async function writeOutbox(jobId: string, deps: WriteOutboxDeps): Promise<OutboxOutcome> {
  const skipped = (reason: string): OutboxOutcome => {
    logger.info('no outbox to write', { jobId, reason });
    return { outcome: 'skipped', jobId, reason };
  };
  const job = await getJob(deps.store, jobId);
  if (!job) return skipped('the job does not exist');
  if (job.source?.type !== 's3') return skipped('the job was not started from a manifest');
  if (job.source.bucket !== deps.bucket) return skipped(`the manifest was in another bucket (${job.source.bucket})`);
  const keys = outboxKeys(job.source.name);

  if (job.status === 'COMPLETED') {
    const output = job.output;
    if (!output) throw new Error(`Job ${jobId} is COMPLETED without an output`);
    await deps.s3.send(
      new CopyObjectCommand({
        Bucket: deps.bucket,
        Key: keys.video,
        CopySource: copySource(output.s3Bucket, output.videoKey),
      }),
    );
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: keys.result,
        Body: json(outboxResultDocument(job, deps.bucket, job.source.name)),
        ContentType: 'application/json',
      }),
    );
    logger.info('outbox written', { jobId, keys: [keys.video, keys.result] });
    return { outcome: 'completed', jobId, keys: [keys.video, keys.result] };
  }
  if (job.status === 'FAILED') {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: keys.error,
        Body: json(outboxFailureDocument(job)),
        ContentType: 'application/json',
      }),
    );
    logger.info('outbox error written', { jobId, key: keys.error });
    return { outcome: 'failed', jobId, keys: [keys.error] };
  }
  logger.warn('transition event for a job that has not ended', { jobId, status: job.status });
  return skipped(`the job is still ${job.status}`);
}
