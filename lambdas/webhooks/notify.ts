import * as z from 'zod';
import { dynamo } from '../adapters/dynamoClient';
import { sfn } from '../adapters/sfnClient';
import { workflowTask } from '../adapters/workflowTask';
import { jobsTableEnv, parseEnv } from '../core/config';
import { executionInputSchema } from '../core/workflowState';
import { notify } from './steps/notify';

const env = parseEnv(jobsTableEnv.extend({ WEBHOOK_STATE_MACHINE_ARN: z.string().min(1) }));

const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  sfn,
  webhookStateMachineArn: env.WEBHOOK_STATE_MACHINE_ARN,
};

/** Notify: starts the webhook delivery of a finished job that asked for one (the EventBridge event is native). */
export const handler = workflowTask(executionInputSchema, (input) => notify(input.jobId, deps));
