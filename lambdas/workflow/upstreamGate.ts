import { type JobStore, markWaitingForCapacity } from '../adapters/jobStore';
import {
  admitJob,
  countWaitingAhead,
  noteThrottled,
  releaseUpstreamSlot,
  takeRequestToken,
} from '../adapters/upstreamAdmission';
import {
  admissionsPerSecond,
  MAX_SLOT_WAIT_MS,
  type RequestKind,
  slotRetryAt,
  type UpstreamBudget,
} from '../core/admission';
import { ENV } from '../core/contract/env';

export type GateAnswer = { ok: true } | { ok: false; retryAt: number };

/** The deployment's upstream budget, as the workflow's steps use it. */
export interface UpstreamGate {
  /**
   * Admits the job to the upstream (a slot, and its submit's token), or puts it
   * in line (QUEUED, `waiting_for_capacity`) and answers when to ask again.
   * `holdSeconds` is how long a job is expected to hold its slot.
   */
  admit(job: { id: string; createdAt: string }, holdSeconds: number): Promise<GateAnswer>;
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

/** The gate over the admission item and the waiting line in the jobs table. */
export function upstreamGate(store: JobStore, budget: UpstreamBudget): UpstreamGate {
  return {
    async admit(job, holdSeconds) {
      // Enough to know whether the free slots are ours and how long to wait: beyond that the wait is at its cap.
      const countUpTo =
        budget.concurrency + Math.ceil((MAX_SLOT_WAIT_MS / 1000) * admissionsPerSecond(budget, holdSeconds));
      const ahead = await countWaitingAhead(store, job, countUpTo);
      const answer = await admitJob(store, budget, job.id, ahead);
      if (answer.admitted) return { ok: true };
      await markWaitingForCapacity(store, job);
      return { ok: false, retryAt: answer.retryAt ?? slotRetryAt(Date.now(), ahead, holdSeconds, budget) };
    },
    async take(jobId, kind) {
      const answer = await takeRequestToken(store, budget, jobId, kind);
      return answer.ok ? { ok: true } : { ok: false, retryAt: answer.retryAt };
    },
    release: (jobId) => releaseUpstreamSlot(store, jobId),
    throttled: () => noteThrottled(store, budget),
  };
}
