import { UPSTREAM_STATUS_TABLE, type UpstreamStatus } from '../../lambdas/core/contract';
import { completedAt, type Job, jobStatus } from './jobs';
import type { LatencySampler } from './latency';

export interface JobStoreOptions {
  /** Draws a new job's latency in ms from its submitted body. */
  sampleLatencyMs: LatencySampler;
  /** The usual latency in ms, for hints such as when a refused submit may retry. */
  typicalLatencyMs: number;
  /** Records are forgotten this long after submit. */
  ttlMs: number;
  /** Renders a job's video in the background. */
  produceVideo: (job: Job) => Promise<void>;
}

/** When a job ran, and the reads it was served (benchmarks). */
export interface JobTiming {
  requestId: string;
  /** Epoch ms the submit was accepted. */
  submittedAt: number;
  /** The latency drawn for this job. */
  latencySeconds: number;
  /** Epoch ms the job turned COMPLETED; undefined while it runs, and for a job that fails or never finishes. */
  completedAt: number | undefined;
  /** Status reads served for this job. */
  statusRequests: number;
  /** Result reads served for this job. */
  resultRequests: number;
}

/** The emulator's jobs in submit order, the renders in flight, and what tests count. */
export class JobStore {
  private readonly jobs = new Map<string, Job>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly submitAttempts = new Map<string, number>();
  /** Submits accepted: each one is a job Segmind would bill. */
  submissions = 0;
  /** Submit requests received, accepted or not. */
  submitRequests = 0;
  /** Submits answered 429 because `maxConcurrentJobs` jobs were running. */
  concurrencyRefusals = 0;
  /** The most jobs running at once. */
  peakConcurrent = 0;

  constructor(private readonly options: JobStoreOptions) {}

  get typicalLatencyMs(): number {
    return this.options.typicalLatencyMs;
  }

  /** A new job's latency in ms. */
  latencyFor(body: Record<string, unknown>): number {
    return this.options.sampleLatencyMs(body);
  }

  statusOf(job: Job, now = Date.now()): UpstreamStatus {
    return jobStatus(job, now);
  }

  /** Any record, expired or not. */
  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** A live record, or undefined when unknown or expired (expired ones are dropped). */
  find(id: string): Job | undefined {
    const now = Date.now();
    // Map order is submit order, so expired records are all at the front.
    for (const [key, job] of this.jobs) {
      if (now - job.submittedAt < this.options.ttlMs) break;
      this.jobs.delete(key);
    }
    const job = this.jobs.get(id);
    return job?.scenario.expireImmediately ? undefined : job;
  }

  /** Jobs the upstream would still report as pending: those whose status means "poll again". */
  running(now: number): number {
    let running = 0;
    for (const job of this.jobs.values()) {
      if (UPSTREAM_STATUS_TABLE[this.statusOf(job, now)].next === 'wait') running += 1;
    }
    return running;
  }

  /** Counts a submit attempt under `key`; answers which attempt this is, from 1. */
  nextAttempt(key: string): number {
    const attempt = (this.submitAttempts.get(key) ?? 0) + 1;
    this.submitAttempts.set(key, attempt);
    return attempt;
  }

  notePeak(): void {
    this.peakConcurrent = Math.max(this.peakConcurrent, this.running(Date.now()));
  }

  /** Keeps an accepted job and starts its render unless it will fail or never finish. */
  add(job: Job): void {
    this.jobs.set(job.requestId, job);
    this.submissions += 1;
    if (job.plannedFailure === undefined && !job.scenario.neverFinish) {
      const work = this.options.produceVideo(job).finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    }
  }

  list(): Array<{ requestId: string; status: UpstreamStatus; body: Record<string, unknown> }> {
    return [...this.jobs.values()].map((job) => ({
      requestId: job.requestId,
      status: this.statusOf(job),
      body: job.body,
    }));
  }

  timings(): JobTiming[] {
    const now = Date.now();
    return [...this.jobs.values()].map((job) => {
      const status = this.statusOf(job, now);
      return {
        requestId: job.requestId,
        submittedAt: job.submittedAt,
        latencySeconds: job.latencyMs / 1000,
        completedAt: status === 'COMPLETED' ? completedAt(job) : undefined,
        statusRequests: job.statusRequests,
        resultRequests: job.resultRequests,
      };
    });
  }

  /** Resolves once every render in flight has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}
