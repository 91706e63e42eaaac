import { defaultPollSettings, type PollSettings, type PollStrategy } from '../../core/pollPlan';

export function pollSettingsFrom(env: {
  FRAMEBRIDGE_POLL_FIRST_S?: number;
  FRAMEBRIDGE_POLL_INTERVAL_S?: number;
  FRAMEBRIDGE_POLL_DEADLINE_S?: number;
  FRAMEBRIDGE_POLL_STRATEGY?: PollStrategy;
}): PollSettings {
  return {
    firstWaitSeconds: env.FRAMEBRIDGE_POLL_FIRST_S,
    intervalSeconds: env.FRAMEBRIDGE_POLL_INTERVAL_S,
    deadlineSeconds: env.FRAMEBRIDGE_POLL_DEADLINE_S ?? defaultPollSettings.deadlineSeconds,
    strategy: env.FRAMEBRIDGE_POLL_STRATEGY ?? 'learning',
  };
}
