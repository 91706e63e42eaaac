import * as z from 'zod';
import { submittedView } from '../core/apiViews';
import { bucketEnv, jobsTableEnv, parseEnv } from '../core/config';
import { createTransitionJob } from '../shared/createJob';
import { dynamo } from '../shared/dynamoClient';
import { httpHandler, json, jsonBody, ownerOf, publicBaseUrl } from '../shared/http';
import { sfn } from '../shared/sfnClient';

const env = parseEnv(jobsTableEnv.extend(bucketEnv.shape).extend({ STATE_MACHINE_ARN: z.string().min(1) }));

const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  sfn,
  stateMachineArn: env.STATE_MACHINE_ARN,
  bucket: env.BUCKET_NAME,
};

/** POST /v2/pixverse-5-transition — Segmind's submit, answered 202 with absolute poll URLs. */
export const handler = httpHandler(async (event) => {
  const owner = ownerOf(event);
  const job = await createTransitionJob(owner, jsonBody(event), deps);
  return json(202, submittedView(job, publicBaseUrl(event)));
});
