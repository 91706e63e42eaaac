import type { HistoryEvent } from '@aws-sdk/client-sfn';

/**
 * An execution's history (GetExecutionHistory's events, oldest first) read
 * as a timeline: the states it went through, each with its input, output and
 * task calls, and how the execution ended. Works on any Step Functions
 * history, local or AWS.
 */

export type ExecutionOutcome = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One call of a Task's integration: each retry is another. */
export interface TaskCall {
  /** `lambda:invoke`, `events:putEvents`, … */
  resource: string;
  scheduledAt: Date;
  endedAt?: Date;
  outcome: 'running' | 'succeeded' | 'failed' | 'timed out';
  parameters?: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface TimelineStep {
  name: string;
  /** Task, Wait, Choice, Pass, Succeed, Fail, Map, Parallel. */
  type: string;
  enteredAt: Date;
  /** When the state was left; a Fail state, or one the execution ended in, is never left. */
  exitedAt?: Date;
  input?: string;
  output?: string;
  calls: TaskCall[];
  /** The execution was stopped or timed out while in this state. */
  aborted: boolean;
}

export interface Timeline {
  outcome: ExecutionOutcome;
  startedAt?: Date;
  endedAt?: Date;
  input?: string;
  output?: string;
  /** What ended the execution, for every outcome but SUCCEEDED. */
  error?: string;
  cause?: string;
  steps: TimelineStep[];
}

const ENDINGS: Record<string, ExecutionOutcome> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

const suffixed = (type: string, suffix: string) => (type.endsWith(suffix) ? type.slice(0, -suffix.length) : undefined);

/** Only the last call of a step can still be waiting for its answer. */
const lastCall = (step: TimelineStep | undefined) => step?.calls.at(-1);

export function buildTimeline(events: readonly HistoryEvent[]): Timeline {
  const timeline: Timeline = { outcome: 'RUNNING', steps: [] };
  // Each event follows from its previousEventId: the step an event belongs to is its predecessor's.
  const stepOfEvent = new Map<number, TimelineStep>();
  let latest: TimelineStep | undefined;
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp ?? new Date(0);
    const stepType = suffixed(type, 'StateEntered');
    let step = stepOfEvent.get(event.previousEventId ?? -1) ?? latest;
    if (stepType !== undefined) {
      step = {
        name: event.stateEnteredEventDetails?.name ?? '?',
        type: stepType,
        enteredAt: at,
        input: event.stateEnteredEventDetails?.input,
        calls: [],
        aborted: false,
      };
      timeline.steps.push(step);
      latest = step;
    } else if (type.endsWith('StateExited') && step) {
      step.exitedAt = at;
      step.output = event.stateExitedEventDetails?.output;
    } else if (type.endsWith('StateAborted') && step) {
      step.aborted = true;
    } else if (type === 'TaskScheduled' && step) {
      const details = event.taskScheduledEventDetails;
      step.calls.push({
        resource: `${details?.resourceType}:${details?.resource}`,
        scheduledAt: at,
        outcome: 'running',
        parameters: details?.parameters,
      });
    } else if (type === 'TaskSucceeded') {
      Object.assign(lastCall(step) ?? {}, {
        outcome: 'succeeded',
        endedAt: at,
        output: event.taskSucceededEventDetails?.output,
      });
    } else if (type === 'TaskFailed' || type === 'TaskTimedOut') {
      const details = event.taskFailedEventDetails ?? event.taskTimedOutEventDetails;
      Object.assign(lastCall(step) ?? {}, {
        outcome: type === 'TaskFailed' ? 'failed' : 'timed out',
        endedAt: at,
        error: details?.error,
        cause: details?.cause,
      });
    } else if (type === 'ExecutionStarted') {
      timeline.startedAt = at;
      timeline.input = event.executionStartedEventDetails?.input;
    } else if (ENDINGS[type]) {
      timeline.outcome = ENDINGS[type];
      timeline.endedAt = at;
      timeline.output = event.executionSucceededEventDetails?.output;
      const failure =
        event.executionFailedEventDetails ?? event.executionAbortedEventDetails ?? event.executionTimedOutEventDetails;
      timeline.error = failure?.error;
      timeline.cause = failure?.cause;
    }
    if (step && event.id !== undefined) stepOfEvent.set(event.id, step);
  }
  return timeline;
}

/** How long a step took: to its exit, else to the end of the execution; undefined while it runs. */
export function stepDurationMs(step: TimelineStep, timeline: Timeline): number | undefined {
  const end = step.exitedAt ?? timeline.endedAt;
  return end === undefined ? undefined : end.getTime() - step.enteredAt.getTime();
}
