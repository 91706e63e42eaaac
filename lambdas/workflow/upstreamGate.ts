import { type JobStore, markWaitingForCapacity } from '../adapters/jobStore';
import {
  admitJob,
  countWaitingAhead,
  lastAdmittedTicket,
  noteAdmittedTicket,
  noteThrottled,
  releaseUpstreamSlot,
  takeRequestToken,
  takeTicket,
} from '../adapters/upstreamAdmission';
import { type RequestKind, slotRetryAt, type UpstreamBudget } from '../core/admission';
import { ENV } from '../core/contract/env';

export type GateAnswer = { ok: true } | { ok: false; retryAt: number };

/** The deployment's upstream budget, as the workflow's steps use it. */
export interface UpstreamGate {
  /**
   * Admits the job to the upstream (a slot, and its submit's token), or puts it
   * in line (QUEUED, `waiting_for_capacity`) and answers when to ask again.
   * `holdSeconds` is how long a job is expected to hold its slot.
   */
  admit(job: { id: string; createdAt: string; waitingTicket?: number }, holdSeconds: number): Promise<GateAnswer>;
  /** A token for one more request of the job's, or when to ask again. */
  take(jobId: string, kind: RequestKind): Promise<GateAnswer>;
  /** The upstream is done with the job: its slot goes back. */
  release(jobId: string): Promise<void>;
  /** The upstream answered 429 anyway: the budget slows down for a while. */
  throttled(): Promise<void>;
}

export function upstreamBudgetFrom(env: {
  [ENV.upstreamRpm]: number;
  [ENV.upstreamConcurrency]: number;
  [ENV.upstreamLease]: number;
}): UpstreamBudget {
  return {
    requestsPerMinute: env[ENV.upstreamRpm],
    concurrency: env[ENV.upstreamConcurrency],
    leaseSeconds: env[ENV.upstreamLease],
  };
}

/** Sorts after every ticket: the place of a job that has not waited yet. */
const NOT_IN_LINE = Number.MAX_SAFE_INTEGER;

/** The gate over the admission item and the waiting line in the jobs table. */
export function upstreamGate(store: JobStore, budget: UpstreamBudget): UpstreamGate {
  return {
    async admit(job, holdSeconds) {
      // A job not yet in line is behind every job in it. Counting up to the
      // concurrency tells whether the free slots are this job's: there are never more.
      const inLine = { ...job, waitingTicket: job.waitingTicket ?? NOT_IN_LINE };
      const ahead = await countWaitingAhead(store, inLine, budget.concurrency);
      const answer = await admitJob(store, budget, job.id, ahead);
      if (answer.admitted) {
        if (job.waitingTicket !== undefined) await noteAdmittedTicket(store, job.waitingTicket);
        return { ok: true };
      }
      const ticket = job.waitingTicket ?? (await takeTicket(store));
      await markWaitingForCapacity(store, { ...job, waitingTicket: ticket });
      // Its place in line from its ticket: one read, however long the line.
      const place = Math.max(ahead, ticket - (await lastAdmittedTicket(store)) - 1);
      return { ok: false, retryAt: answer.retryAt ?? slotRetryAt(Date.now(), place, holdSeconds, budget) };
    },
    async take(jobId, kind) {
      const answer = await takeRequestToken(store, budget, jobId, kind);
      return answer.ok ? { ok: true } : { ok: false, retryAt: answer.retryAt };
    },
    release: (jobId) => releaseUpstreamSlot(store, jobId),
    throttled: () => noteThrottled(store, budget),
  };
}
