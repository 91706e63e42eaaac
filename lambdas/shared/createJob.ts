import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ulid } from 'ulid';
import { ValidationError } from '../core/errors';
import type { Job } from '../core/job';
import { parseS3Uri, parseTransitionRequest } from '../core/schemas';
import { type JobStore, putNewJob, recordFailed } from './jobStore';
import { logger } from './logger';

export interface CreateJobDeps {
  store: JobStore;
  sfn: SFNClient;
  stateMachineArn: string;
  /** The bucket s3:// frames must live in. */
  bucket: string;
  /** Days a job record is kept (DynamoDB TTL). */
  retentionDays?: number;
}

/** Frames given as s3:// must be in our bucket: we presign them with our own role. */
function assertFramesInBucket(request: { first_frame_url: string; last_frame_url: string }, bucket: string): void {
  const issues = (['first_frame_url', 'last_frame_url'] as const).flatMap((field) => {
    const s3 = parseS3Uri(request[field]);
    return s3 && s3.bucket !== bucket ? [{ field, rule: `must be in s3://${bucket}/ (the framebridge bucket)` }] : [];
  });
  if (issues.length) {
    throw new ValidationError(`Invalid request: ${issues.map((i) => `${i.field} ${i.rule}`).join('; ')}`, issues);
  }
}

/**
 * Validates the body (before anything is written or paid for), records the job
 * and starts its execution, named after the job so it can never start twice.
 */
export async function createTransitionJob(owner: string, body: unknown, deps: CreateJobDeps): Promise<Job> {
  const request = parseTransitionRequest(body);
  assertFramesInBucket(request, deps.bucket);
  const now = new Date();
  const job: Job = {
    id: ulid(),
    owner,
    status: 'QUEUED',
    phase: 'queued',
    request,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + (deps.retentionDays ?? 30) * 86_400,
  };
  await putNewJob(deps.store, job);
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: job.id,
        input: JSON.stringify({ jobId: job.id }),
      }),
    );
  } catch (error) {
    logger.error('could not start the execution', { jobId: job.id, error });
    await recordFailed(deps.store, job.id, { code: 'internal_error', message: 'The job could not be started' });
    throw error;
  }
  return job;
}
