import { dynamo } from '../adapters/dynamoClient';
import { s3 } from '../adapters/s3Client';
import { workflowTask } from '../adapters/workflowTask';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { allowedOutputHosts } from '../core/outputHosts';
import { DEFAULT_MAX_VIDEO_BYTES } from '../core/timeBudget';
import { completedStateSchema } from '../core/workflowState';
import { copyVideo } from './steps/copyVideo';

const env = parseEnv(FUNCTION_ENV.copyToS3);

const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  s3,
  bucket: env.BUCKET_NAME,
  segmindBaseUrl: env.SEGMIND_BASE_URL,
  allowedHosts: allowedOutputHosts(env.FRAMEBRIDGE_OUTPUT_HOSTS, env.SEGMIND_BASE_URL),
  maxBytes: env.FRAMEBRIDGE_MAX_VIDEO_BYTES ?? DEFAULT_MAX_VIDEO_BYTES,
  idleTimeoutMs:
    env.FRAMEBRIDGE_VIDEO_IDLE_TIMEOUT_S === undefined ? undefined : env.FRAMEBRIDGE_VIDEO_IDLE_TIMEOUT_S * 1000,
};

export const handler = workflowTask(completedStateSchema, (state, { remainingMs }) =>
  copyVideo(state, { ...deps, remainingMs }),
);
