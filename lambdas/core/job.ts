import * as z from 'zod/mini';
import './zodMini';
import { transitionRequestSchema } from './schemas';

/** Segmind-compatible statuses: what clients see. */
export const jobStatuses = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED'] as const;
export type JobStatus = (typeof jobStatuses)[number];

/**
 * Where the job is inside framebridge — finer than `status`, shown to clients as
 * progress. `copying` is still PROCESSING to a client: the video is not theirs yet.
 */
export const jobPhases = [
  'queued',
  // The deployment's upstream budget is spent: the job waits its turn without calling the upstream.
  'waiting_for_capacity',
  'submitting',
  'submitted',
  'generating',
  'copying',
  'completed',
  'failed',
] as const;
export type JobPhase = (typeof jobPhases)[number];

export const statusOfPhase: Record<JobPhase, JobStatus> = {
  queued: 'QUEUED',
  waiting_for_capacity: 'QUEUED',
  submitting: 'QUEUED',
  submitted: 'QUEUED',
  generating: 'PROCESSING',
  copying: 'PROCESSING',
  completed: 'COMPLETED',
  failed: 'FAILED',
};

export const jobOutputSchema = z.object({
  s3Bucket: z.string(),
  videoKey: z.string(),
  resultKey: z.string(),
  bytes: z.number().check(z.int()).check(z.nonnegative()),
  contentType: z.string(),
});

export const jobErrorSchema = z.object({ code: z.string(), message: z.string() });

/** Where a job came from: the API, or a manifest dropped in the bucket's inbox/. */
export const jobSourceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api') }),
  z.object({
    type: z.literal('s3'),
    bucket: z.string(),
    key: z.string(),
    versionId: z.optional(z.string()),
    /** `inbox/<name>.json` → `<name>`: outputs go to `outbox/<name>.*`. */
    name: z.string(),
  }),
]);
export type JobSource = z.infer<typeof jobSourceSchema>;

/** The webhook delivery's outcome, shown by the status endpoint. */
export const webhookRecordSchema = z.object({
  id: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().check(z.int()).check(z.nonnegative()),
  lastStatus: z.optional(z.number().check(z.int())),
  lastError: z.optional(z.string()),
  lastAttemptAt: z.optional(z.string()),
  deliveredAt: z.optional(z.string()),
});
export type WebhookRecord = z.infer<typeof webhookRecordSchema>;

/**
 * The job record in the Jobs table. Every workflow step validates what it reads.
 * The stored item may also hold `holdsActiveSlot` (while the job counts against
 * its tenant's active-job cap; adapters/jobStore.ts), which parsing leaves out.
 */
export const jobSchema = z.object({
  id: z.string(),
  owner: z.string(),
  status: z.enum(jobStatuses),
  phase: z.enum(jobPhases),
  // The stored request is the parsed one; parsing it again is idempotent.
  request: transitionRequestSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.number().check(z.int()),
  submitClaimedAt: z.optional(z.string()),
  /** When the upstream budget first admitted the job: its deadlines count from here. */
  admittedAt: z.optional(z.string()),
  /** Its place in the line for upstream capacity, taken the first time it waited. */
  waitingTicket: z.optional(z.number().check(z.int()).check(z.positive())),
  upstreamRequestId: z.optional(z.string()),
  upstreamStatus: z.optional(z.string()),
  submittedAt: z.optional(z.string()),
  completedAt: z.optional(z.string()),
  output: z.optional(jobOutputSchema),
  error: z.optional(jobErrorSchema),
  metrics: z.optional(z.record(z.string(), z.unknown())),
  /** sha256 of the parsed request: an idempotent replay must match it. */
  requestHash: z.optional(z.string()),
  /** The API key (its public id) that created the job; none for the S3 intake. */
  keyId: z.optional(z.string()),
  /** The Idempotency-Key the job was created with, if any. */
  idempotencyKey: z.optional(z.string()),
  source: z.optional(jobSourceSchema),
  webhook: z.optional(webhookRecordSchema),
  /**
   * The job's own execution (name and ARN), chosen when the job is created:
   * cancel stops it, a replay starts it again. Records made before execution
   * names were unique lack both: their execution is named after the job.
   */
  executionName: z.optional(z.string()),
  executionArn: z.optional(z.string()),
});
export type Job = z.infer<typeof jobSchema>;
export type JobOutput = z.infer<typeof jobOutputSchema>;
export type JobError = z.infer<typeof jobErrorSchema>;

export const isTerminal = (status: JobStatus): boolean => status === 'COMPLETED' || status === 'FAILED';

/** What Step Functions allows in an execution name (ASCII letters, digits, `-`, `_`), at most 80 characters. */
const EXECUTION_NAME = /^[0-9A-Za-z_-]{1,80}$/;

/**
 * A name for one execution of a job: the job id and a ULID minted for it. Ids
 * of idempotent and intake jobs are deterministic and Step Functions keeps a
 * Standard execution's name taken for 90 days, longer than a job record lives:
 * a job created again under the same id needs a name of its own.
 */
export function executionNameFor(jobId: string, startId: string): string {
  const name = `${jobId}-${startId}`;
  if (!EXECUTION_NAME.test(name)) {
    throw new Error(`executionNameFor: '${name}' is not a valid execution name (1–80 of [0-9A-Za-z_-])`);
  }
  return name;
}

export const videoKeyFor = (jobId: string): string => `jobs/${jobId}/video.mp4`;
export const resultKeyFor = (jobId: string): string => `jobs/${jobId}/result.json`;
