/**
 * The transition workflow's time budget. Every step's timeout, its retries and
 * the poll deadline are sized here so that the worst case — each attempt
 * running to its task timeout, every backoff wait at its cap — still ends
 * inside the state machine's timeout, failure path included. The construct
 * builds the functions, tasks and Retry lists from these numbers and refuses
 * props that do not fit; docs/architecture.md ("Timeout arithmetic") spells it out.
 *
 * Lambda service errors (throttled, 5xx, a lost Invoke answer) are counted at
 * their backoff waits: the function did not run, or ran to its end and a retry
 * finds its work done (Check Status re-reads, Copy finds the job completed).
 */

const MIB = 1024 * 1024;

export interface RetrySchedule {
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds?: number;
}

/** Lambda service errors, on every Lambda task: AWS's recommended schedule. */
export const LAMBDA_SERVICE_RETRY_SCHEDULE: RetrySchedule = { intervalSeconds: 2, maxAttempts: 6, backoffRate: 2 };
/** Submit's transient upstream failures; Check Status's, and its timeouts, on the same schedule. */
export const UPSTREAM_RETRY_SCHEDULE: RetrySchedule = {
  intervalSeconds: 5,
  maxAttempts: 5,
  backoffRate: 2,
  maxDelaySeconds: 60,
};
/** A broken download or a timeout of Copy: one more try, since each may take the whole copy timeout. */
export const COPY_RETRY_SCHEDULE: RetrySchedule = { intervalSeconds: 5, maxAttempts: 1, backoffRate: 2 };
/**
 * The PutEvents tasks' retry, as `infra/constructs/transitionEvents.ts` sets it,
 * and what one attempt is assumed to take (those tasks set no TimeoutSeconds).
 */
export const EVENT_RETRY_SCHEDULE: RetrySchedule = { intervalSeconds: 1, maxAttempts: 3, backoffRate: 2 };
export const EVENT_ATTEMPT_SECONDS = 10;

/** A task's TimeoutSeconds exceeds its function's timeout by this: Lambda's init phase (≤ 10 s) is not part of it. */
export const INVOKE_OVERHEAD_SECONDS = 10;
export const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

/**
 * The functions' timeouts, in seconds; Copy's follows from the video size cap
 * (`copyTimeoutSeconds`). Check Status's 45 s lets one invocation watch ~30 s
 * of the learning plan's dense window (p10 to past p90 is ~35 s at 77 s):
 * every invocation it saves is a Wait–Check–Choice round, three transitions.
 */
export const FUNCTION_TIMEOUT_SECONDS = { submit: 60, checkStatus: 45, recordFailure: 15, notify: 15 } as const;

/** What the copy is sized for: the slowest download it must still finish, and its fixed costs. */
export const COPY_TIMING = {
  /** 1 MiB/s: well below what a host can be expected to sustain, which nothing guarantees. */
  minThroughputBytesPerSecond: MIB,
  /** For the video host's response headers. */
  headersTimeoutSeconds: 30,
  /** Kept back for result.json, the completion write and, on failure, an abort or a delete. */
  finishSeconds: 30,
} as const;

export const DEFAULT_MAX_VIDEO_BYTES = 500 * MIB;
export const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 55 * 60;
/**
 * How long a job may wait for upstream capacity before it fails
 * `upstream_capacity_unavailable`: a batch of thousands queues on our side.
 */
export const DEFAULT_CAPACITY_WAIT_SECONDS = 6 * 60 * 60;
/** Polling left after Submit's worst case, at least: the slowest request takes ~3.5 min upstream. */
export const MIN_POLL_WINDOW_SECONDS = 5 * 60;
/** The last Wait's rounding (≤ 1 s) and the tail's state transitions. */
export const TRANSITION_SLACK_SECONDS = 10;

/** Copy's function timeout: the headers, a video at the cap at the minimum throughput, and the finish. */
export function copyTimeoutSeconds(maxVideoBytes: number): number {
  const transferSeconds = Math.ceil(maxVideoBytes / COPY_TIMING.minThroughputBytesPerSecond);
  return COPY_TIMING.headersTimeoutSeconds + transferSeconds + COPY_TIMING.finishSeconds;
}

/** The largest video whose copy still fits Lambda's 900 s limit. */
export const MAX_COPYABLE_VIDEO_BYTES =
  (MAX_LAMBDA_TIMEOUT_SECONDS - COPY_TIMING.headersTimeoutSeconds - COPY_TIMING.finishSeconds) *
  COPY_TIMING.minThroughputBytesPerSecond;

/** Every backoff wait of a schedule at its cap: with full jitter each real wait is at most that. */
export function maxWaitsSeconds(schedule: RetrySchedule): number {
  let total = 0;
  for (let retry = 0; retry < schedule.maxAttempts; retry += 1) {
    const wait = schedule.intervalSeconds * schedule.backoffRate ** retry;
    total += Math.min(wait, schedule.maxDelaySeconds ?? wait);
  }
  return total;
}

export interface StepBudget {
  /** One attempt at most: the task's TimeoutSeconds. */
  readonly attemptSeconds: number;
  /** Attempts that may each take `attemptSeconds`: the first and the step's own retries. */
  readonly attempts: number;
  /** Every backoff wait at its cap, the Lambda service retries' included. */
  readonly waitSeconds: number;
  readonly worstSeconds: number;
}

export interface LambdaStepBudget extends StepBudget {
  readonly functionTimeoutSeconds: number;
}

/** The workflow's Lambda steps; the PutEvents tasks (`emitEvent`) have no function. */
export type LambdaStep = 'submit' | 'checkStatus' | 'copyToS3' | 'recordFailure' | 'notify';

export interface TimeBudget {
  /** The work after admission to the upstream: every deadline below counts from the admission. */
  readonly executionTimeoutSeconds: number;
  /** The longest wait for upstream capacity before it. */
  readonly capacityWaitSeconds: number;
  /**
   * The state machine's timeout: the wait, the Submit attempt that ends it
   * (admission happens inside one), then the work.
   */
  readonly stateMachineTimeoutSeconds: number;
  readonly maxVideoBytes: number;
  readonly steps: Readonly<Record<LambdaStep, LambdaStepBudget> & { emitEvent: StepBudget }>;
  /** The last Check Status, Copy, Record Failure, an event and Notify, plus the slack. */
  readonly afterDeadlineSeconds: number;
  /** When polling stops, counted from the job's admission (its execution's start when it never waited). */
  readonly pollDeadlineSeconds: number;
  /** Polling left after Submit's worst case. */
  readonly pollWindowSeconds: number;
}

function step(attemptSeconds: number, retries: readonly RetrySchedule[]): StepBudget {
  const attempts = 1 + retries.reduce((sum, schedule) => sum + schedule.maxAttempts, 0);
  const waitSeconds = retries.reduce((sum, schedule) => sum + maxWaitsSeconds(schedule), 0);
  return { attemptSeconds, attempts, waitSeconds, worstSeconds: attempts * attemptSeconds + waitSeconds };
}

/** A Lambda task: its own retries run full attempts, the Lambda service retry adds its waits. */
function lambdaStep(functionTimeoutSeconds: number, retries: readonly RetrySchedule[] = []): LambdaStepBudget {
  const own = step(functionTimeoutSeconds + INVOKE_OVERHEAD_SECONDS, retries);
  const waitSeconds = own.waitSeconds + maxWaitsSeconds(LAMBDA_SERVICE_RETRY_SCHEDULE);
  return { ...own, functionTimeoutSeconds, waitSeconds, worstSeconds: own.attempts * own.attemptSeconds + waitSeconds };
}

/**
 * The budget of one deployment. The last status check starts by the poll
 * deadline; after it come, at worst, that check with all its retries, the copy
 * with its retry, and the failure path (Record Failure, the event, Notify). The
 * deadline is what remains of the execution's timeout once those are set aside.
 */
export function workflowTimeBudget(
  options: { executionTimeoutSeconds?: number; maxVideoBytes?: number; capacityWaitSeconds?: number } = {},
): TimeBudget {
  const executionTimeoutSeconds = options.executionTimeoutSeconds ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS;
  const capacityWaitSeconds = options.capacityWaitSeconds ?? DEFAULT_CAPACITY_WAIT_SECONDS;
  const maxVideoBytes = options.maxVideoBytes ?? DEFAULT_MAX_VIDEO_BYTES;
  const steps = {
    submit: lambdaStep(FUNCTION_TIMEOUT_SECONDS.submit, [UPSTREAM_RETRY_SCHEDULE]),
    checkStatus: lambdaStep(FUNCTION_TIMEOUT_SECONDS.checkStatus, [UPSTREAM_RETRY_SCHEDULE]),
    copyToS3: lambdaStep(copyTimeoutSeconds(maxVideoBytes), [COPY_RETRY_SCHEDULE]),
    recordFailure: lambdaStep(FUNCTION_TIMEOUT_SECONDS.recordFailure),
    emitEvent: step(EVENT_ATTEMPT_SECONDS, [EVENT_RETRY_SCHEDULE]),
    notify: lambdaStep(FUNCTION_TIMEOUT_SECONDS.notify),
  };
  const afterDeadlineSeconds =
    TRANSITION_SLACK_SECONDS +
    steps.checkStatus.worstSeconds +
    steps.copyToS3.worstSeconds +
    steps.recordFailure.worstSeconds +
    steps.emitEvent.worstSeconds +
    steps.notify.worstSeconds;
  const pollDeadlineSeconds = executionTimeoutSeconds - afterDeadlineSeconds;
  return {
    executionTimeoutSeconds,
    capacityWaitSeconds,
    stateMachineTimeoutSeconds: capacityWaitSeconds + steps.submit.attemptSeconds + executionTimeoutSeconds,
    maxVideoBytes,
    steps,
    afterDeadlineSeconds,
    pollDeadlineSeconds,
    pollWindowSeconds: pollDeadlineSeconds - steps.submit.worstSeconds,
  };
}

/** What makes a budget unworkable, each naming the prop to change; empty when it fits. */
export function budgetProblems(budget: TimeBudget): string[] {
  const problems: string[] = [];
  const copySeconds = budget.steps.copyToS3.functionTimeoutSeconds;
  if (copySeconds > MAX_LAMBDA_TIMEOUT_SECONDS) {
    problems.push(
      `maxVideoBytes ${budget.maxVideoBytes} needs a ${copySeconds} s copy at the assumed minimum of 1 MiB/s, above Lambda's ${MAX_LAMBDA_TIMEOUT_SECONDS} s limit; at most ${MAX_COPYABLE_VIDEO_BYTES} bytes fit.`,
    );
  }
  if (budget.pollWindowSeconds < MIN_POLL_WINDOW_SECONDS) {
    const needed = budget.steps.submit.worstSeconds + MIN_POLL_WINDOW_SECONDS + budget.afterDeadlineSeconds;
    problems.push(
      `timeout ${budget.executionTimeoutSeconds} s cannot hold the worst case: Submit ${budget.steps.submit.worstSeconds} s, at least ${MIN_POLL_WINDOW_SECONDS} s of polling, then ${budget.afterDeadlineSeconds} s for the last status check, the copy and the failure path (${needed} s, ${Math.ceil(needed / 60)} minutes); raise timeout or lower maxVideoBytes.`,
    );
  }
  return problems;
}

/** Kept back from every upstream call for the step's own work after it (a write or two, the answer). */
export const CALL_SAFETY_MARGIN_MS = 5_000;

/**
 * Milliseconds one upstream call may take: what remains of the invocation less
 * the safety margin, shared evenly among the calls still to make (Check Status
 * may need the result after the status). Zero or less: no time for the call.
 */
export function callTimeoutMs(remainingMs: number, callsLeft = 1): number {
  return Math.floor((remainingMs - CALL_SAFETY_MARGIN_MS) / Math.max(1, callsLeft));
}
