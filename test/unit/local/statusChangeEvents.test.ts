import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  EXECUTION_STATUS_CHANGE,
  executionStatusChangeDetailSchema,
} from '../../../lambdas/core/contract/executionEvents';
import type { BusEvent } from '../../../local/eventBus';
import { LocalStepFunctions } from '../../../local/sfn/executions';
import { executionStatusChangeEvent } from '../../../local/sfn/statusChangeEvents';

const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:test-machine';

/** A machine that waits a long time (or passes straight through), its status changes collected as bus events. */
function machine(definition: Record<string, unknown>) {
  const events: BusEvent[] = [];
  const sfn = new LocalStepFunctions({
    stateMachineArn: MACHINE,
    definition: definition as unknown as StateMachineDefinition,
    taskHandlers: {},
    onStatusChange: (execution) => events.push(executionStatusChangeEvent(execution)),
  });
  const details = () => events.map((event) => executionStatusChangeDetailSchema.parse(event.detail));
  return { sfn, events, details };
}

const waiting = (extra: Record<string, unknown> = {}) => ({
  StartAt: 'Wait',
  States: { Wait: { Type: 'Wait', Seconds: 30, End: true } },
  ...extra,
});

describe('Local: Step Functions execution status change events', () => {
  it('tells of the start and of a StopExecution as Step Functions does: RUNNING, then ABORTED with the reason', async () => {
    // Arrange
    const { sfn, events, details } = machine(waiting());
    const execution = sfn.start(MACHINE, 'job-1-run', '{"jobId":"job-1"}');

    // Act
    await sfn.stop(execution.executionArn, { error: 'operator', cause: 'stuck' });

    // Assert
    expect(events.map((event) => [event.source, event['detail-type'], event.resources])).toEqual([
      [EXECUTION_STATUS_CHANGE.source, EXECUTION_STATUS_CHANGE.detailType, [execution.executionArn]],
      [EXECUTION_STATUS_CHANGE.source, EXECUTION_STATUS_CHANGE.detailType, [execution.executionArn]],
    ]);
    const [running, aborted] = details();
    expect(running).toMatchObject({ status: 'RUNNING', stopDate: null, name: 'job-1-run' });
    expect(aborted).toEqual({
      executionArn: execution.executionArn,
      stateMachineArn: MACHINE,
      name: 'job-1-run',
      status: 'ABORTED',
      startDate: execution.startDate.getTime(),
      stopDate: expect.any(Number),
      input: '{"jobId":"job-1"}',
      output: null,
      error: 'operator',
      cause: 'stuck',
    });
  });

  it('tells of an execution that reached its TimeoutSeconds: TIMED_OUT', async () => {
    // Arrange
    const { sfn, details } = machine(waiting({ TimeoutSeconds: 1 }));

    // Act
    await sfn.start(MACHINE, 'job-2-run', '{"jobId":"job-2"}').done;

    // Assert
    expect(details().map((detail) => [detail.status, detail.error])).toEqual([
      ['RUNNING', null],
      ['TIMED_OUT', 'States.Timeout'],
    ]);
  });

  it('tells of a success with its output', async () => {
    // Arrange
    const { sfn, details } = machine({ StartAt: 'Pass', States: { Pass: { Type: 'Pass', End: true } } });

    // Act
    await sfn.start(MACHINE, 'job-3-run', '{"jobId":"job-3"}').done;

    // Assert
    expect(details()[1]).toMatchObject({ status: 'SUCCEEDED', output: '{"jobId":"job-3"}', error: null });
  });

  it('tells nothing of the executions it stops while the local stack shuts down', async () => {
    // Arrange
    const { sfn, details } = machine(waiting());
    sfn.start(MACHINE, 'job-4-run', '{"jobId":"job-4"}');

    // Act
    await sfn.close();

    // Assert
    expect(details().map((detail) => detail.status)).toEqual(['RUNNING']);
  });
});
