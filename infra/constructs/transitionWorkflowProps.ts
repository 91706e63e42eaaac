import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { SEGMIND_DEFAULT_BASE_URL } from '../../lambdas/core/contract/names';
import {
  budgetProblems,
  DEFAULT_CAPACITY_WAIT_SECONDS,
  DEFAULT_EXECUTION_TIMEOUT_SECONDS,
  type TimeBudget,
  workflowTimeBudget,
} from '../../lambdas/core/timeBudget';

/** Segmind forgets a request one hour after submission; the workflow must finish before. */
const UPSTREAM_RECORD_EXPIRY = Duration.hours(1);

export interface TransitionWorkflowProps {
  /** The jobs table every step writes the job's status to. */
  readonly table: ITable;
  /** The bucket holding uploaded frames (`s3://` inputs) and finished videos (`jobs/`). */
  readonly bucket: IBucket;
  /** The secret holding the Segmind API key. */
  readonly segmindApiKey: ISecret;
  /**
   * The secret webhooks are signed with (`whsec_…`, or a raw string whose bytes are the key).
   * @default - a new generated secret, owned by the webhook delivery
   */
  readonly webhookSigningSecret?: ISecret;
  /**
   * The bus `Transition Completed` / `Transition Failed` events are put on.
   * @default - a new EventBus with a generated name
   */
  readonly eventBus?: IEventBus;
  /**
   * Base URL of the Segmind-compatible upstream (operator-set, so http is allowed;
   * use https whenever the API key crosses a network you do not control).
   * @default 'https://api.segmind.com'
   */
  readonly segmindBaseUrl?: string;
  /**
   * Hosts the finished video may be downloaded from.
   * @default - the handler's default: Segmind's hosts plus the base URL's host
   */
  readonly outputHosts?: readonly string[];
  /**
   * Override of the poll plan's first wait, in seconds (`FRAMEBRIDGE_POLL_FIRST_S`).
   * @default - the handler's poll plan (about the expected latency)
   */
  readonly pollFirstSeconds?: number;
  /**
   * Override of the poll plan's interval, in seconds (`FRAMEBRIDGE_POLL_INTERVAL_S`).
   * @default - the handler's poll plan
   */
  readonly pollIntervalSeconds?: number;
  /**
   * `learning`: the poll plan learns from recent jobs' upstream latency;
   * `static`: it keeps its fixed guess (`FRAMEBRIDGE_POLL_STRATEGY`).
   * @default 'learning'
   */
  readonly pollStrategy?: 'learning' | 'static';
  /**
   * Largest video, in bytes, the copy step accepts (`FRAMEBRIDGE_MAX_VIDEO_BYTES`).
   * The copy's timeout is sized for it at 1 MiB/s, so it may be at most 840 MiB;
   * a smaller cap leaves the poll deadline more time.
   * @default - 500 MiB, the handler's default
   */
  readonly maxVideoBytes?: number;
  /**
   * Timeout of one execution. Must be below 60 minutes, the upstream's record
   * expiry, and hold the worst case of every step's retries (see the time budget,
   * `lambdas/core/timeBudget.ts`): the poll deadline is what it leaves.
   * @default Duration.minutes(55)
   */
  readonly timeout?: Duration;
  /**
   * Upstream requests (submits, status polls, result reads) the whole
   * deployment may send in any minute (`FRAMEBRIDGE_UPSTREAM_RPM`): Segmind
   * limits an account by requests per minute. At least 2.
   * @default 50
   */
  readonly upstreamRequestsPerMinute?: number;
  /**
   * Jobs the whole deployment may have in flight upstream at once
   * (`FRAMEBRIDGE_UPSTREAM_CONCURRENCY`); the rest wait QUEUED in
   * `waiting_for_capacity`, in order of arrival.
   * @default 10
   */
  readonly upstreamConcurrency?: number;
  /**
   * How long a job may wait for upstream capacity before it fails
   * `upstream_capacity_unavailable`. The state machine's timeout is this wait
   * plus `timeout`; the work's deadlines count from the job's admission.
   * @default Duration.hours(6)
   */
  readonly maxCapacityWait?: Duration;
  /**
   * Retention of the state machine's execution log.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export interface WorkflowConfig {
  readonly segmindBaseUrl: string;
  readonly outputHosts?: readonly string[];
  readonly pollFirstSeconds?: number;
  readonly pollIntervalSeconds?: number;
  readonly pollStrategy?: 'learning' | 'static';
  readonly maxVideoBytes?: number;
  readonly timeout: Duration;
  readonly upstreamRequestsPerMinute?: number;
  readonly upstreamConcurrency?: number;
  /** Every step's timeout and retries, and the poll deadline they leave. */
  readonly budget: TimeBudget;
}

export function validateWorkflowProps(props: TransitionWorkflowProps): WorkflowConfig {
  const segmindBaseUrl = props.segmindBaseUrl ?? SEGMIND_DEFAULT_BASE_URL;
  let parsed: URL;
  try {
    parsed = new URL(segmindBaseUrl);
  } catch {
    throw new Error(
      `TransitionWorkflow: segmindBaseUrl must be an absolute URL such as '${SEGMIND_DEFAULT_BASE_URL}', got '${segmindBaseUrl}'.`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`TransitionWorkflow: segmindBaseUrl must be an http(s) URL, got '${segmindBaseUrl}'.`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new Error(`TransitionWorkflow: segmindBaseUrl must not carry a query or fragment, got '${segmindBaseUrl}'.`);
  }
  for (const host of props.outputHosts ?? []) {
    if (!/^[a-z0-9.-]+(:\d+)?$/i.test(host) || host.startsWith('.') || host.endsWith('.')) {
      throw new Error(
        `TransitionWorkflow: outputHosts must be bare host names such as 'storage.googleapis.com' (no scheme, path or commas), got '${host}'.`,
      );
    }
  }
  if (props.outputHosts !== undefined && props.outputHosts.length === 0) {
    throw new Error(
      'TransitionWorkflow: outputHosts is empty, so no video could ever be copied; leave it undefined for the handler default.',
    );
  }
  for (const [name, value] of [
    ['pollFirstSeconds', props.pollFirstSeconds],
    ['pollIntervalSeconds', props.pollIntervalSeconds],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 3600)) {
      throw new Error(
        `TransitionWorkflow: ${name} must be a whole number of seconds between 1 and 3600, got ${value}.`,
      );
    }
  }
  if (props.maxVideoBytes !== undefined && (!Number.isSafeInteger(props.maxVideoBytes) || props.maxVideoBytes < 1)) {
    throw new Error(
      `TransitionWorkflow: maxVideoBytes must be a positive whole number of bytes, got ${props.maxVideoBytes}.`,
    );
  }
  const timeout = props.timeout ?? Duration.seconds(DEFAULT_EXECUTION_TIMEOUT_SECONDS);
  if (timeout.isUnresolved()) {
    throw new Error('TransitionWorkflow: timeout must be a concrete duration, not a token.');
  }
  const timeoutSeconds = timeout.toSeconds();
  if (timeoutSeconds >= UPSTREAM_RECORD_EXPIRY.toSeconds()) {
    throw new Error(
      `TransitionWorkflow: timeout must be below 60 minutes, the upstream's record expiry (a job polled after it is lost), got ${timeout.toHumanString()}.`,
    );
  }
  validateUpstreamBudget(props);
  const maxCapacityWait = props.maxCapacityWait ?? Duration.seconds(DEFAULT_CAPACITY_WAIT_SECONDS);
  if (maxCapacityWait.isUnresolved() || maxCapacityWait.toSeconds() < 60 || maxCapacityWait.toSeconds() > 7 * 86_400) {
    throw new Error('TransitionWorkflow: maxCapacityWait must be a concrete duration between 1 minute and 7 days.');
  }
  const budget = workflowTimeBudget({
    executionTimeoutSeconds: timeoutSeconds,
    maxVideoBytes: props.maxVideoBytes,
    capacityWaitSeconds: maxCapacityWait.toSeconds(),
  });
  const [problem] = budgetProblems(budget);
  if (problem !== undefined) throw new Error(`TransitionWorkflow: ${problem}`);
  return {
    segmindBaseUrl: segmindBaseUrl.replace(/\/+$/, ''),
    outputHosts: props.outputHosts,
    pollFirstSeconds: props.pollFirstSeconds,
    pollIntervalSeconds: props.pollIntervalSeconds,
    pollStrategy: props.pollStrategy,
    maxVideoBytes: props.maxVideoBytes,
    timeout,
    upstreamRequestsPerMinute: props.upstreamRequestsPerMinute,
    upstreamConcurrency: props.upstreamConcurrency,
    budget,
  };
}

function validateUpstreamBudget(props: TransitionWorkflowProps): void {
  const rpm = props.upstreamRequestsPerMinute;
  if (rpm !== undefined && (!Number.isInteger(rpm) || rpm < 2)) {
    throw new Error(`TransitionWorkflow: upstreamRequestsPerMinute must be a whole number of at least 2, got ${rpm}.`);
  }
  const concurrency = props.upstreamConcurrency;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new Error(`TransitionWorkflow: upstreamConcurrency must be a positive whole number, got ${concurrency}.`);
  }
}
