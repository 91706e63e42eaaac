import { jobsTableEnv, parseEnv } from '../core/config';
import { failureInputSchema } from '../core/workflowState';
import { dynamo } from '../shared/dynamoClient';
import { workflowTask } from '../shared/workflowTask';
import { recordFailure } from './steps/recordFailure';

const env = parseEnv(jobsTableEnv);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

export const handler = workflowTask(failureInputSchema, (input) => recordFailure(input, { store }));
