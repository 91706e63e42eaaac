import { dynamo } from '../adapters/dynamoClient';
import { workflowTask } from '../adapters/workflowTask';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { webhookFailureInputSchema } from '../core/webhook';
import { recordWebhookFailure } from './steps/recordWebhookFailure';

const env = parseEnv(FUNCTION_ENV.recordWebhookFailure);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

/** Record Webhook Failure: marks the job's webhook failed; the job's status stays as it is. */
export const handler = workflowTask(webhookFailureInputSchema, (input) => recordWebhookFailure(input, { store }));
