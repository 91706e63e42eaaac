import { dynamo } from '../adapters/dynamoClient';
import { segmindClientFrom } from '../adapters/segmindFromEnv';
import { workflowTask } from '../adapters/workflowTask';
import { jobsTableEnv, parseEnv, pollEnv, segmindEnv } from '../core/config';
import { pollingStateSchema } from '../core/workflowState';
import { checkStatus } from './steps/checkStatus';
import { pollSettingsFrom } from './steps/pollSettings';

const env = parseEnv(jobsTableEnv.extend(pollEnv.shape).and(segmindEnv));

const deps = {
  store: { doc: dynamo, tableName: env.JOBS_TABLE_NAME },
  segmind: segmindClientFrom(env),
  pollSettings: pollSettingsFrom(env),
};

export const handler = workflowTask(pollingStateSchema, (state) => checkStatus(state, deps));
