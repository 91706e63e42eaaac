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
}

export interface Job {
  requestId: string;
  /** The body as submitted, for tests to inspect. */
  body: Record<string, unknown>;
  params: SubmitBody;
  scenario: EmulatorScenario;
  submittedAt: number;
  /** A failure known at submit (scenario or a deferred parameter check): shown once the latency is over. */
  plannedFailure?: string;
  /** A failure while downloading or rendering: shown as soon as it happens. */
  error?: string;
  renderedAt?: number;
  /** Counters that pick the next scripted fault. */
  statusReads: number;
  resultReads: number;
  videoReads: number;
}

/** Share of the latency during which a job is QUEUED before it turns PROCESSING. */
const QUEUED_SHARE = 0.2;

/**
 * A job's status at `now`, derived from timestamps rather than timers: nothing is left
 * scheduled to keep the process alive, and the answer is the same whenever it is asked.
 * A status added to the contract's UPSTREAM_STATUS_TABLE is answered by the routes as its
 * `next` says; this is where the emulator decides when to report it.
 */
export function jobStatus(job: Job, now: number, latencyMs: number): UpstreamStatus {
  const elapsed = now - job.submittedAt;
  if (job.error !== undefined) return 'FAILED';
  if (job.plannedFailure !== undefined && elapsed >= latencyMs) return 'FAILED';
  if (!job.scenario.neverFinish && job.renderedAt !== undefined && elapsed >= latencyMs) return 'COMPLETED';
  return elapsed < latencyMs * QUEUED_SHARE ? 'QUEUED' : 'PROCESSING';
}

export function jobError(job: Job): string {
  return job.error ?? job.plannedFailure ?? 'unknown error';
}

/** Seconds from submit to completion: the latency, or the render when it took longer. */
export function inferenceSeconds(job: Job, latencyMs: number): number {
  const doneAt = Math.max(job.renderedAt ?? 0, job.submittedAt + latencyMs);
  return Math.round(doneAt - job.submittedAt) / 1000;
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
