import { dynamo } from '../adapters/dynamoClient';
import { readLatencies, recordLatency } from '../adapters/latencyStatsStore';
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
  latencies: {
    read: (request: Parameters<typeof readLatencies>[1]) => readLatencies(store, request),
    record: (request: Parameters<typeof recordLatency>[1], observation: Parameters<typeof recordLatency>[2]) =>
      recordLatency(store, request, observation),
  },
};

export const handler = workflowTask(pollingStateSchema, (state, { remainingMs }) =>
  checkStatus(state, { ...deps, remainingMs }),
);
