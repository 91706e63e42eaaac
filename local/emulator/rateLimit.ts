import type { ServerResponse } from 'node:http';

/** Segmind's rate limits count requests per minute. */
export const RATE_WINDOW_MS = 60_000;

/** Timestamps (ms) in arrival order, older ones dropped as the window slides. */
class SlidingWindow {
  private times: number[] = [];
  private start = 0;

  constructor(private readonly windowMs: number) {}

  /** Drops what left the window by `now`; a request at `t` leaves it at `t + windowMs`. */
  prune(now: number): void {
    const { times } = this;
    while (this.start < times.length && (times[this.start] ?? 0) + this.windowMs <= now) this.start += 1;
    // Compact now and then, so pruning stays O(1) amortized without a memory leak.
    if (this.start > 1024 && this.start * 2 > times.length) {
      this.times = times.slice(this.start);
      this.start = 0;
    }
  }

  get count(): number {
    return this.times.length - this.start;
  }

  /** When the oldest request in the window leaves it, or undefined when it is empty. */
  nextExit(): number | undefined {
    const oldest = this.times[this.start];
    return oldest === undefined ? undefined : oldest + this.windowMs;
  }

  push(now: number): void {
    this.times.push(now);
  }
}

export type Admission = { admitted: true } | { admitted: false; resetAt: number };

/**
 * A limit of `limit` requests per sliding minute, and what a load report needs to prove a
 * client kept under it: every request received, refused or not, counts towards the peak.
 * Refused requests do not count towards the limit: they were never served.
 */
export class RequestRateLimiter {
  private readonly served: SlidingWindow;
  private readonly received: SlidingWindow;
  /** Requests received. */
  requests = 0;
  /** Requests answered 429 by this limit. */
  refused = 0;
  /** The most requests received in any window. */
  peakPerWindow = 0;

  constructor(
    private readonly limit: number | undefined,
    windowMs = RATE_WINDOW_MS,
  ) {
    this.served = new SlidingWindow(windowMs);
    this.received = new SlidingWindow(windowMs);
  }

  /** Counts a request received at `now`; answers whether it may be served. */
  admit(now: number): Admission {
    this.requests += 1;
    this.received.prune(now);
    this.received.push(now);
    // The busiest window ends on an arrival, so checking at each arrival finds the peak.
    this.peakPerWindow = Math.max(this.peakPerWindow, this.received.count);
    if (this.limit === undefined) return { admitted: true };
    this.served.prune(now);
    const resetAt = this.served.nextExit();
    if (this.served.count >= this.limit && resetAt !== undefined) {
      this.refused += 1;
      return { admitted: false, resetAt };
    }
    this.served.push(now);
    return { admitted: true };
  }
}

/** Segmind's 429: a JSON error and when to try again. */
export function sendTooManyRequests(res: ServerResponse, resetAt: number, message: string): void {
  const text = JSON.stringify({ error: message });
  res.writeHead(429, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-rate-limit-reset-at-utc': new Date(resetAt).toISOString(),
  });
  res.end(text);
}
