import type { JobPhase } from '../job';

/** What the workflow does after a poll answered with a status. */
export type NextStep = 'wait' | 'copy' | 'fail';

/**
 * The upstream's job statuses: the phase a job shows while the upstream reports
 * it, and where the workflow goes next. The Segmind client accepts exactly these
 * statuses, Check Status records the phase, and the state machine's Choice is
 * built from `next`. A new status is a new row here (and in the emulator).
 */
export const UPSTREAM_STATUS_TABLE = {
  QUEUED: { phase: 'submitted', next: 'wait' },
  PROCESSING: { phase: 'generating', next: 'wait' },
  COMPLETED: { phase: 'copying', next: 'copy' },
  FAILED: { phase: 'failed', next: 'fail' },
} as const satisfies Record<string, { phase: JobPhase; next: NextStep }>;

export type UpstreamStatus = keyof typeof UPSTREAM_STATUS_TABLE;

export const upstreamStatuses = Object.keys(UPSTREAM_STATUS_TABLE) as [UpstreamStatus, ...UpstreamStatus[]];

/** The statuses after which the workflow takes `next`. */
export function statusesLeadingTo(next: NextStep): UpstreamStatus[] {
  return upstreamStatuses.filter((status) => UPSTREAM_STATUS_TABLE[status].next === next);
}

/** The statuses that mean "not finished yet: poll again". */
export type PendingUpstreamStatus = {
  [S in UpstreamStatus]: (typeof UPSTREAM_STATUS_TABLE)[S]['next'] extends 'wait' ? S : never;
}[UpstreamStatus];
