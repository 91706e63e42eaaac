import type * as z from 'zod/mini';
import { dynamo } from '../adapters/dynamoClient';
import { s3 } from '../adapters/s3Client';
import { sfn } from '../adapters/sfnClient';
import type { FUNCTION_ENV } from '../core/contract/env';
import type { CreateJobDeps } from './createJob';

/** What every door that creates jobs reads (the intake's environment extends it). */
export type CreateJobEnv = z.output<(typeof FUNCTION_ENV)['createTransition']>;

/**
 * What every door that creates jobs (the API, the S3 intake) needs, from the
 * environment CDK gives it, which the door parses once per cold start.
 */
export function createJobDepsFromEnv(env: CreateJobEnv): CreateJobDeps & { bucket: string } {
  return {
    store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
    sfn,
    s3,
    stateMachineArn: env.STATE_MACHINE_ARN,
    bucket: env.BUCKET_NAME,
    allowPrivateCallbacks: env.FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS,
    retentionDays: env.FRAMEBRIDGE_JOB_RETENTION_DAYS,
    limitDefaults: {
      maxActiveJobs: env.FRAMEBRIDGE_MAX_ACTIVE_JOBS,
      maxJobsPerDay: env.FRAMEBRIDGE_MAX_JOBS_PER_DAY,
    },
  };
}
