import { dynamo } from '../adapters/dynamoClient';
import { workflowTask } from '../adapters/workflowTask';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { failureInputSchema } from '../core/workflowState';
import { recordFailure } from './steps/recordFailure';

const env = parseEnv(FUNCTION_ENV.recordFailure);
const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };

export const handler = workflowTask(failureInputSchema, (input) => recordFailure(input, { store }));
