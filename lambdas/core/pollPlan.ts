import type { Quality } from './schemas';
import { workflowTimeBudget } from './timeBudget';

/**
 * The poll plan. Segmind takes ~77 s for 5 s at 540p, so polling every 2 s from
 * the start would bill ~40 state transitions per job for nothing. Instead the
 * workflow waits about the expected latency first, then polls at a short interval,
 * and slows down once the job is far past its expected time.
 */

export interface PollSettings {
  /** Overrides the first wait (seconds). */
  firstWaitSeconds?: number;
  /** Overrides the interval between later polls (seconds). */
  intervalSeconds?: number;
  /**
   * Stop polling this long after the execution started: what its timeout leaves
   * once the last check, the copy and the failure path are set aside (`timeBudget.ts`).
   */
  deadlineSeconds: number;
}

/** The plan of a default deployment (55 min execution timeout, 500 MiB video cap). */
export const defaultPollSettings: PollSettings = { deadlineSeconds: workflowTimeBudget().pollDeadlineSeconds };

const BASE_LATENCY_SECONDS = 77;
const qualityFactor: Record<Quality, number> = { '360p': 0.8, '540p': 1, '720p': 1.3, '1080p': 1.8 };
const DEFAULT_INTERVAL_SECONDS = 5;
const SLOW_INTERVAL_SECONDS = 15;

export function expectedLatencySeconds(request: { duration: 5 | 8; quality: Quality }): number {
  const durationFactor = request.duration === 8 ? 1.5 : 1;
  return Math.round(BASE_LATENCY_SECONDS * qualityFactor[request.quality] * durationFactor);
}

/**
 * Seconds after the submit when the job should be done: the first-wait
 * override when set (it is the operator's own estimate), else the expected latency.
 */
export function expectedCompletionSeconds(
  request: { duration: 5 | 8; quality: Quality },
  settings: PollSettings,
): number {
  return settings.firstWaitSeconds ?? expectedLatencySeconds(request);
}

/**
 * Seconds to wait between submit and the first status check, never past the
 * deadline; `elapsedSeconds` is how long the execution has run at submit.
 */
export function firstWaitSeconds(
  request: { duration: 5 | 8; quality: Quality },
  settings: PollSettings,
  elapsedSeconds = 0,
): number {
  const wait = settings.firstWaitSeconds ?? Math.round(expectedLatencySeconds(request) * 0.9);
  return Math.max(1, Math.min(wait, Math.ceil(settings.deadlineSeconds - elapsedSeconds)));
}

export type NextPoll = { waitSeconds: number } | { deadlinePassed: true };

/**
 * Seconds until the next status check. The deadline counts from the execution's
 * start (`elapsedSeconds`), the cadence from the submit (`sinceSubmitSeconds`):
 * polls at the short interval until twice the expected latency, then slows down;
 * never waits past the deadline, and says so once it has passed.
 */
export function nextPoll(
  request: { duration: 5 | 8; quality: Quality },
  elapsedSeconds: number,
  settings: PollSettings,
  sinceSubmitSeconds = elapsedSeconds,
): NextPoll {
  const remaining = settings.deadlineSeconds - elapsedSeconds;
  if (remaining <= 0) return { deadlinePassed: true };
  const interval = settings.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
  const late = sinceSubmitSeconds > 2 * expectedLatencySeconds(request);
  const wait = late ? Math.max(interval, SLOW_INTERVAL_SECONDS) : interval;
  return { waitSeconds: Math.max(1, Math.min(wait, Math.ceil(remaining))) };
}
