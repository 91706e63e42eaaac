import { dynamo } from '../adapters/dynamoClient';
import { s3 } from '../adapters/s3Client';
import { videoUrlMinter } from '../adapters/videoUrls';
import { webhookSigningSecret } from '../adapters/webhookSecret';
import { workflowTask } from '../adapters/workflowTask';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { webhookDeliveryInputSchema } from '../core/webhook';
import { guardedPost } from './guardedPost';
import { deliverWebhook } from './steps/deliverWebhook';

const env = parseEnv(FUNCTION_ENV.deliverWebhook);

const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  signingSecret: () => webhookSigningSecret(env),
  mintVideoUrl: videoUrlMinter(s3, env.FRAMEBRIDGE_RESULT_URL_TTL_S),
  post: (url: string, body: string, headers: Record<string, string>) =>
    guardedPost(url, body, headers, { allowPrivate: env.FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS }),
};

/** Deliver Webhook: one signed, SSRF-guarded attempt; the state machine retries. */
export const handler = workflowTask(webhookDeliveryInputSchema, (input) => deliverWebhook(input, deps));
