import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, type GetCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../lambdas/adapters/http';
import type { Job } from '../../../lambdas/core/job';
import { type CancelDeps, cancelJob, cancelOwnedJob } from '../../../lambdas/jobs/cancelJob';
import { jobStore, OTHER_OWNER, OWNER, storedJob, updatesSent } from '../fakeJobsTable';
import { EXECUTION_PREFIX, fakeJobsBackend, STATE_MACHINE_ARN } from './fakeJobsBackend';

const { ddb, sfnMock, rows, putRow } = fakeJobsBackend();

const JOB_ID = '01JQ0000000000000000000042';
const deps: CancelDeps = {
  store: jobStore,
  sfn: new SFNClient({ region: 'us-east-1' }),
  stateMachineArn: STATE_MACHINE_ARN,
};
const stopsSent = () => sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input);

describe('Function: cancelOwnedJob', () => {
  it("stops the job's own execution (stored on it) and records it FAILED with code cancelled", async () => {
    // Arrange
    const executionArn = `${EXECUTION_PREFIX}:${JOB_ID}-01JQ00000000000000000000EX`;
    putRow(storedJob(JOB_ID, {}, { executionName: `${JOB_ID}-01JQ00000000000000000000EX`, executionArn }));

    // Act
    const { job, note } = await cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    expect(stopsSent()).toEqual([{ executionArn, error: 'cancelled', cause: expect.stringMatching(/Cancelled/) }]);
    expect(note).toBe('Nothing had been submitted to Segmind, so nothing is billed.');
    expect(job).toMatchObject({
      id: JOB_ID,
      status: 'FAILED',
      phase: 'failed',
      error: { code: 'cancelled', message: `Cancelled by its owner. ${note}` },
      completedAt: expect.any(String),
    });
    expect(rows.get(JOB_ID)).toEqual(job);
  });

  it('stops the execution named after the job when the record holds none (made before names were unique)', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    await cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    expect(stopsSent()).toEqual([
      { executionArn: `${EXECUTION_PREFIX}:${JOB_ID}`, error: 'cancelled', cause: expect.stringMatching(/Cancelled/) },
    ]);
  });

  it('says the upstream job may still be billed once it was submitted', async () => {
    // Arrange
    const submitted = { submitClaimedAt: '2025-03-01T09:00:01.000Z', upstreamRequestId: 'seg-456' };
    putRow(storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'submitted', ...submitted }));

    // Act
    const { job, note } = await cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    expect(note).toMatch(/seg-456.*cannot be cancelled at Segmind and may still be billed/);
    expect(job.error?.message).toMatch(/^Cancelled by its owner\. .*may still be billed/);
  });

  it('reads the job again when its submit is claimed between the read and the record', async () => {
    // Arrange: the in-flight Submit step claims the submit right after the cancel has read the job.
    putRow(storedJob(JOB_ID));
    let reads = 0;
    ddb.on(GetCommand).callsFake(async (input: GetCommandInput) => {
      const row = rows.get(String(input.Key?.id));
      const answer = { Item: row ? structuredClone(row) : undefined };
      // Read 1: the owner check; read 2: after the stop, just before the claim lands.
      if (++reads === 2 && row) row.submitClaimedAt = '2025-03-01T09:00:02.000Z';
      return answer;
    });

    // Act
    const { job, note } = await cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    expect(note).toMatch(/being submitted.*may still be billed/);
    expect(job).toMatchObject({
      status: 'FAILED',
      error: { code: 'cancelled', message: expect.stringMatching(/may still be billed/) },
    });
    const [refused, recorded, ...more] = updatesSent(ddb);
    expect(refused?.ConditionExpression).toContain('attribute_not_exists(submitClaimedAt)');
    expect(recorded?.ConditionExpression).not.toContain('submitClaimedAt');
    expect(recorded?.ConditionExpression).toContain('NOT #currentStatus IN (:completed, :failed)');
    expect(more).toEqual([]);
  });

  it('gives up with an error when the job keeps changing while it is being cancelled', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    ddb
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const cancelling = cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    await expect(cancelling).rejects.toThrow(`Job ${JOB_ID} kept changing while it was being cancelled`);
    expect(updatesSent(ddb)).toHaveLength(3);
  });

  it('cancels a job whose execution does not exist', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    sfnMock
      .on(StopExecutionCommand)
      .rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));

    // Act
    const { job } = await cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
  });

  it.each<[string, Partial<Job>, RegExp]>([
    ['COMPLETED', { status: 'COMPLETED', phase: 'completed' }, /already COMPLETED;/],
    [
      'cancelled',
      { status: 'FAILED', phase: 'failed', error: { code: 'cancelled', message: 'Cancelled by its owner.' } },
      /already FAILED \(cancelled\);/,
    ],
  ])('refuses a %s job with a 409 conflict, stopping and writing nothing', async (_case, fields, message) => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, fields));

    // Act
    const cancelling = cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    await expect(cancelling).rejects.toBeInstanceOf(HttpError);
    await expect(cancelling).rejects.toMatchObject({ statusCode: 409, code: 'conflict', message });
    expect(stopsSent()).toEqual([]);
    expect(updatesSent(ddb)).toEqual([]);
  });

  it('refuses with a 409 when the job finishes while it is being stopped: the finish wins', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'copying' }));
    sfnMock.on(StopExecutionCommand).callsFake(async () => {
      Object.assign(rows.get(JOB_ID) ?? {}, { status: 'COMPLETED', phase: 'completed' });
      return { stopDate: new Date() };
    });

    // Act
    const cancelling = cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    await expect(cancelling).rejects.toMatchObject({ statusCode: 409, message: /already COMPLETED/ });
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'COMPLETED', phase: 'completed' });
    expect(updatesSent(ddb)).toEqual([]);
  });

  it("refuses another owner's job with a 404, stopping nothing", async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const cancelling = cancelOwnedJob(deps, JOB_ID, OTHER_OWNER);

    // Assert
    await expect(cancelling).rejects.toMatchObject({ statusCode: 404, code: 'not_found' });
    expect(stopsSent()).toEqual([]);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'QUEUED' });
  });

  it('passes on a failure to stop the execution, leaving the job as it was', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    sfnMock.on(StopExecutionCommand).rejects(new Error('ThrottlingException: Rate exceeded'));

    // Act
    const cancelling = cancelOwnedJob(deps, JOB_ID, OWNER);

    // Assert
    await expect(cancelling).rejects.toThrow('ThrottlingException');
    expect(updatesSent(ddb)).toEqual([]);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'QUEUED', phase: 'queued' });
  });
});

describe('Function: cancelJob', () => {
  const tailArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:cancellation-tail';
  const startsSent = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);

  it('announces the cancelled job through the cancellation tail, named after the job so it runs once', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const { job } = await cancelJob({ ...deps, cancellationTailArn: tailArn }, JOB_ID, OWNER);

    // Assert
    expect(startsSent()).toEqual([
      {
        stateMachineArn: tailArn,
        name: `cancelled-${JOB_ID}`,
        input: JSON.stringify({ jobId: JOB_ID, status: 'FAILED', code: 'cancelled', message: job.error?.message }),
      },
    ]);
  });

  it('keeps the cancel when the announcement cannot be started', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    sfnMock.on(StartExecutionCommand).rejects(new Error('throttled'));

    // Act
    const { job } = await cancelJob({ ...deps, cancellationTailArn: tailArn }, JOB_ID, OWNER);

    // Assert
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
    expect(rows.get(JOB_ID)).toEqual(job);
  });

  it('announces nothing when no cancellation tail is configured', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    await cancelJob(deps, JOB_ID, OWNER);

    // Assert
    expect(startsSent()).toEqual([]);
  });
});
