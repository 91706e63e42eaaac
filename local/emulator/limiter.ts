/**
 * Runs at most `concurrency` tasks at once, the rest in submit order. ffmpeg already uses
 * several threads; unbounded parallel renders would only slow every job down.
 */
export function createLimiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (running >= concurrency) {
      // The finishing task hands its slot straight over, so `running` never overshoots.
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running += 1;
    }
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
