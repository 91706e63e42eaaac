import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { dynamo } from '../adapters/dynamoClient';
import { httpHandler, json, ownerOf, pathId } from '../adapters/http';
import { s3 } from '../adapters/s3Client';
import { resultView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { ownedJob } from './ownedJob';

const env = parseEnv(FUNCTION_ENV.getResult);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

/** A fresh presigned URL on every read: one signed by a Lambda role dies with its session. */
async function mintVideoUrl(bucket: string, key: string) {
  const expiresIn = env.FRAMEBRIDGE_RESULT_URL_TTL_S;
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn });
  return { url, expiresAt: new Date(Date.now() + expiresIn * 1000) };
}

/** GET /v2/requests/{id} — the result, with the video as a presigned URL. */
export const handler = httpHandler(async (event) => {
  const job = await ownedJob(store, pathId(event), ownerOf(event));
  const video =
    job.status === 'COMPLETED' && job.output ? await mintVideoUrl(job.output.s3Bucket, job.output.videoKey) : undefined;
  return json(job.status === 'FAILED' ? 422 : 200, resultView(job, video));
});
