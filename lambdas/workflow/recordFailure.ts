import { dynamo } from '../adapters/dynamoClient';
import { workflowTask } from '../adapters/workflowTask';
import { jobsTableEnv, parseEnv } from '../core/config';
import { failureInputSchema } from '../core/workflowState';
import { recordFailure } from './steps/recordFailure';

const env = parseEnv(jobsTableEnv);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

export const handler = workflowTask(failureInputSchema, (input) => recordFailure(input, { store }));
