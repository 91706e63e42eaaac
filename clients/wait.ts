import { JobFailedError, TimeoutError } from './errors';
import type { EventsOptions, StatusEvent } from './events';
import { pollUntilTerminal } from './poll';
import { operationSignal, type Sleep, sleep } from './timing';
import { isTerminal, type StatusView } from './views';

/** How `wait` follows a job: SSE with a polling fallback (`auto`), or only one of them. */
export type WaitTransport = 'auto' | 'sse' | 'poll';

export interface WaitOptions {
  /** Give up after this long with a TimeoutError (the job goes on). Default: no limit of the client's own. */
  timeoutMs?: number;
  /** Abort the wait (not the job: that is `cancel`); rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called with the first state seen and then once per change of status or phase. */
  onProgress?: (status: StatusView) => void;
  /** @default 'auto' */
  transport?: WaitTransport;
}

export interface WaitDeps {
  events: (id: string, options: EventsOptions) => AsyncIterable<StatusEvent>;
  status: (id: string, options: { signal: AbortSignal }) => Promise<StatusView>;
  pause?: Sleep;
}

/**
 * Follows a job to its end: the final status when COMPLETED, JobFailedError
 * when FAILED. In `auto` it listens to the events stream and, when the API has
 * none (404/405/501) or the stream fails, polls the status instead.
 */
export async function waitForJob(deps: WaitDeps, id: string, options: WaitOptions = {}): Promise<StatusView> {
  const { transport = 'auto', onProgress, timeoutMs } = options;
  let last: StatusView | undefined;
  const observe = (view: StatusView): boolean => {
    const changed = last === undefined || last.status !== view.status || last.phase !== view.phase;
    last = view;
    if (changed) onProgress?.(view);
    return changed;
  };
  const operation = operationSignal(options.signal, timeoutMs, () => new TimeoutError(id, timeoutMs ?? 0, last));
  const { signal } = operation;
  try {
    let final = transport === 'poll' ? undefined : await followEvents(deps, id, signal, observe, transport === 'auto');
    final ??= await pollUntilTerminal(
      (pollSignal) => deps.status(id, { signal: pollSignal }),
      { signal, onStatus: observe },
      deps.pause ?? sleep,
    );
    if (final.status === 'FAILED') throw new JobFailedError(final);
    return final;
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  } finally {
    operation.dispose();
  }
}

/**
 * The terminal status from the events stream; undefined when the stream ended
 * without one or, with `fallBack`, failed (the caller polls then). Errors of
 * `observe` (the caller's onProgress) are never mistaken for a failed stream.
 */
async function followEvents(
  deps: WaitDeps,
  id: string,
  signal: AbortSignal,
  observe: (view: StatusView) => boolean,
  fallBack: boolean,
): Promise<StatusView | undefined> {
  const iterator = deps.events(id, { signal })[Symbol.asyncIterator]();
  try {
    for (;;) {
      let step: IteratorResult<StatusEvent>;
      try {
        step = await iterator.next();
      } catch (error) {
        if (signal.aborted || !fallBack) throw error;
        return undefined;
      }
      if (step.done) return undefined;
      observe(step.value.status);
      if (isTerminal(step.value.status)) return step.value.status;
    }
  } finally {
    await iterator.return?.();
  }
}
