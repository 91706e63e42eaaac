import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { type HistoryEvent, LocalStepFunctions, type TaskHandler } from '../../../local/sfn/executions';

/**
 * The history the local runner keeps is Step Functions': AWS's event types,
 * inputs and outputs, and a TaskScheduled / TaskStarted / TaskSucceeded or
 * TaskFailed for every call of a Task's integration, retries included.
 */

const MACHINE = 'arn:aws:states:eu-west-1:000000000000:stateMachine:history-test';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const FUNCTION = 'arn:aws:lambda:eu-west-1:000000000000:function:Work';

class FlakyError extends Error {
  override readonly name = 'FlakyError';
}
class FatalError extends Error {
  override readonly name = 'FatalError';
}

const task = (extra: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: LAMBDA_INVOKE,
  Parameters: { FunctionName: FUNCTION, 'Payload.$': '$' },
  TimeoutSeconds: 30,
  ...extra,
});

const definition = {
  StartAt: 'Work',
  States: {
    Work: task({
      ResultSelector: { 'value.$': '$.Payload.value' },
      ResultPath: '$.work',
      Retry: [{ ErrorEquals: ['FlakyError'], IntervalSeconds: 1, MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
      Next: 'Pause',
    }),
    Pause: { Type: 'Wait', Seconds: 0, Next: 'Decide' },
    Decide: {
      Type: 'Choice',
      Choices: [{ Variable: '$.work.value', NumericGreaterThan: 1, Next: 'Shape' }],
      Default: 'Failed',
    },
    Shape: { Type: 'Pass', Parameters: { 'result.$': '$.work.value' }, Next: 'Done' },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', Error: 'JobFailed', Cause: 'the work failed' },
  },
};

async function run(handler: TaskHandler, input: unknown = { n: 1 }, machineDefinition: unknown = definition) {
  const sfn = new LocalStepFunctions({
    stateMachineArn: MACHINE,
    definition: machineDefinition as StateMachineDefinition,
    taskHandlers: { Work: handler },
    retryIntervalMs: 0,
  });
  const execution = sfn.start(MACHINE, 'run-1', JSON.stringify(input));
  return { sfn, execution };
}

const types = (history: HistoryEvent[]) => history.map((event) => event.type);
const parsed = (text: unknown) => JSON.parse(String(text)) as unknown;

describe('Class: LocalStepFunctions history', () => {
  it('records a successful run with every state type, inputs, outputs and the task call', async () => {
    // Arrange
    const { execution } = await run(async (input) => ({ StatusCode: 200, Payload: { value: 2, saw: input } }));

    // Act
    await execution.done;

    // Assert
    const { history } = execution;
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history.map((event) => [event.id, event.previousEventId])).toEqual(history.map((_, i) => [i + 1, i]));
    const [started, entered, scheduled, taskStarted, succeeded, exited] = history;
    expect(started?.details).toEqual({
      input: '{"n":1}',
      inputDetails: { truncated: false },
      roleArn: 'arn:aws:iam::000000000000:role/history-test-role',
    });
    expect(entered).toMatchObject({ stateName: 'Work', details: { name: 'Work', input: '{"n":1}' } });
    expect(scheduled?.details).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'eu-west-1',
      parameters: JSON.stringify({ FunctionName: FUNCTION, Payload: { n: 1 } }),
      timeoutInSeconds: 30,
    });
    expect(taskStarted?.details).toEqual({ resourceType: 'lambda', resource: 'invoke' });
    // The integration's raw answer, before ResultSelector and ResultPath.
    expect(parsed(succeeded?.details?.output)).toEqual({
      StatusCode: 200,
      Payload: { value: 2, saw: { FunctionName: FUNCTION, Payload: { n: 1 } } },
    });
    expect(parsed(exited?.details?.output)).toEqual({ n: 1, work: { value: 2 } });
    expect(parsed(history.at(-1)?.details?.output)).toEqual({ result: 2 });
    expect(execution.output).toBe(history.at(-1)?.details?.output);
  });

  it('records each retried call inside one state entry, the caught error, and a Fail state without an exit', async () => {
    // Arrange
    let calls = 0;
    const { execution } = await run(async () => {
      calls++;
      throw calls === 1 ? new FlakyError('try again') : new FatalError('no');
    });

    // Act
    await execution.done;

    // Assert
    expect(types(execution.history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    const failures = execution.history.filter((event) => event.type === 'TaskFailed');
    expect(failures.map((event) => event.details)).toEqual([
      { resourceType: 'lambda', resource: 'invoke', error: 'FlakyError', cause: 'try again' },
      { resourceType: 'lambda', resource: 'invoke', error: 'FatalError', cause: 'no' },
    ]);
    const caught = execution.history.find((event) => event.type === 'TaskStateExited');
    expect(parsed(caught?.details?.output)).toEqual({ n: 1, error: { Error: 'FatalError', Cause: 'no' } });
    expect(execution.history.at(-1)?.details).toEqual({ error: 'JobFailed', cause: 'the work failed' });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'JobFailed', cause: 'the work failed' });
  });

  it('records a call the state timed out as TaskTimedOut', async () => {
    // Arrange
    const slow = { StartAt: 'Work', States: { Work: task({ TimeoutSeconds: 1, End: true }) } };
    const { execution } = await run(() => new Promise((resolve) => setTimeout(() => resolve({}), 1500)), {}, slow);

    // Act
    await execution.done;

    // Assert
    expect(types(execution.history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskTimedOut',
      'ExecutionFailed',
    ]);
    expect(execution.history[4]?.details).toMatchObject({ resourceType: 'lambda', error: 'States.Timeout' });
    expect(execution.history[2]?.details?.timeoutInSeconds).toBe(1);
  });

  it('records a stopped execution: the unanswered call, the state aborted, the stop reason', async () => {
    // Arrange
    let called!: () => void;
    const calledOnce = new Promise<void>((resolve) => {
      called = resolve;
    });
    const { sfn, execution } = await run(() => {
      called();
      return new Promise(() => undefined);
    });
    await calledOnce;

    // Act
    await sfn.stop(execution.executionArn, { error: 'cancelled', cause: 'by its owner' });
    await execution.done;

    // Assert
    expect(types(execution.history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskStateAborted',
      'ExecutionAborted',
    ]);
    expect(execution.history[4]?.details).toBeUndefined();
    expect(execution.history[5]?.details).toEqual({ error: 'cancelled', cause: 'by its owner' });
  });
});
