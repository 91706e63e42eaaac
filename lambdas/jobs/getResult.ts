import { dynamo } from '../adapters/dynamoClient';
import { httpHandler, json, ownerOf, pathId } from '../adapters/http';
import { s3 } from '../adapters/s3Client';
import { videoUrlMinter } from '../adapters/videoUrls';
import { resultView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { ownedJob } from './ownedJob';

const env = parseEnv(FUNCTION_ENV.getResult);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

/** A fresh presigned URL on every read: one signed by a Lambda role dies with its session. */
const mintVideoUrl = videoUrlMinter(s3, env.FRAMEBRIDGE_RESULT_URL_TTL_S);

/** GET /v2/requests/{id} — the result, with the video as a presigned URL. */
export const handler = httpHandler(async (event) => {
  const job = await ownedJob(store, pathId(event), ownerOf(event));
  const video =
    job.status === 'COMPLETED' && job.output ? await mintVideoUrl(job.output.s3Bucket, job.output.videoKey) : undefined;
  return json(job.status === 'FAILED' ? 422 : 200, resultView(job, video));
});
