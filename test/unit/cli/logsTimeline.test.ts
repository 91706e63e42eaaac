import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { errorText, formatDuration, formatTimeline, timelineJson } from '../../../cli/logsFormat';
import { buildTimeline, stepDurationMs } from '../../../cli/logsTimeline';

/**
 * A history as GetExecutionHistory answers it: Submit Job fails once
 * (retried), then is caught; Record Failure; the Fail state; ExecutionFailed.
 * Offsets are in ms from the start.
 */

const START = new Date('2025-03-01T12:00:00.000Z');
const SIGNED_URL =
  'https://bucket.s3.amazonaws.com/f.png?X-Amz-Credential=AKIAEXAMPLE%2F20250301&X-Amz-Signature=abcdef0123456789&X-Amz-Date=20250301T120000Z';

const at = (ms: number) => new Date(START.getTime() + ms);

type Body = Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'>;

function history(entries: [number, Body][]): HistoryEvent[] {
  return entries.map(([ms, body], index) => ({ id: index + 1, previousEventId: index, timestamp: at(ms), ...body }));
}

const lambda = { resourceType: 'lambda', resource: 'invoke' };
const input = JSON.stringify({ jobId: 'job-1', frame: SIGNED_URL });
const caughtOutput = JSON.stringify({
  jobId: 'job-1',
  frame: SIGNED_URL,
  error: {
    Error: 'UpstreamBadRequestError',
    Cause: '{"errorType":"UpstreamBadRequestError","errorMessage":"bad prompt"}',
  },
});
const failure = JSON.stringify({ jobId: 'job-1', code: 'upstream_bad_request', message: 'bad prompt' });

const failedHistory = history([
  [0, { type: 'ExecutionStarted', executionStartedEventDetails: { input } }],
  [0, { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Submit Job', input } }],
  [10, { type: 'TaskScheduled', taskScheduledEventDetails: { ...lambda, region: 'us-east-1', parameters: input } }],
  [10, { type: 'TaskStarted', taskStartedEventDetails: lambda }],
  [
    510,
    {
      type: 'TaskFailed',
      taskFailedEventDetails: { ...lambda, error: 'UpstreamUnavailableError', cause: 'Segmind answered 503' },
    },
  ],
  [1510, { type: 'TaskScheduled', taskScheduledEventDetails: { ...lambda, region: 'us-east-1', parameters: input } }],
  [1510, { type: 'TaskStarted', taskStartedEventDetails: lambda }],
  [
    1710,
    {
      type: 'TaskFailed',
      taskFailedEventDetails: {
        ...lambda,
        error: 'UpstreamBadRequestError',
        cause: '{"errorType":"UpstreamBadRequestError","errorMessage":"bad prompt"}',
      },
    },
  ],
  [1710, { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Submit Job', output: caughtOutput } }],
  [1710, { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Record Failure', input: caughtOutput } }],
  [
    1720,
    { type: 'TaskScheduled', taskScheduledEventDetails: { ...lambda, region: 'us-east-1', parameters: caughtOutput } },
  ],
  [1720, { type: 'TaskStarted', taskStartedEventDetails: lambda }],
  [
    1800,
    {
      type: 'TaskSucceeded',
      taskSucceededEventDetails: { ...lambda, output: JSON.stringify({ Payload: JSON.parse(failure) }) },
    },
  ],
  [1800, { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Record Failure', output: failure } }],
  [1800, { type: 'FailStateEntered', stateEnteredEventDetails: { name: 'Transition Failed', input: failure } }],
  [
    1801,
    { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'upstream_bad_request', cause: 'bad prompt' } },
  ],
]);

const waiting = JSON.stringify({ jobId: 'job-2', waitSeconds: 5 });
const polled = JSON.stringify({ jobId: 'job-2', waitSeconds: 5, status: 'PROCESSING' });

/** A job still waiting for the upstream: Submit done, in its Wait state. */
const runningHistory = history([
  [0, { type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"jobId":"job-2"}' } }],
  [0, { type: 'WaitStateEntered', stateEnteredEventDetails: { name: 'Wait For Upstream', input: waiting } }],
  [5000, { type: 'WaitStateExited', stateExitedEventDetails: { name: 'Wait For Upstream', output: waiting } }],
  [5000, { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Check Status', input: waiting } }],
  [5000, { type: 'TaskScheduled', taskScheduledEventDetails: { ...lambda, region: 'us-east-1', parameters: waiting } }],
  [5000, { type: 'TaskStarted', taskStartedEventDetails: lambda }],
  [5100, { type: 'TaskSucceeded', taskSucceededEventDetails: { ...lambda, output: polled } }],
  [5100, { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Check Status', output: polled } }],
  [5100, { type: 'WaitStateEntered', stateEnteredEventDetails: { name: 'Wait For Upstream', input: polled } }],
]);

const SECRET = 'local-api-key-do-not-print';
const options = (full = false) => ({
  full,
  secrets: [SECRET],
  header: [{ label: 'Execution', value: 'arn:aws:states:us-east-1:000000000000:execution:m:job-1' }],
});

describe('Function: buildTimeline', () => {
  it('reads a failed execution into its states, their task calls and its end', () => {
    // Act
    const timeline = buildTimeline(failedHistory);

    // Assert
    expect(timeline).toMatchObject({
      outcome: 'FAILED',
      startedAt: START,
      error: 'upstream_bad_request',
      cause: 'bad prompt',
    });
    expect(timeline.steps.map((step) => [step.name, step.type])).toEqual([
      ['Submit Job', 'Task'],
      ['Record Failure', 'Task'],
      ['Transition Failed', 'Fail'],
    ]);
    const [submit, record, fail] = timeline.steps;
    expect(submit?.calls.map((call) => [call.resource, call.outcome, call.error])).toEqual([
      ['lambda:invoke', 'failed', 'UpstreamUnavailableError'],
      ['lambda:invoke', 'failed', 'UpstreamBadRequestError'],
    ]);
    expect(record?.calls[0]).toMatchObject({ outcome: 'succeeded', resource: 'lambda:invoke' });
    expect(submit && stepDurationMs(submit, timeline)).toBe(1710);
    expect(fail?.exitedAt).toBeUndefined();
    // A Fail state lasts until the execution ends.
    expect(fail && stepDurationMs(fail, timeline)).toBe(1);
  });

  it('leaves a state that is still running without a duration, and the execution RUNNING', () => {
    // Act
    const timeline = buildTimeline(runningHistory);

    // Assert
    expect(timeline.outcome).toBe('RUNNING');
    expect(timeline.steps).toHaveLength(3);
    const last = timeline.steps.at(-1);
    expect(last?.name).toBe('Wait For Upstream');
    expect(last && stepDurationMs(last, timeline)).toBeUndefined();
  });

  it('attaches task events to the state their previousEventId leads to, not the latest one', () => {
    // Arrange: two states entered (as parallel branches would), then a task of the first.
    const events: HistoryEvent[] = [
      {
        id: 1,
        previousEventId: 0,
        type: 'TaskStateEntered',
        timestamp: START,
        stateEnteredEventDetails: { name: 'A' },
      },
      {
        id: 2,
        previousEventId: 0,
        type: 'TaskStateEntered',
        timestamp: START,
        stateEnteredEventDetails: { name: 'B' },
      },
      {
        id: 3,
        previousEventId: 1,
        type: 'TaskScheduled',
        timestamp: START,
        taskScheduledEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          region: 'us-east-1',
          parameters: '{}',
        },
      },
    ];

    // Act
    const [a, b] = buildTimeline(events).steps;

    // Assert
    expect(a?.calls).toHaveLength(1);
    expect(b?.calls).toHaveLength(0);
  });
});

describe('Function: formatTimeline', () => {
  it('shows each state with its offset and duration, each call with its outcome, and the error that ended it', () => {
    // Act
    const text = formatTimeline(buildTimeline(failedHistory), options());

    // Assert
    const lines = text.split('\n');
    expect(lines[0]).toBe('Execution  arn:aws:states:us-east-1:000000000000:execution:m:job-1');
    expect(lines).toContain('Started    2025-03-01T12:00:00.000Z');
    expect(lines).toContain('    +0.0 s  Submit Job (Task)  1.7 s');
    expect(lines).toContain(
      '            call 1   lambda:invoke  500 ms  failed  UpstreamUnavailableError: Segmind answered 503',
    );
    // A Lambda error document is shown by its message.
    expect(lines).toContain('            call 2   lambda:invoke  200 ms  failed  UpstreamBadRequestError: bad prompt');
    expect(lines).toContain('    +1.7 s  Record Failure (Task)  90 ms');
    const recordAt = lines.indexOf('    +1.7 s  Record Failure (Task)  90 ms');
    expect(lines[recordAt + 1]).toBe("            input    the previous state's output");
    expect(lines).toContain('    +1.8 s  Transition Failed (Fail)  1 ms');
    expect(lines.filter(Boolean).at(-1)).toBe('FAILED after 1.8 s: upstream_bad_request: bad prompt');
  });

  it('shows an output that passed its input on as what it changed', () => {
    // Act
    const text = formatTimeline(buildTimeline(runningHistory), options());

    // Assert
    expect(text).toContain('output   the input, unchanged');
    expect(text).toContain('output   the input with {"status":"PROCESSING"}');
    expect(text).toMatch(/\+5\.1 s {2}Wait For Upstream \(Wait\) {2}running$/m);
    expect(text.trimEnd().split('\n').at(-1)).toBe('Still running.');
  });

  it('redacts presigned signatures and the given secrets everywhere, and keeps the rest of the URL', () => {
    // Arrange
    const events = failedHistory.map((event) =>
      event.type === 'ExecutionFailed'
        ? {
            ...event,
            executionFailedEventDetails: { error: 'upstream_bad_request', cause: `key ${SECRET} at ${SIGNED_URL}` },
          }
        : event,
    );

    // Act
    const short = formatTimeline(buildTimeline(events), options());
    const full = formatTimeline(buildTimeline(events), options(true));
    const json = JSON.stringify(timelineJson(buildTimeline(events), [SECRET]));

    // Assert
    for (const text of [short, full, json]) {
      expect(text).not.toContain('abcdef0123456789');
      expect(text).not.toContain('AKIAEXAMPLE');
      expect(text).not.toContain(SECRET);
      expect(text).toContain('X-Amz-Signature=[redacted]');
      expect(text).toContain('X-Amz-Date=20250301T120000Z');
    }
  });

  it('cuts long values to one line unless --full, which pretty-prints them with the task parameters', () => {
    // Arrange
    const long = JSON.stringify({ jobId: 'job-3', note: 'x'.repeat(500) });
    const events: HistoryEvent[] = [
      {
        id: 1,
        previousEventId: 0,
        type: 'PassStateEntered',
        timestamp: START,
        stateEnteredEventDetails: { name: 'P', input: long },
      },
    ];

    // Act
    const short = formatTimeline(buildTimeline(events), options());
    const full = formatTimeline(buildTimeline(failedHistory), options(true));

    // Assert
    expect(short).toMatch(/input {4}\{"jobId":"job-3","note":"x+… \(\d+ more characters; --full shows all\)$/m);
    expect(full).toMatch(/^ {12}params {3}\{$/m);
    expect(full).toMatch(/^ {23}"jobId": "job-1",$/m);
  });
});

describe('Function: formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [999, '999 ms'],
    [1000, '1.0 s'],
    [59_940, '59.9 s'],
    [65_000, '1 min 5 s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('Function: errorText', () => {
  it('reads a Lambda error document by its message, anything else as is', () => {
    expect(errorText('E', '{"errorType":"E","errorMessage":"boom"}', [])).toBe('E: boom');
    expect(errorText('States.Timeout', 'took too long', [])).toBe('States.Timeout: took too long');
    expect(errorText(undefined, undefined, [])).toBe('no error or cause given');
  });
});
