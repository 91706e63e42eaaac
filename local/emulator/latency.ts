/**
 * How long each emulated job takes, submit → COMPLETED: a fixed time, a
 * lognormal around a median (what inference latencies tend to look like), or
 * any sampler. Each job draws its own latency once, at submit.
 */
export type LatencyDistribution =
  | {
      /** Seconds: half the jobs take less. */
      median: number;
      /** Spread of ln(latency): 0.1 puts ~95 % of jobs within ±20 % of the median. */
      sigma: number;
      /** Seeds the draws, so that two emulators given the same seed draw the same latencies in order. @default random */
      seed?: number;
    }
  /** Seconds for a job, from its submitted body (e.g. looked up by prompt). */
  | ((request: Record<string, unknown>) => number);

/** A job's latency in ms, drawn at its submit. */
export type LatencySampler = (request: Record<string, unknown>) => number;

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
function standardNormal(uniform: () => number): number {
  const u = 1 - uniform(); // (0, 1]: the log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

export function validateLatency(latency: LatencyDistribution | undefined): void {
  if (latency === undefined || typeof latency === 'function') return;
  if (!(Number.isFinite(latency.median) && latency.median > 0)) {
    throw new RangeError(`latency.median must be a finite number > 0, got ${latency.median}`);
  }
  if (!(Number.isFinite(latency.sigma) && latency.sigma >= 0)) {
    throw new RangeError(`latency.sigma must be a finite number ≥ 0, got ${latency.sigma}`);
  }
  if (latency.seed !== undefined && !Number.isInteger(latency.seed)) {
    throw new RangeError(`latency.seed must be an integer, got ${latency.seed}`);
  }
}

/** The sampler for the options: the distribution when given, else the fixed latency. */
export function latencySampler(latency: LatencyDistribution | undefined, fixedSeconds: number): LatencySampler {
  if (latency === undefined) return () => fixedSeconds * 1000;
  if (typeof latency === 'function') {
    return (request) => {
      const seconds = latency(request);
      if (!(Number.isFinite(seconds) && seconds >= 0)) {
        throw new RangeError(`The latency sampler answered ${seconds}; it must be a finite number of seconds ≥ 0`);
      }
      return seconds * 1000;
    };
  }
  const uniform = latency.seed === undefined ? Math.random : seededUniform(latency.seed);
  return () => latency.median * Math.exp(latency.sigma * standardNormal(uniform)) * 1000;
}

/** The typical latency in ms (for hints such as a 429's reset time): the median or the fixed time. */
export function typicalLatencyMs(latency: LatencyDistribution | undefined, fixedSeconds: number): number {
  return latency !== undefined && typeof latency !== 'function' ? latency.median * 1000 : fixedSeconds * 1000;
}
