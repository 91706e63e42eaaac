import { defaultPollSettings, type PollSettings } from '../../core/pollPlan';

export function pollSettingsFrom(env: {
  FRAMEBRIDGE_POLL_FIRST_S?: number;
  FRAMEBRIDGE_POLL_INTERVAL_S?: number;
  FRAMEBRIDGE_POLL_DEADLINE_S?: number;
}): PollSettings {
  return {
    firstWaitSeconds: env.FRAMEBRIDGE_POLL_FIRST_S,
    intervalSeconds: env.FRAMEBRIDGE_POLL_INTERVAL_S,
    deadlineSeconds: env.FRAMEBRIDGE_POLL_DEADLINE_S ?? defaultPollSettings.deadlineSeconds,
  };
}
