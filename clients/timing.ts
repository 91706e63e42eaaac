/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export type Sleep = typeof sleep;

/**
 * One signal for a whole operation: it aborts when the caller's signal does
 * (with the caller's reason) or when `timeoutMs` runs out (with `onTimeout()`'s
 * error). Written out rather than `AbortSignal.any`/`timeout`, which some
 * browsers and Node 20.0–20.2 lack, and so the timeout's error is our own.
 */
export function operationSignal(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  onTimeout: () => unknown,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const follow = () => controller.abort(signal?.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  const timer =
    timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(onTimeout()), Math.max(0, timeoutMs));
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', follow);
    },
  };
}
