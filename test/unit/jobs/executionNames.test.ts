import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { idempotentJobId } from '../../../lambdas/core/idempotency';
import { executionNameFor } from '../../../lambdas/core/job';
import type { TenantUsage } from '../../../lambdas/core/spendLimits';
import { type CreateJobDeps, createTransitionJob, NOT_STARTED_ERROR } from '../../../lambdas/jobs/createJob';
import { jobStore, OWNER, validBody } from '../fakeJobsTable';
import { serveTenantUsage } from '../fakeTenantUsage';
import { BUCKET, EXECUTION_PREFIX, fakeJobsBackend, STATE_MACHINE_ARN } from './fakeJobsBackend';

/*
 * Each job's execution has a name of its own, stored on the job: ids of
 * idempotent and intake jobs are deterministic, and Step Functions keeps a
 * Standard execution's name taken for 90 days, longer than a job record lives.
 */

const { ddb, sfnMock, rows } = fakeJobsBackend();
let usage: Map<string, TenantUsage>;
beforeEach(() => {
  usage = serveTenantUsage(ddb, rows);
});

const deps: CreateJobDeps = {
  store: jobStore,
  sfn: new SFNClient({ region: 'us-east-1' }),
  s3: new S3Client({ region: 'us-east-1' }),
  stateMachineArn: STATE_MACHINE_ARN,
  bucket: BUCKET,
  resolve: async () => ['93.184.215.14'],
  limitDefaults: { maxActiveJobs: 3, maxJobsPerDay: 10 },
};
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const namesStarted = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
const named = (name: string, message = name) => Object.assign(new Error(message), { name });
const create = (idempotencyKey?: string) =>
  createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey }, deps);

describe('Function: executionNameFor', () => {
  it('joins the job id and the start id: an idempotent job id leaves room under the 80-character limit', () => {
    // Arrange
    const jobId = idempotentJobId(OWNER, 'order-42');

    // Act
    const name = executionNameFor(jobId, '01JQ0000000000000000000042');

    // Assert
    expect(name).toBe(`${jobId}-01JQ0000000000000000000042`);
    expect(name.length).toBeLessThanOrEqual(80);
  });

  it.each([
    ['longer than 80 characters', 'x'.repeat(60)],
    ['holding a character Step Functions refuses', 'job:42'],
  ])('refuses a name %s', (_case, jobId) => {
    expect(() => executionNameFor(jobId, '01JQ0000000000000000000042')).toThrow(/not a valid execution name/);
  });
});

describe('Function: createTransitionJob (execution names)', () => {
  it('starts an idempotent job created again after its record expired under a new name', async () => {
    // Arrange: the first job ran; then DynamoDB's TTL removed its record.
    const first = await create('order-42');
    rows.delete(first.job.id);

    // Act
    const again = await create('order-42');

    // Assert
    expect(again.replayed).toBe(false);
    expect(again.job.id).toBe(first.job.id);
    expect(again.job.executionName).toMatch(new RegExp(`^${first.job.id}-${ULID}$`));
    expect(again.job.executionName).not.toBe(first.job.executionName);
    expect(again.job.executionArn).toBe(`${EXECUTION_PREFIX}:${again.job.executionName}`);
    expect(namesStarted()).toEqual([first.job.executionName, again.job.executionName]);
    expect(rows.get(first.job.id)).toMatchObject({ status: 'QUEUED', executionName: again.job.executionName });
  });

  it.each([
    ['ExecutionAlreadyExists (its name taken, by another input)', named('ExecutionAlreadyExists')],
    ['ExecutionLimitExceeded', named('ExecutionLimitExceeded')],
    ['a throttled start', named('ThrottlingException', 'Rate exceeded')],
  ])('ends a new job FAILED, its slot given back, when its start answers %s', async (_case, error) => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(error);

    // Act
    const creating = create('order-42');

    // Assert
    await expect(creating).rejects.toMatchObject({ name: error.name });
    const id = idempotentJobId(OWNER, 'order-42');
    expect(rows.get(id)).toMatchObject({ status: 'FAILED', phase: 'failed', error: NOT_STARTED_ERROR });
    expect(rows.get(id)).not.toHaveProperty('holdsActiveSlot');
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 0, dayCount: 1 });
  });

  it('answers a replay of a job whose start failed with the FAILED job, starting nothing', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejectsOnce(named('ThrottlingException'));
    await expect(create('order-42')).rejects.toThrow();
    sfnMock.resetHistory();

    // Act
    const again = await create('order-42');

    // Assert
    expect(again).toMatchObject({ replayed: true, job: { status: 'FAILED', error: NOT_STARTED_ERROR } });
    expect(namesStarted()).toEqual([]);
  });

  it('passes on the start error when the FAILED record cannot be written either, the job left QUEUED', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(named('ThrottlingException'));
    ddb.on(UpdateCommand, { Key: { id: idempotentJobId(OWNER, 'order-42') } }).rejects(named('InternalServerError'));

    // Act
    const creating = create('order-42');

    // Assert
    await expect(creating).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(rows.get(idempotentJobId(OWNER, 'order-42'))).toMatchObject({ status: 'QUEUED' });
  });

  it('heals that QUEUED job on a replay: the same stored name is started again', async () => {
    // Arrange
    sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(named('ThrottlingException'))
      .resolves({ executionArn: 'arn', startDate: new Date() });
    ddb.on(UpdateCommand, { Key: { id: idempotentJobId(OWNER, 'order-42') } }).rejects(named('InternalServerError'));
    await expect(create('order-42')).rejects.toThrow();
    const stored = rows.get(idempotentJobId(OWNER, 'order-42'));

    // Act
    const again = await create('order-42');

    // Assert
    expect(again).toMatchObject({ replayed: true, job: { status: 'QUEUED' } });
    expect(namesStarted()).toEqual([stored?.executionName, stored?.executionName]);
  });

  it('leaves a replayed job as it is when its start fails otherwise: its execution may be running', async () => {
    // Arrange
    const first = await create('order-42');
    sfnMock.on(StartExecutionCommand).rejects(named('ThrottlingException'));

    // Act
    const again = create('order-42');

    // Assert
    await expect(again).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(rows.get(first.job.id)).toMatchObject({ status: 'QUEUED', holdsActiveSlot: true });
  });
});
