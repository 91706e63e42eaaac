import { Readable } from 'node:stream';
import { pause } from '../adapters/responseStream';
import { statusView } from '../core/apiViews';
import { isTerminal, type Job } from '../core/job';
import { nextStatusEvent, SSE_HEARTBEAT } from '../core/sse';

export interface JobEventsOptions {
  /** Reads the job again (a consistent read); undefined once the record is gone. */
  read: () => Promise<Job | undefined>;
  /** Milliseconds between reads. */
  pollMs: number;
  /** Milliseconds without a write after which a heartbeat is sent. */
  heartbeatMs: number;
  /** When the stream ends without a terminal event (epoch ms): before the function's own time limit. */
  deadline: number;
  now?: () => number;
}

/**
 * The job's progress as SSE text: its current state (unless the client's last
 * event id says it has it), then one event per change of (status, phase),
 * heartbeats while nothing changes, and the end right after the terminal event
 * or at the deadline. Destroying the stream (the client went away) stops the loop.
 */
export function jobEventStream(first: Job, lastEventId: number | undefined, options: JobEventsOptions): Readable {
  const stopped = new AbortController();
  const texts = events(first, lastEventId, options, stopped.signal);
  // Not Readable.from: its destroy waits for the generator's next yield, which a
  // quiet job may not reach until the next heartbeat; this one stops the wait at once.
  return new Readable({
    read() {
      texts.next().then(
        ({ value, done }) => this.push(done ? null : value),
        (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    },
    destroy(error, callback) {
      stopped.abort();
      callback(error);
    },
  });
}

async function* events(
  first: Job,
  lastEventId: number | undefined,
  options: JobEventsOptions,
  signal: AbortSignal,
): AsyncGenerator<string> {
  const now = options.now ?? Date.now;
  let job: Job | undefined = first;
  let lastId = lastEventId;
  let lastWrite = now();
  while (job) {
    const event = nextStatusEvent(statusView(job), lastId);
    if (event) {
      lastId = event.id;
      lastWrite = now();
      yield event.text;
    }
    if (isTerminal(job.status)) return;
    const nextRead = now() + options.pollMs;
    while (now() < nextRead) {
      const nextBeat = lastWrite + options.heartbeatMs;
      const wake = Math.min(nextRead, nextBeat, options.deadline);
      if (!(await pause(wake - now(), signal))) return;
      if (now() >= options.deadline) return;
      if (now() >= nextBeat) {
        lastWrite = now();
        yield SSE_HEARTBEAT;
      }
    }
    job = await options.read();
  }
}
