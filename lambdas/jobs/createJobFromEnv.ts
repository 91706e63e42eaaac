import { dynamo } from '../adapters/dynamoClient';
import { s3 } from '../adapters/s3Client';
import { sfn } from '../adapters/sfnClient';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import type { CreateJobDeps } from './createJob';

/**
 * What every door that creates jobs (the API, the S3 intake) needs, from the
 * environment CDK gives it; parsed once per cold start by the caller.
 */
export function createJobDepsFromEnv(door: 'createTransition' | 's3Manifest'): CreateJobDeps & { bucket: string } {
  const env = parseEnv(FUNCTION_ENV[door]);
  return {
    store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
    sfn,
    s3,
    stateMachineArn: env.STATE_MACHINE_ARN,
    bucket: env.BUCKET_NAME,
    allowPrivateCallbacks: env.FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS,
  };
}
