import * as z from 'zod';
import { dynamo } from '../adapters/dynamoClient';
import { s3 } from '../adapters/s3Client';
import { workflowTask } from '../adapters/workflowTask';
import { bucketEnv, commaList, jobsTableEnv, optionalPositiveInt, parseEnv } from '../core/config';
import { allowedOutputHosts } from '../core/outputHosts';
import { completedStateSchema } from '../core/workflowState';
import { copyVideo } from './steps/copyVideo';

const env = parseEnv(
  jobsTableEnv.extend(bucketEnv.shape).extend({
    SEGMIND_BASE_URL: z.url().default('https://api.segmind.com'),
    FRAMEBRIDGE_OUTPUT_HOSTS: commaList,
    FRAMEBRIDGE_MAX_VIDEO_BYTES: optionalPositiveInt,
    /** Seconds without a byte before a download counts as stalled. */
    FRAMEBRIDGE_VIDEO_IDLE_TIMEOUT_S: optionalPositiveInt,
  }),
);
const DEFAULT_MAX_VIDEO_BYTES = 500 * 1024 * 1024;

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

export const handler = workflowTask(completedStateSchema, (state) => copyVideo(state, deps));
