import { dynamo } from '../adapters/dynamoClient';
import { sfn } from '../adapters/sfnClient';
import { workflowTask } from '../adapters/workflowTask';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { executionInputSchema } from '../core/workflowState';
import { notify } from './steps/notify';

const env = parseEnv(FUNCTION_ENV.notify);

const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  sfn,
  webhookStateMachineArn: env.WEBHOOK_STATE_MACHINE_ARN,
};

/** Notify: starts the webhook delivery of a finished job that asked for one (the EventBridge event is native). */
export const handler = workflowTask(executionInputSchema, (input) => notify(input.jobId, deps));
