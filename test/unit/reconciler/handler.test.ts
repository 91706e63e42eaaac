import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { serveJobsTable, storedJob, TABLE_NAME, updatesSent } from '../fakeJobsTable';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';

const TAIL = 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-cancellation-tail';
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-transition';

// The handler parses its environment at module scope: stub it before importing.
stubLambdaEnv({ JOBS_TABLE_NAME: TABLE_NAME, CANCELLATION_TAIL_ARN: TAIL });

const ddb = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);
const { handler } = await import('../../../lambdas/reconciler/reconcileExecution');

const JOB_ID = '01JQ0000000000000000000301';
const EXECUTION_NAME = `${JOB_ID}-01JQ0000000000000000000302`;
const context = lambdaContext('reconcileExecution');

let rows: Map<string, Record<string, unknown>>;

/** Step Functions' status change event as the rule on the default bus delivers it. */
function statusChange(detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2025-03-01T10:00:00Z',
    region: 'us-east-1',
    resources: [`${MACHINE.replace(':stateMachine:', ':execution:')}:${EXECUTION_NAME}`],
    detail: {
      executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${EXECUTION_NAME}`,
      stateMachineArn: MACHINE,
      name: EXECUTION_NAME,
      status: 'TIMED_OUT',
      startDate: 1_740_822_000_000,
      stopDate: 1_740_825_300_000,
      input: JSON.stringify({ jobId: JOB_ID }),
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: 'States.Timeout',
      cause: null,
      ...detail,
    },
  };
}

beforeEach(() => {
  ddb.reset();
  sfnMock.reset();
  rows = serveJobsTable(ddb);
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${TAIL}:x`, startDate: new Date() });
  const job = storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'generating', executionName: EXECUTION_NAME });
  rows.set(JOB_ID, structuredClone(job));
});

describe('Function: reconcileExecution handler', () => {
  it("ends the job named in the execution's input and starts its announcement on the configured tail", async () => {
    // Act
    const outcome = await handler(statusChange(), context);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'ended', code: 'execution_timed_out' });
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: { code: 'execution_timed_out' } });
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ stateMachineArn: TAIL, name: EXECUTION_NAME }),
    ]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an input that is not JSON', { input: 'jobId=x' }, /input must be a JSON document/],
    ['an input without a jobId', { input: '{"job":"x"}' }, /jobId/],
    ['no input', { input: null }, /input/],
    ['a status the reconciler does not handle', { status: 'SUCCEEDED' }, /status/],
  ])(
    'refuses %s, writing and starting nothing (the event is retried, then dead-lettered)',
    async (_case, detail, message) => {
      // Act
      const handling = handler(statusChange(detail), context);

      // Assert
      await expect(handling).rejects.toMatchObject({ name: 'ValidationError', message });
      expect(updatesSent(ddb)).toEqual([]);
      expect(sfnMock.commandCalls(StartExecutionCommand)).toEqual([]);
    },
  );

  it('refuses an event that is not an execution status change', async () => {
    // Act
    const handling = handler({ ...statusChange(), source: 'framebridge' }, context);

    // Assert
    await expect(handling).rejects.toMatchObject({ name: 'ValidationError', message: /source/ });
  });
});
