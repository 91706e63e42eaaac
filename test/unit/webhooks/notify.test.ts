import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import type { Job } from '../../../lambdas/core/job';
import { notify } from '../../../lambdas/webhooks/steps/notify';
import { jobStore, serveJobsTable, storedJob, TABLE_NAME, updatesSent } from '../fakeJobsTable';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';

const WEBHOOK_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-webhooks';
stubLambdaEnv({ JOBS_TABLE_NAME: TABLE_NAME, WEBHOOK_STATE_MACHINE_ARN: WEBHOOK_MACHINE });

const ddb = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);
const { handler: notifyHandler } = await import('../../../lambdas/webhooks/notify');

const JOB_ID = '01JQ0000000000000000000101';
const CALLBACK = 'https://hooks.example.com/framebridge';
const deps = { store: jobStore, sfn: new SFNClient({ region: 'us-east-1' }), webhookStateMachineArn: WEBHOOK_MACHINE };

let rows: Map<string, Record<string, unknown>>;
const putRow = (job: Job) => rows.set(job.id, structuredClone(job));
const completedJob = (request: Record<string, unknown> = { callback_url: CALLBACK }, fields: Partial<Job> = {}) =>
  storedJob(JOB_ID, request, { status: 'COMPLETED', phase: 'completed', ...fields });

beforeEach(() => {
  ddb.reset();
  sfnMock.reset();
  rows = serveJobsTable(ddb);
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
});

describe('Function: notify', () => {
  it('records the webhook as pending and starts its delivery, named after the webhook id', async () => {
    // Arrange
    putRow(completedJob());

    // Act
    const outcome = await notify(JOB_ID, deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, webhookId: `msg_${JOB_ID}` });
    expect(rows.get(JOB_ID)?.webhook).toEqual({ id: `msg_${JOB_ID}`, status: 'pending', attempts: 0 });
    expect(rows.get(JOB_ID)?.status).toBe('COMPLETED');
    const starts = sfnMock.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.args[0].input).toEqual({
      stateMachineArn: WEBHOOK_MACHINE,
      name: `msg_${JOB_ID}`,
      input: JSON.stringify({ jobId: JOB_ID, webhookId: `msg_${JOB_ID}` }),
    });
  });

  it("names the delivery after the job's own execution, so a job re-created under the same id is delivered again", async () => {
    // Arrange: the first job under this id had its delivery `msg_<id>-<first run>` long ago
    const executionName = `${JOB_ID}-01JQ0000000000000000000999`;
    putRow(completedJob({ callback_url: CALLBACK }, { executionName }));

    // Act
    const outcome = await notify(JOB_ID, deps);

    // Assert: a delivery of its own, the webhook id receivers see unchanged
    expect(outcome).toEqual({ jobId: JOB_ID, webhookId: `msg_${JOB_ID}` });
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input).toMatchObject({
      name: `msg_${executionName}`,
      input: JSON.stringify({ jobId: JOB_ID, webhookId: `msg_${JOB_ID}` }),
    });
  });

  it('does nothing for a job without a callback_url', async () => {
    putRow(completedJob({}));

    const outcome = await notify(JOB_ID, deps);

    expect(outcome).toEqual({ jobId: JOB_ID, webhookId: null });
    expect(updatesSent(ddb)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('notifies a failed job too', async () => {
    putRow(
      completedJob(undefined, { status: 'FAILED', phase: 'failed', error: { code: 'upstream_failed', message: 'x' } }),
    );

    await notify(JOB_ID, deps);

    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', webhook: { status: 'pending' } });
  });

  it('is safe to run again: an existing record is kept and ExecutionAlreadyExists is fine', async () => {
    // Arrange: a first Notify already started a delivery that has made attempts.
    const progressed = { id: `msg_${JOB_ID}`, status: 'delivered' as const, attempts: 2, lastStatus: 200 };
    putRow(completedJob(undefined, { webhook: progressed }));
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const outcome = await notify(JOB_ID, deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, webhookId: `msg_${JOB_ID}` });
    expect(rows.get(JOB_ID)?.webhook).toEqual(progressed);
  });

  it('lets any other start failure propagate, for the state machine to retry', async () => {
    putRow(completedJob());
    sfnMock
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(notify(JOB_ID, deps)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('fails for a job that does not exist', async () => {
    await expect(notify(JOB_ID, deps)).rejects.toThrow(/not found/);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('Handler: notify task', () => {
  it('reads the whole state (any extra fields) and starts the delivery from the environment ARN', async () => {
    // Arrange: what reaches Notify after Emit Completed Event.
    putRow(completedJob());
    const state = { jobId: JOB_ID, status: 'COMPLETED', s3Uri: 's3://b/k', bytes: 10, eventError: { Error: 'x' } };

    // Act
    const output = await notifyHandler(state, lambdaContext('notify'));

    // Assert
    expect(output).toEqual({ jobId: JOB_ID, webhookId: `msg_${JOB_ID}` });
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(WEBHOOK_MACHINE);
  });

  it('throws ValidationError on a state without a jobId', async () => {
    await expect(notifyHandler({ status: 'COMPLETED' }, lambdaContext('notify'))).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(ddb.calls()).toHaveLength(0);
  });
});
