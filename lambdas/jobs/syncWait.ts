import { getJob, type JobStore } from '../adapters/jobStore';
import { pause } from '../adapters/responseStream';
import { isTerminal, type Job } from '../core/job';

export interface WaitOptions {
  /** Milliseconds between reads. */
  pollMs: number;
  /** Stop waiting at this time (epoch ms) and answer with the job as last read. */
  deadline: number;
  /** Aborted when the client went away: nobody is left to answer. */
  signal: AbortSignal;
}

/**
 * Reads the job until it is finished, the deadline passes or the client goes
 * away; answers it as last read. The job runs on either way: a client that is
 * answered before the end continues by polling.
 */
export async function waitForJob(store: JobStore, job: Job, options: WaitOptions): Promise<Job> {
  let latest = job;
  while (!isTerminal(latest.status)) {
    const left = options.deadline - Date.now();
    if (left <= 0 || !(await pause(Math.min(options.pollMs, left), options.signal))) return latest;
    latest = (await getJob(store, job.id)) ?? latest;
  }
  return latest;
}
