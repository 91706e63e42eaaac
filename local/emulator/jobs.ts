import type { UpstreamStatus } from '../../lambdas/core/contract';
import type { HttpFault, SubmitFault, VideoFault } from './faults';
import type { SubmitBody } from './request';

export interface EmulatorScenario {
  /** The job ends FAILED with this error message. */
  fail?: string;
  /** How `output` is shaped on the result endpoint. @default 'string' */
  outputShape?: 'string' | 'object' | 'json-string' | 'garbage';
  /** Status and result answer 404, as if the record had expired. */
  expireImmediately?: boolean;
  /** The job stays PROCESSING forever. */
  neverFinish?: boolean;
  /** Answers for successive submit attempts with this prompt, before the normal answer. */
  submitFaults?: readonly SubmitFault[];
  /** Answers for successive status polls of this job, before the normal answer. */
  statusFaults?: readonly HttpFault[];
  /** Answers for successive result reads of this job, before the normal answer. */
  resultFaults?: readonly HttpFault[];
  /** Successive downloads of this job's video misbehave this way, then it is served. */
  videoFaults?: readonly VideoFault[];
  /** The result's video URL points at this URL instead of the emulator's file. */
  videoUrlOverride?: string;
  /**
   * Every submit of this body answers 400 with this message and bills nothing (unlike
   * `submitFaults`, which are counted per prompt and let a later attempt through).
   */
  rejectSubmit?: string;
  /**
   * The job runs `factor` times its drawn latency, at least `minSeconds`. Only PROCESSING is
   * stretched: the job leaves QUEUED as soon as a normal one would, so a client sees it generate.
   */
  slowdown?: { factor: number; minSeconds: number };
}

export interface Job {
  requestId: string;
  /** The body as submitted, for tests to inspect. */
  body: Record<string, unknown>;
  params: SubmitBody;
  scenario: EmulatorScenario;
  submittedAt: number;
  /** This job's submit → COMPLETED time, drawn at submit. */
  latencyMs: number;
  /** How long the job is QUEUED. @default a fifth of `latencyMs` */
  queuedMs?: number;
  /** A failure known at submit (scenario or a deferred parameter check): shown once the latency is over. */
  plannedFailure?: string;
  /** A failure while downloading or rendering: shown as soon as it happens. */
  error?: string;
  renderedAt?: number;
  /** Counters that pick the next scripted fault. */
  statusReads: number;
  resultReads: number;
  videoReads: number;
  /** Status and result requests served for this job (what a poll strategy costs upstream). */
  statusRequests: number;
  resultRequests: number;
}

/** What the result's `metrics` carry: Segmind-like timing, `inference_time` alone, or nothing. */
export type MetricsShape = 'timing' | 'inference-only' | 'none';

/** Share of the latency during which a job is QUEUED before it turns PROCESSING. */
const QUEUED_SHARE = 0.2;

const queuedMsOf = (job: Job): number => job.queuedMs ?? job.latencyMs * QUEUED_SHARE;

/** A new job's latency and QUEUED time, from the latency drawn for it and its scenario's slowdown. */
export function scenarioTiming(drawnMs: number, scenario: EmulatorScenario): { latencyMs: number; queuedMs: number } {
  const queuedMs = drawnMs * QUEUED_SHARE;
  const { slowdown } = scenario;
  if (!slowdown) return { latencyMs: drawnMs, queuedMs };
  return { latencyMs: Math.max(drawnMs * slowdown.factor, slowdown.minSeconds * 1000), queuedMs };
}

/**
 * A job's status at `now`, derived from timestamps rather than timers: nothing is left
 * scheduled to keep the process alive, and the answer is the same whenever it is asked.
 * A status added to the contract's UPSTREAM_STATUS_TABLE is answered by the routes as its
 * `next` says; this is where the emulator decides when to report it.
 */
export function jobStatus(job: Job, now: number): UpstreamStatus {
  const { latencyMs } = job;
  const elapsed = now - job.submittedAt;
  if (job.error !== undefined) return 'FAILED';
  if (job.plannedFailure !== undefined && elapsed >= latencyMs) return 'FAILED';
  if (!job.scenario.neverFinish && job.renderedAt !== undefined && elapsed >= latencyMs) return 'COMPLETED';
  return elapsed < queuedMsOf(job) ? 'QUEUED' : 'PROCESSING';
}

export function jobError(job: Job): string {
  return job.error ?? job.plannedFailure ?? 'unknown error';
}

/** Epoch ms the job turned COMPLETED: its latency after submit, or the end of its render when that came later. */
export function completedAt(job: Job): number | undefined {
  if (job.renderedAt === undefined || job.error !== undefined || job.scenario.neverFinish) return undefined;
  return Math.max(job.renderedAt, job.submittedAt + job.latencyMs);
}

/**
 * A finished job's timing as Segmind reports it, in seconds: `queue_time` (QUEUED),
 * `inference_time` (PROCESSING, up to the end of the render when it ran late)
 * and `total_time`, their sum; or only `inference_time`, or none.
 */
export function jobMetrics(job: Job, shape: MetricsShape = 'timing'): Record<string, number> | null {
  if (shape === 'none') return null;
  const doneAt = completedAt(job) ?? job.submittedAt + job.latencyMs;
  const total = Math.round(doneAt - job.submittedAt) / 1000;
  const queue = Math.round(queuedMsOf(job)) / 1000;
  const inference = Math.round((total - queue) * 1000) / 1000;
  return shape === 'inference-only'
    ? { inference_time: inference }
    : { queue_time: queue, inference_time: inference, total_time: total };
}

/** The result's `output` in the shape the scenario asks for; Segmind's is not fixed. */
export function shapeOutput(videoUrl: string, shape: EmulatorScenario['outputShape']): unknown {
  switch (shape) {
    case 'object':
      return { video_url: videoUrl };
    case 'json-string':
      return JSON.stringify({ video_url: videoUrl });
    case 'garbage':
      return 42;
    default:
      return videoUrl;
  }
}
