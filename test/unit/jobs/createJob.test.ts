import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, type GetCommandInput, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import { IdempotencyConflictError, idempotentJobId, requestHash } from '../../../lambdas/core/idempotency';
import type { Job } from '../../../lambdas/core/job';
import { parseTransitionRequest } from '../../../lambdas/core/schemas';
import type { TenantUsage } from '../../../lambdas/core/spendLimits';
import { type CreateJobDeps, createTransitionJob, NOT_STARTED_ERROR } from '../../../lambdas/jobs/createJob';
import type { Resolve } from '../../../lambdas/jobs/publicUrls';
import { jobStore, OWNER, TABLE_NAME, updatesSent, validBody } from '../fakeJobsTable';
import { serveTenantUsage } from '../fakeTenantUsage';
import { BUCKET, EXECUTION_PREFIX, fakeJobsBackend, STATE_MACHINE_ARN } from './fakeJobsBackend';

const { ddb, sfnMock, s3Mock, rows } = fakeJobsBackend();
let usage: Map<string, TenantUsage>;
beforeEach(() => {
  usage = serveTenantUsage(ddb, rows);
});

const NOW = Date.parse('2025-03-01T09:00:00.000Z');
const dns: Record<string, string[]> = {
  'cdn.example.com': ['93.184.215.14'],
  'rebind.example.com': ['10.0.0.7'],
};
const resolve: Resolve = async (host) => dns[host] ?? [];
const deps: CreateJobDeps = {
  store: jobStore,
  sfn: new SFNClient({ region: 'us-east-1' }),
  s3: new S3Client({ region: 'us-east-1' }),
  stateMachineArn: STATE_MACHINE_ARN,
  bucket: BUCKET,
  resolve,
  limitDefaults: { maxActiveJobs: 3, maxJobsPerDay: 10 },
};

const startsSent = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
/** The start of a job's own execution: the name stored on it, the job id as input. */
const startOf = (job: Pick<Job, 'id' | 'executionName'>) => ({
  stateMachineArn: STATE_MACHINE_ARN,
  name: job.executionName,
  input: JSON.stringify({ jobId: job.id }),
});
const conditionFailed = () =>
  Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

afterEach(() => {
  vi.useRealTimers();
});

describe('Function: createTransitionJob', () => {
  it('records the job QUEUED with its validated request and its own execution name, then starts that execution', async () => {
    // Arrange
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });

    // Act
    const { job, replayed } = await createTransitionJob(
      { owner: OWNER, body: validBody, source: { type: 'api' } },
      { ...deps, retentionDays: 7 },
    );

    // Assert
    expect(replayed).toBe(false);
    const request = parseTransitionRequest(validBody);
    expect(job).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      owner: OWNER,
      status: 'QUEUED',
      phase: 'queued',
      request,
      createdAt: '2025-03-01T09:00:00.000Z',
      updatedAt: '2025-03-01T09:00:00.000Z',
      expiresAt: NOW / 1000 + 7 * 86_400,
      requestHash: requestHash(request),
      source: { type: 'api' },
      executionName: expect.stringMatching(new RegExp(`^${job.id}-[0-9A-HJKMNP-TV-Z]{26}$`)),
      executionArn: `${EXECUTION_PREFIX}:${job.executionName}`,
    });
    expect(job.request).toMatchObject({ ...validBody, duration: 5, quality: '540p', seed: 12345 });
    expect(rows.get(job.id)).toEqual({ ...job, holdsActiveSlot: true });
    expect(usage.get(OWNER)).toEqual({ activeCount: 1, day: '2025-03-01', dayCount: 1 });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE_NAME,
      ConditionExpression: 'attribute_not_exists(id)',
    });
    expect(startsSent()).toEqual([startOf(job)]);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('keeps a job record 30 days by default', async () => {
    // Arrange
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });

    // Act
    const { job } = await createTransitionJob({ owner: OWNER, body: validBody }, deps);

    // Assert
    expect(job.expiresAt).toBe(NOW / 1000 + 30 * 86_400);
    expect(job).not.toHaveProperty('source');
    expect(job).not.toHaveProperty('idempotencyKey');
  });

  it('creates an idempotent job under the id derived from owner and key, storing the key', async () => {
    // Act
    const { job, replayed } = await createTransitionJob(
      { owner: OWNER, body: validBody, idempotencyKey: 'order-42' },
      deps,
    );

    // Assert
    const id = idempotentJobId(OWNER, 'order-42');
    expect(replayed).toBe(false);
    expect(job).toMatchObject({ id, idempotencyKey: 'order-42' });
    expect(rows.get(id)).toEqual({ ...job, holdsActiveSlot: true });
    expect(startsSent()).toEqual([startOf(job)]);
  });

  it('replays a repeat with the same key and request: the same job, no second put, its execution started again', async () => {
    // Arrange
    const first = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);
    // The same request, spelled differently: defaults written out, keys reordered.
    const sameRequest = { seed: 12345, duration: 5, ...validBody, quality: '540p' };

    // Act
    const again = await createTransitionJob({ owner: OWNER, body: sameRequest, idempotencyKey: 'order-42' }, deps);

    // Assert
    expect(again).toEqual({ job: first.job, replayed: true });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(startsSent()).toEqual([startOf(first.job), startOf(first.job)]);
  });

  it('replays a finished job without starting it again', async () => {
    // Arrange
    const first = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);
    Object.assign(rows.get(first.job.id) ?? {}, { status: 'COMPLETED', phase: 'completed' });
    ddb.resetHistory();
    sfnMock.resetHistory();

    // Act
    const again = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);

    // Assert
    expect(again).toEqual({ job: { ...first.job, status: 'COMPLETED', phase: 'completed' }, replayed: true });
    expect(startsSent()).toEqual([]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('takes ExecutionAlreadyExists on a replay as the job already having its execution', async () => {
    // Arrange
    const first = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);
    sfnMock
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' }));

    // Act
    const again = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);

    // Assert
    expect(again).toEqual({ job: first.job, replayed: true });
    expect(rows.get(first.job.id)).toMatchObject({ status: 'QUEUED' });
  });

  it('refuses the same key with another request as a conflict, writing and starting nothing more', async () => {
    // Arrange
    const first = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);
    sfnMock.resetHistory();

    // Act
    const conflicting = createTransitionJob(
      { owner: OWNER, body: { ...validBody, seed: 7 }, idempotencyKey: 'order-42' },
      deps,
    );

    // Assert
    await expect(conflicting).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(conflicting).rejects.toMatchObject({ existingJobId: first.job.id });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(rows.get(first.job.id)).toEqual({ ...first.job, holdsActiveSlot: true });
    expect(startsSent()).toEqual([]);
  });

  it('answers the loser of a race for the same key with the winner’s job: the conditional put decides', async () => {
    // Arrange: another create with the same key stored its job after our read found none.
    const { job: winner } = await createTransitionJob(
      { owner: OWNER, body: validBody, idempotencyKey: 'order-42' },
      deps,
    );
    ddb.resetHistory();
    sfnMock.resetHistory();
    let reads = 0;
    ddb.on(GetCommand).callsFake(async (input: GetCommandInput) => {
      // Our first read misses the winner's job, as a read racing its put would.
      const row = ++reads === 1 ? undefined : rows.get(String(input.Key?.id));
      return { Item: row ? structuredClone(row) : undefined };
    });

    // Act
    const created = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);

    // Assert
    expect(created).toEqual({ job: winner, replayed: true });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
    expect(rows.get(winner.id)).toEqual({ ...winner, holdsActiveSlot: true });
    expect(startsSent()).toEqual([startOf(winner)]);
    // The loser gave back the slot it took: only the winner's job counts.
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 1, dayCount: 1 });
  });

  it('passes on a failed put without a key: there is no winner to answer with', async () => {
    // Arrange
    ddb.on(PutCommand).rejects(conditionFailed());

    // Act
    const creating = createTransitionJob({ owner: OWNER, body: validBody }, deps);

    // Assert
    await expect(creating).rejects.toThrow('The conditional request failed');
    expect(startsSent()).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a request that breaks the schema', { ...validBody, seed: 0 }, 'seed', /between 1 and 999999/],
    [
      'an s3:// frame in another bucket',
      { ...validBody, last_frame_url: 's3://someone-elses-bucket/f.png' },
      'last_frame_url',
      /a frame this tenant uploaded/,
    ],
    [
      'a frame whose host resolves to a private address',
      { ...validBody, first_frame_url: 'https://rebind.example.com/f.png' },
      'first_frame_url',
      /non-public address \(.*\)/,
    ],
  ])('refuses %s, writing, reading frames and starting nothing', async (_case, body, field, rule) => {
    // Act
    const creating = createTransitionJob({ owner: OWNER, body, idempotencyKey: 'order-42' }, deps);

    // Assert
    await expect(creating).rejects.toBeInstanceOf(ValidationError);
    await expect(creating).rejects.toMatchObject({ issues: [{ field, rule: expect.stringMatching(rule) }] });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(updatesSent(ddb)).toEqual([]);
    expect(rows.size).toBe(0);
    expect(usage.size).toBe(0);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('refuses an s3:// frame that does not exist before writing or starting anything', async () => {
    // Act
    const creating = createTransitionJob(
      { owner: OWNER, body: { ...validBody, first_frame_url: `s3://${BUCKET}/uploads/${OWNER}/missing.png` } },
      deps,
    );

    // Assert
    await expect(creating).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ field: 'first_frame_url', rule: expect.stringMatching(/a frame this tenant uploaded/) }],
    });
    expect(usage.size).toBe(0);
    expect(rows.size).toBe(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('records the job FAILED (internal_error), releasing its slot, and passes the error on when its execution cannot start', async () => {
    // Arrange
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    sfnMock.on(StartExecutionCommand).rejects(new Error('AccessDeniedException'));

    // Act
    const creating = createTransitionJob({ owner: OWNER, body: validBody }, deps);

    // Assert
    await expect(creating).rejects.toThrow('AccessDeniedException');
    const [stored, ...others] = [...rows.values()];
    expect(others).toEqual([]);
    expect(stored).toMatchObject({
      status: 'FAILED',
      phase: 'failed',
      error: NOT_STARTED_ERROR,
    });
    expect(stored).not.toHaveProperty('holdsActiveSlot');
    expect(updatesSent(ddb).filter((update) => update.Key?.id === stored?.id)).toHaveLength(1);
    // The active slot is back; the job still counts against the day's quota.
    expect(usage.get(OWNER)).toEqual({ activeCount: 0, day: '2025-03-01', dayCount: 1 });
  });

  it('refuses an empty idempotency key as a programming error (the API checks the header first)', async () => {
    // Act
    const creating = createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: '' }, deps);

    // Assert
    await expect(creating).rejects.toThrow('idempotencyKey must not be empty');
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('Function: createTransitionJob (spend limits)', () => {
  const TODAY = '2025-03-01';
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  });

  it('refuses a job over the active-jobs cap with TenantLimitError, writing and starting nothing', async () => {
    // Arrange
    usage.set(OWNER, { activeCount: 3, day: TODAY, dayCount: 3 });

    // Act
    const creating = createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);

    // Assert
    await expect(creating).rejects.toMatchObject({
      name: 'TenantLimitError',
      refusal: { limit: 'maxActiveJobs', max: 3, retryAfterSeconds: 30 },
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(rows.size).toBe(0);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(usage.get(OWNER)).toEqual({ activeCount: 3, day: TODAY, dayCount: 3 });
  });

  it("refuses a job over the daily quota until the next UTC midnight, the key's own limits winning", async () => {
    // Arrange
    usage.set(OWNER, { activeCount: 0, day: TODAY, dayCount: 2 });

    // Act
    const creating = createTransitionJob({ owner: OWNER, body: validBody, limits: { maxJobsPerDay: 2 } }, deps);

    // Assert
    await expect(creating).rejects.toMatchObject({
      refusal: { limit: 'maxJobsPerDay', max: 2, retryAfterSeconds: 15 * 3600 },
    });
    expect(rows.size).toBe(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it("admits a job the defaults would refuse when the key's own cap is higher", async () => {
    // Arrange
    usage.set(OWNER, { activeCount: 3, day: TODAY, dayCount: 3 });

    // Act
    const { job } = await createTransitionJob({ owner: OWNER, body: validBody, limits: { maxActiveJobs: 4 } }, deps);

    // Assert
    expect(rows.get(job.id)).toMatchObject({ status: 'QUEUED', holdsActiveSlot: true });
    expect(usage.get(OWNER)).toEqual({ activeCount: 4, day: TODAY, dayCount: 4 });
  });

  it('answers an idempotent replay without counting it, even at the limits', async () => {
    // Arrange
    const first = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);
    usage.set(OWNER, { activeCount: 3, day: TODAY, dayCount: 10 });

    // Act
    const again = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);

    // Assert
    expect(again).toEqual({ job: first.job, replayed: true });
    expect(usage.get(OWNER)).toEqual({ activeCount: 3, day: TODAY, dayCount: 10 });
  });

  it('answers a create refused by a limit with the job a racing create under the same key made', async () => {
    // Arrange: the racing create stores its job after our read found none, and fills the last slot.
    const { job: made } = await createTransitionJob(
      { owner: OWNER, body: validBody, idempotencyKey: 'order-42' },
      deps,
    );
    usage.set(OWNER, { activeCount: 3, day: TODAY, dayCount: 3 });
    let reads = 0;
    ddb.on(GetCommand, { Key: { id: made.id } }).callsFake(async () => ({
      Item: ++reads === 1 ? undefined : structuredClone(rows.get(made.id)),
    }));

    // Act
    const created = await createTransitionJob({ owner: OWNER, body: validBody, idempotencyKey: 'order-42' }, deps);

    // Assert
    expect(created).toEqual({ job: made, replayed: true });
    expect(usage.get(OWNER)).toEqual({ activeCount: 3, day: TODAY, dayCount: 3 });
  });

  it('gives the slot and its day back when the job could not be stored', async () => {
    // Arrange
    ddb.on(PutCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' }));

    // Act
    const creating = createTransitionJob({ owner: OWNER, body: validBody }, deps);

    // Assert
    await expect(creating).rejects.toThrow('Service unavailable');
    expect(rows.size).toBe(0);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(usage.get(OWNER)).toEqual({ activeCount: 0, day: TODAY, dayCount: 0 });
  });

  it('goes on with a job whose put landed although it answered an error (an SDK retry failing its own condition)', async () => {
    // Arrange
    ddb.on(PutCommand).callsFake(async (input) => {
      rows.set(String(input.Item?.id), structuredClone(input.Item ?? {}));
      throw conditionFailed();
    });

    // Act
    const { job, replayed } = await createTransitionJob({ owner: OWNER, body: validBody }, deps);

    // Assert
    expect(replayed).toBe(false);
    expect(rows.get(job.id)).toMatchObject({ status: 'QUEUED', holdsActiveSlot: true });
    expect(startsSent()).toEqual([startOf(job)]);
    expect(usage.get(OWNER)).toEqual({ activeCount: 1, day: TODAY, dayCount: 1 });
  });
});
