import { EXECUTION_END_CODES } from '../../core/executionEnd';
import type { Job } from '../../core/job';
import type { JobOutcome } from '../../core/workflowState';

/** Failures whose recorder announced them itself: a cancel, and the reconciler's ends of an execution. */
const ANNOUNCED_BY_RECORDER: ReadonlySet<string> = new Set(['cancelled', ...Object.values(EXECUTION_END_CODES)]);

/**
 * The outcome of a job a step finds already finished: before it ran, or when
 * its own terminal write lost. The first terminal state wins, so this is what
 * the tail carries. It is announced unless its recorder announced it: only this
 * workflow completes a job, and a failure Record Failure wrote may be found by
 * its own retry (an answer lost on the way back) before the event went out.
 */
export function finishedJobOutcome(job: Job): JobOutcome {
  if (job.status === 'COMPLETED' && job.output) {
    const { s3Bucket, videoKey, bytes } = job.output;
    return { jobId: job.id, status: 'COMPLETED', s3Uri: `s3://${s3Bucket}/${videoKey}`, bytes, announce: true };
  }
  if (job.status === 'FAILED') {
    const code = job.error?.code ?? 'internal_error';
    const message = job.error?.message ?? 'The job failed';
    return { jobId: job.id, status: 'FAILED', code, message, announce: !ANNOUNCED_BY_RECORDER.has(code) };
  }
  throw new Error(`Job ${job.id} is not finished (${job.status})`);
}
