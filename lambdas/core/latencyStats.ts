import type { Quality, TransitionRequest } from './schemas';

type Duration = TransitionRequest['duration'];

/**
 * What the workflow learns about the upstream's latency, per quality and
 * duration: the last completed jobs' submit → completion times. A job first
 * seen COMPLETED at a poll only says it finished somewhere between the last
 * poll that saw it pending and that poll — an interval, not a time. Segmind's
 * own timing (`metrics`), where it gives one, makes the interval exact.
 */

/** One job's latency in seconds from its submit: exact when `lo === hi`; `lo` is 0 when nothing bounds it below. */
export interface LatencyObservation {
  lo: number;
  hi: number;
}

/** Observations kept per quality and duration: the newest replace the oldest. */
export const LATENCY_WINDOW = 24;
/** Fewer observations than this and the plan keeps its static defaults. */
export const MIN_OBSERVATIONS = 4;
/** This many of the newest outside the window's range, on the same side: the upstream changed speed. */
const SHIFT_RUN = 4;
/** An interval at most this wide is as good as a time. */
const TIGHT_SECONDS = 3;

export type LatencyKey = `${Quality}#${Duration}`;

export const latencyKey = (request: { quality: Quality; duration: Duration }): LatencyKey =>
  `${request.quality}#${request.duration}`;

/** Appends an observation, keeping the newest `LATENCY_WINDOW`. */
export function withObservation(
  observations: readonly LatencyObservation[],
  observation: LatencyObservation,
): LatencyObservation[] {
  return [...observations, observation].slice(-LATENCY_WINDOW);
}

const seconds = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

/**
 * The observation of a job seen COMPLETED `seenSeconds` after its submit, last
 * seen pending at `pendingSeconds` (undefined: never polled before). Segmind's
 * `total_time` (or `queue_time` + `inference_time`) is its own measure of the
 * whole latency; `inference_time` alone only bounds it below (the queue comes first).
 */
export function observationOf(input: {
  seenSeconds: number;
  pendingSeconds: number | undefined;
  metrics: Record<string, unknown> | undefined;
}): LatencyObservation {
  const hi = input.seenSeconds;
  const lo = Math.min(hi, input.pendingSeconds ?? 0);
  const metrics = input.metrics ?? {};
  const total = seconds(metrics.total_time);
  const queue = seconds(metrics.queue_time);
  const inference = seconds(metrics.inference_time);
  const measured = total ?? (queue !== undefined && inference !== undefined ? queue + inference : undefined);
  // A measure outside what we saw (clock skew, a different definition) is not trusted past our bounds.
  if (measured !== undefined) {
    const exact = Math.min(hi, Math.max(lo, measured));
    return { lo: round(exact), hi: round(exact) };
  }
  const floor = inference === undefined ? lo : Math.min(hi, Math.max(lo, inference));
  return { lo: round(floor), hi: round(hi) };
}

const round = (value: number) => Math.round(value * 10) / 10;

export interface LatencyEstimate {
  /** A low quantile: few jobs finish before it. */
  low: number;
  median: number;
  /** A high quantile: few jobs finish after it. */
  high: number;
  observations: number;
  /** Share of observations that only bound the latency from above (first seen done at a poll). */
  censoredShare: number;
}

/**
 * Where an observation puts the latency. A tight interval is a time; an
 * interval bounded below sits at its middle; one bounded only from above
 * counts at that bound, so that it can never teach the plan to wait longer
 * than it did — only polling a job early (exploration) shows a speed-up.
 */
function pointOf(observation: LatencyObservation): number {
  if (observation.hi - observation.lo <= TIGHT_SECONDS || observation.lo === 0) return observation.hi;
  return (observation.lo + observation.hi) / 2;
}

const isCensored = (observation: LatencyObservation) => observation.lo === 0 && observation.hi > TIGHT_SECONDS;

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = sorted[Math.floor(position)] ?? 0;
  const above = sorted[Math.ceil(position)] ?? below;
  return below + (above - below) * (position - Math.floor(position));
}

/**
 * The newest observations when they all fall on one side of the window's
 * range: a sudden slowdown or speed-up outvotes the older history at once
 * rather than after a whole window.
 */
function recentRegime(observations: readonly LatencyObservation[]): readonly LatencyObservation[] {
  if (observations.length < SHIFT_RUN + MIN_OBSERVATIONS) return observations;
  const older = observations
    .slice(0, -SHIFT_RUN)
    .map(pointOf)
    .sort((a, b) => a - b);
  const newest = observations.slice(-SHIFT_RUN).map(pointOf);
  const min = older[0] ?? 0;
  const max = older[older.length - 1] ?? 0;
  if (newest.every((point) => point > max) || newest.every((point) => point < min)) {
    return observations.slice(-SHIFT_RUN);
  }
  return observations;
}

/** Quantiles of the recent latencies; undefined while there are too few to trust. */
export function estimateLatency(observations: readonly LatencyObservation[] | undefined): LatencyEstimate | undefined {
  if (!observations || observations.length < MIN_OBSERVATIONS) return undefined;
  const used = recentRegime(observations);
  const points = used.map(pointOf).sort((a, b) => a - b);
  return {
    low: quantile(points, 0.1),
    median: quantile(points, 0.5),
    high: quantile(points, 0.9),
    observations: used.length,
    censoredShare: used.filter(isCensored).length / used.length,
  };
}
