import * as z from 'zod';
import { dynamo } from '../adapters/dynamoClient';
import { s3 } from '../adapters/s3Client';
import { sfn } from '../adapters/sfnClient';
import { bucketEnv, jobsTableEnv, parseEnv, privateCallbacksEnv } from '../core/config';
import type { CreateJobDeps } from './createJob';

const createJobEnv = jobsTableEnv
  .extend(bucketEnv.shape)
  .extend(privateCallbacksEnv.shape)
  .extend({ STATE_MACHINE_ARN: z.string().min(1) });

/**
 * What every door that creates jobs (the API, the S3 intake) needs, from the
 * environment CDK gives it; parsed once per cold start by the caller.
 */
export function createJobDepsFromEnv(): CreateJobDeps & { bucket: string } {
  const env = parseEnv(createJobEnv);
  return {
    store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
    sfn,
    s3,
    stateMachineArn: env.STATE_MACHINE_ARN,
    bucket: env.BUCKET_NAME,
    allowPrivateCallbacks: env.FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS,
  };
}
