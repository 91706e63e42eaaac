import { estimateLatency, type LatencyEstimate, type LatencyObservation } from './latencyStats';
import type { Quality } from './schemas';
import { workflowTimeBudget } from './timeBudget';

/**
 * The poll plan. Segmind takes ~77 s for 5 s at 540p, so polling every 2 s from
 * the start would bill ~40 state transitions per job for nothing.
 *
 * The static plan waits about the expected latency first, then polls at a
 * short interval, and slows down once the job is far past its expected time.
 *
 * The learning plan does the same around what recent jobs of the same quality
 * and duration really took (`latencyStats.ts`): it waits until a low quantile,
 * then Check Status watches the job densely inside one invocation (a Lambda
 * second costs a fraction of the three state transitions a poll round does)
 * until a high quantile, and backs off past it. Without enough history, or
 * when the operator set the cadence, the static plan applies.
 */

export type PollStrategy = 'learning' | 'static';

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
  /** @default 'learning' */
  strategy?: PollStrategy;
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

/** What the learning plan knows for one job: the recent latencies' estimate, and whether this job explores. */
export interface LearnedPlan {
  estimate: LatencyEstimate;
  /** Polled early once, so that the plan can see the upstream get faster. */
  explore: boolean;
}

/** Seconds between status reads while Check Status watches a job. */
export const WATCH_EVERY_SECONDS = 2;
/** An exploring job's first poll, as a share of the low quantile. */
const EXPLORE_SHARE = 0.5;
/** One job in this many explores; one in `EXPLORE_EVERY_CENSORED` when most observations are censored. */
const EXPLORE_EVERY = 10;
const EXPLORE_EVERY_CENSORED = 3;
/** Past the dense window, the wait grows with the overrun, between these. */
const BACKOFF_SHARE = 0.2;
const MIN_BACKOFF_SECONDS = 3;
const MAX_BACKOFF_SECONDS = 30;

/** The learning plan applies when it may (not overridden, not switched off) and has an estimate. */
export function learningApplies(settings: PollSettings, estimate: LatencyEstimate | undefined): boolean {
  return (
    estimate !== undefined &&
    settings.strategy !== 'static' &&
    settings.firstWaitSeconds === undefined &&
    settings.intervalSeconds === undefined
  );
}

/**
 * Whether a job explores: a stable choice by its id, so that every step of
 * the job agrees. When most recent jobs were already done at their first poll
 * the plan cannot tell how early they finished, and explores more often.
 */
export function explores(jobId: string, estimate: LatencyEstimate): boolean {
  let hash = 2166136261;
  for (let i = 0; i < jobId.length; i += 1) hash = Math.imul(hash ^ jobId.charCodeAt(i), 16777619) >>> 0;
  return hash % (estimate.censoredShare >= 0.5 ? EXPLORE_EVERY_CENSORED : EXPLORE_EVERY) === 0;
}

/**
 * Seconds after the submit between which Check Status watches the job: from
 * a little before the low quantile to a margin past the high one.
 */
export function denseWindow(estimate: LatencyEstimate): { from: number; until: number } {
  const from = Math.max(1, estimate.low - 0.05 * estimate.median);
  return { from, until: Math.max(from + WATCH_EVERY_SECONDS, estimate.high + 0.1 * estimate.median) };
}

const clampToDeadline = (wait: number, settings: PollSettings, elapsedSeconds: number) =>
  Math.max(1, Math.min(Math.round(wait), Math.ceil(settings.deadlineSeconds - elapsedSeconds)));

/** The learning plan's first wait: until the dense window opens, or half the low quantile for an explorer. */
export function learnedFirstWaitSeconds(plan: LearnedPlan, settings: PollSettings, elapsedSeconds = 0): number {
  const wait = plan.explore ? plan.estimate.low * EXPLORE_SHARE : denseWindow(plan.estimate).from;
  return clampToDeadline(wait, settings, elapsedSeconds);
}

/**
 * The learning plan's next wait after a check that found the job pending:
 * to the window when early (an explorer), a short step inside it (the next
 * invocation watches on), and past it a wait that grows with the overrun.
 */
export function learnedNextPoll(
  plan: LearnedPlan,
  elapsedSeconds: number,
  settings: PollSettings,
  sinceSubmitSeconds = elapsedSeconds,
): NextPoll {
  if (settings.deadlineSeconds - elapsedSeconds <= 0) return { deadlinePassed: true };
  const { from, until } = denseWindow(plan.estimate);
  let wait: number;
  if (sinceSubmitSeconds < from - 1) wait = from - sinceSubmitSeconds;
  else if (sinceSubmitSeconds < until) wait = 1;
  else {
    const overrun = sinceSubmitSeconds - plan.estimate.median;
    wait = Math.min(MAX_BACKOFF_SECONDS, Math.max(MIN_BACKOFF_SECONDS, BACKOFF_SHARE * overrun));
  }
  return { waitSeconds: clampToDeadline(wait, settings, elapsedSeconds) };
}

/**
 * Until when (seconds after the submit) a check at `sinceSubmitSeconds` keeps
 * watching the job; undefined outside the dense window (one read, then wait).
 */
export function watchUntilSeconds(plan: LearnedPlan, sinceSubmitSeconds: number): number | undefined {
  const { from, until } = denseWindow(plan.estimate);
  return sinceSubmitSeconds >= from - 1 && sinceSubmitSeconds < until ? until : undefined;
}

/** The learning plan for a job, from the recent observations; undefined where the static plan applies. */
export function learnedPlan(
  jobId: string,
  settings: PollSettings,
  observations: readonly LatencyObservation[],
): LearnedPlan | undefined {
  const estimate = estimateLatency(observations);
  if (!estimate || !learningApplies(settings, estimate)) return undefined;
  return { estimate, explore: explores(jobId, estimate) };
}

/** The first wait of whichever plan applies. */
export function planFirstWait(
  request: { duration: 5 | 8; quality: Quality },
  settings: PollSettings,
  elapsedSeconds: number,
  plan: LearnedPlan | undefined,
): number {
  return plan
    ? learnedFirstWaitSeconds(plan, settings, elapsedSeconds)
    : firstWaitSeconds(request, settings, elapsedSeconds);
}

/** The next wait of whichever plan applies. */
export function planNextPoll(
  request: { duration: 5 | 8; quality: Quality },
  elapsedSeconds: number,
  settings: PollSettings,
  sinceSubmitSeconds: number,
  plan: LearnedPlan | undefined,
): NextPoll {
  return plan
    ? learnedNextPoll(plan, elapsedSeconds, settings, sinceSubmitSeconds)
    : nextPoll(request, elapsedSeconds, settings, sinceSubmitSeconds);
}
