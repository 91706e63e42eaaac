import { dynamo } from '../adapters/dynamoClient';
import { workflowTask } from '../adapters/workflowTask';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { pollingStateSchema } from '../core/workflowState';
import { checkStatus } from './steps/checkStatus';
import { pollSettingsFrom } from './steps/pollSettings';
import { timedSegmindFrom } from './timedSegmind';
import { upstreamBudgetFrom, upstreamGate } from './upstreamGate';

const env = parseEnv(FUNCTION_ENV.checkStatus);

const store = { doc: dynamo, tableName: env.JOBS_TABLE_NAME };
const deps = {
  store,
  gate: upstreamGate(store, upstreamBudgetFrom(env)),
  segmind: timedSegmindFrom(env),
  pollSettings: pollSettingsFrom(env),
};

export const handler = workflowTask(pollingStateSchema, (state, { remainingMs }) =>
  checkStatus(state, { ...deps, remainingMs }),
);
