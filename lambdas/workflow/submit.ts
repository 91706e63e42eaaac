import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { dynamo } from '../adapters/dynamoClient';
import { readLatencies } from '../adapters/latencyStatsStore';
import { s3 } from '../adapters/s3Client';
import { workflowTask } from '../adapters/workflowTask';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { ValidationError } from '../core/errors';
import { DEFAULT_CAPACITY_WAIT_SECONDS } from '../core/timeBudget';
import { FRAME_PREFIXES, isKeyUnder } from '../core/uploads';
import { submitInputSchema } from '../core/workflowState';
import { pollSettingsFrom } from './steps/pollSettings';
import { submitJob } from './steps/submitJob';
import { timedSegmindFrom } from './timedSegmind';
import { upstreamBudgetFrom, upstreamGate } from './upstreamGate';

const env = parseEnv(FUNCTION_ENV.submit);
const FRAME_URL_TTL_SECONDS = 3600;

const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };
const deps = {
  store,
  gate: upstreamGate(store, upstreamBudgetFrom(env)),
  capacityWaitSeconds: env.FRAMEBRIDGE_CAPACITY_WAIT_S ?? DEFAULT_CAPACITY_WAIT_SECONDS,
  segmind: timedSegmindFrom(env),
  pollSettings: pollSettingsFrom(env),
  latencies: (request: Parameters<typeof readLatencies>[1]) => readLatencies(store, request),
  // The job's frames were held to its door's prefix when it was created; this
  // role presigns nothing outside the prefixes any frame may be in.
  presignFrame: (bucket: string, key: string) => {
    if (bucket !== env.BUCKET_NAME || !FRAME_PREFIXES.some((prefix) => isKeyUnder(prefix, key))) {
      const prefixes = FRAME_PREFIXES.map((prefix) => `s3://${env.BUCKET_NAME}/${prefix}`).join(' or ');
      return Promise.reject(
        ValidationError.fromIssues('request', [{ field: 'frame', rule: `must be under ${prefixes}` }]),
      );
    }
    return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: FRAME_URL_TTL_SECONDS });
  },
};

export const handler = workflowTask(submitInputSchema, (input, { remainingMs }) =>
  submitJob(input, { ...deps, remainingMs }),
);
