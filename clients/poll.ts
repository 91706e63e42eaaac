import { FramebridgeError } from './errors';
import { type Sleep, sleep } from './timing';
import { isTerminal, type StatusView } from './views';

/**
 * Status polls start 1 s apart and stretch to 5 s while nothing changes: a
 * job takes a minute or more, and a change of phase brings the pace back up.
 */
export const POLL_BACKOFF = { initialMs: 1000, maxMs: 5000, factor: 1.5 } as const;

/** Failed polls in a row (throttled, 5xx, network) tolerated before the error is the caller's. */
export const MAX_TRANSIENT_FAILURES = 5;

/** An answer worth asking again: throttling, a server or gateway fault, or no answer at all (fetch's TypeError). */
export const isTransient = (error: unknown): boolean =>
  error instanceof FramebridgeError ? error.status === 429 || error.status >= 500 : error instanceof TypeError;

export interface PollOptions {
  signal: AbortSignal;
  /** Each status read; answers whether (status, phase) changed since the previous one. */
  onStatus: (view: StatusView) => boolean;
}

/**
 * Reads the status until the job is COMPLETED or FAILED, with backoff; a
 * throttled or failed read waits what `Retry-After` says (else the backoff)
 * and tries again.
 */
export async function pollUntilTerminal(
  read: (signal: AbortSignal) => Promise<StatusView>,
  options: PollOptions,
  pause: Sleep = sleep,
): Promise<StatusView> {
  const { signal } = options;
  let delay: number = POLL_BACKOFF.initialMs;
  let failures = 0;
  for (;;) {
    let wait: number;
    try {
      const view = await read(signal);
      failures = 0;
      if (options.onStatus(view)) delay = POLL_BACKOFF.initialMs;
      if (isTerminal(view)) return view;
      wait = delay;
    } catch (error) {
      if (signal.aborted || !isTransient(error) || ++failures > MAX_TRANSIENT_FAILURES) throw error;
      const retryAfter = error instanceof FramebridgeError ? error.retryAfterSeconds : undefined;
      wait = retryAfter === undefined ? delay : retryAfter * 1000;
    }
    await pause(wait, signal);
    delay = Math.min(POLL_BACKOFF.maxMs, delay * POLL_BACKOFF.factor);
  }
}
