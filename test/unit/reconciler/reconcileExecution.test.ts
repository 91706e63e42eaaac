import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, type GetCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Job, jobErrorSchema } from '../../../lambdas/core/job';
import {
  type EndedExecution,
  type ReconcileDeps,
  reconcileExecution,
} from '../../../lambdas/reconciler/steps/reconcileExecution';
import { jobStore, OWNER, serveJobsTable, storedJob, updatesSent } from '../fakeJobsTable';
import { serveTenantUsage } from '../fakeTenantUsage';

const ddb = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);

const JOB_ID = '01JQ0000000000000000000201';
const EXECUTION_NAME = `${JOB_ID}-01JQ0000000000000000000202`;
const TAIL = 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-cancellation-tail';
const LAMBDA_CAUSE = JSON.stringify({
  errorType: 'Lambda.ServiceException',
  errorMessage: 'Rate exceeded',
  trace: ['at handler (index.mjs:1:1)'],
});

let rows: Map<string, Record<string, unknown>>;
let usage: ReturnType<typeof serveTenantUsage>;
let sleeps: number[];
/** Runs while the reconciler waits out the cancel grace (the cancel handler's write, in some tests). */
let duringGrace: (() => void) | undefined;

const deps: ReconcileDeps = {
  store: jobStore,
  sfn: new SFNClient({ region: 'us-east-1' }),
  cancellationTailArn: TAIL,
  cancelGrace: { attempts: 3, intervalMs: 500 },
  sleep: async (ms) => {
    sleeps.push(ms);
    duringGrace?.();
  },
};

/** A job in flight upstream, holding one of its owner's active slots. */
function putRunningJob(fields: Partial<Job> = {}): void {
  const job = storedJob(
    JOB_ID,
    {},
    { status: 'PROCESSING', phase: 'generating', executionName: EXECUTION_NAME, ...fields },
  );
  rows.set(JOB_ID, { ...structuredClone(job), holdsActiveSlot: true });
  usage.set(OWNER, { activeCount: 1, day: '2025-03-01', dayCount: 1 });
}

const ended = (status: EndedExecution['status'], more: Partial<EndedExecution> = {}): EndedExecution => ({
  jobId: JOB_ID,
  executionName: EXECUTION_NAME,
  status,
  ...more,
});
/** The error recorded on the job. */
const recordedError = () => jobErrorSchema.parse(rows.get(JOB_ID)?.error);
const startsSent = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
const announcement = (code: string, message: unknown, name = EXECUTION_NAME) => ({
  stateMachineArn: TAIL,
  name,
  input: JSON.stringify({ jobId: JOB_ID, status: 'FAILED', code, message }),
});

beforeEach(() => {
  ddb.reset();
  sfnMock.reset();
  rows = serveJobsTable(ddb);
  usage = serveTenantUsage(ddb, rows);
  sleeps = [];
  duringGrace = undefined;
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${TAIL}:x`, startDate: new Date() });
});

describe('Function: reconcileExecution', () => {
  it.each([
    ['FAILED', 'execution_failed'],
    ['TIMED_OUT', 'execution_timed_out'],
    ['ABORTED', 'execution_aborted'],
  ] as const)(
    'ends an open job whose execution ended %s as FAILED with %s, and announces it once',
    async (status, code) => {
      // Arrange
      putRunningJob();

      // Act
      const outcome = await reconcileExecution(ended(status), deps);

      // Assert
      expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'ended', code });
      const row = rows.get(JOB_ID);
      expect(row).toMatchObject({
        status: 'FAILED',
        phase: 'failed',
        error: { code, message: expect.stringMatching(/^The job's workflow execution /) },
        completedAt: expect.any(String),
      });
      expect(startsSent()).toEqual([announcement(code, recordedError().message)]);
      expect(sleeps).toEqual([]);
    },
  );

  it("gives the owner's active slot back through the terminal write", async () => {
    // Arrange
    putRunningJob();

    // Act
    await reconcileExecution(ended('TIMED_OUT'), deps);

    // Assert
    expect(rows.get(JOB_ID)?.holdsActiveSlot).toBeUndefined();
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 0 });
  });

  it("names a failed execution's error and cause (Lambda's message, no trace) in the message", async () => {
    // Arrange
    putRunningJob();

    // Act
    await reconcileExecution(ended('FAILED', { error: 'Lambda.ServiceException', cause: LAMBDA_CAUSE }), deps);

    // Assert
    const message = recordedError().message;
    expect(message).toContain('(Lambda.ServiceException: Rate exceeded)');
    expect(message).not.toContain('index.mjs');
  });

  it('removes presigned URL signatures an upstream text brought into the cause', async () => {
    // Arrange
    putRunningJob();
    const cause = 'Bad frame https://b.s3.amazonaws.com/f.png?X-Amz-Signature=abc123&X-Amz-Credential=AKIA/x';

    // Act
    await reconcileExecution(ended('ABORTED', { error: 'operator', cause }), deps);

    // Assert
    const message = recordedError().message;
    expect(message).toMatch(/stopped from outside framebridge \(operator: Bad frame/);
    expect(message).not.toMatch(/abc123|AKIA/);
  });

  it.each<[string, Partial<Job>]>([
    ['completed', { status: 'COMPLETED', phase: 'completed' }],
    [
      'failed by its own failure path',
      { status: 'FAILED', phase: 'failed', error: { code: 'upstream_failed', message: 'NSFW' } },
    ],
    [
      'cancelled',
      { status: 'FAILED', phase: 'failed', error: { code: 'cancelled', message: 'Cancelled by its owner.' } },
    ],
  ])('leaves a %s job alone and announces nothing', async (_case, fields) => {
    // Arrange
    putRunningJob(fields);
    const before = structuredClone(rows.get(JOB_ID));

    // Act
    const outcome = await reconcileExecution(ended('ABORTED', { error: 'operator' }), deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'already-ended', status: fields.status });
    expect(rows.get(JOB_ID)).toEqual(before);
    expect(updatesSent(ddb)).toEqual([]);
    expect(startsSent()).toEqual([]);
  });

  it('leaves alone a job that ends between its read and the write: the first terminal state wins', async () => {
    // Arrange: the first read sees the job running; it completes before the write.
    putRunningJob();
    let reads = 0;
    ddb.on(GetCommand).callsFake(async (input: GetCommandInput) => {
      const row = rows.get(String(input.Key?.id));
      const answer = { Item: structuredClone(row) };
      if (++reads === 1 && row) Object.assign(row, { status: 'COMPLETED', phase: 'completed' });
      return answer;
    });

    // Act
    const outcome = await reconcileExecution(ended('TIMED_OUT'), deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'already-ended', status: 'COMPLETED' });
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'COMPLETED' });
    expect(startsSent()).toEqual([]);
  });

  it('keeps a job its cancel recorded while the reconciler waited, asking for the same-named announcement', async () => {
    // Arrange: framebridge's cancel stopped the execution; its handler records the cancel a moment later.
    putRunningJob();
    const cancelled = { code: 'cancelled', message: 'Cancelled by its owner. Nothing had been submitted.' };
    duringGrace = () => Object.assign(rows.get(JOB_ID) ?? {}, { status: 'FAILED', phase: 'failed', error: cancelled });
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const outcome = await reconcileExecution(ended('ABORTED', { error: 'cancelled' }), deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'announced', code: 'cancelled' });
    expect(sleeps).toEqual([500]);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: cancelled });
    expect(updatesSent(ddb)).toEqual([]);
    expect(startsSent()).toEqual([announcement('cancelled', cancelled.message)]);
  });

  it('records a cancel itself, code cancelled, when its handler never did within the grace', async () => {
    // Arrange
    putRunningJob({ upstreamRequestId: 'seg-77', submitClaimedAt: '2025-03-01T09:00:01.000Z' });

    // Act
    const outcome = await reconcileExecution(ended('ABORTED', { error: 'cancelled' }), deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'ended', code: 'cancelled' });
    expect(sleeps).toEqual([500, 500, 500]);
    const error = recordedError();
    expect(error).toEqual({ code: 'cancelled', message: expect.stringMatching(/^Cancelled by its owner\. .*seg-77/) });
    expect(startsSent()).toEqual([announcement('cancelled', error.message)]);
  });

  it('announces again, under the same name, a job an earlier delivery of the event ended', async () => {
    // Arrange: the first delivery recorded the end, then could not start the announcement.
    putRunningJob();
    sfnMock.on(StartExecutionCommand).rejectsOnce(new Error('ThrottlingException'));
    await expect(reconcileExecution(ended('TIMED_OUT'), deps)).rejects.toThrow('ThrottlingException');
    const recorded = structuredClone(rows.get(JOB_ID));

    // Act
    const outcome = await reconcileExecution(ended('TIMED_OUT'), deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'announced', code: 'execution_timed_out' });
    expect(rows.get(JOB_ID)).toEqual(recorded);
    const { message } = recordedError();
    expect(startsSent()).toEqual([
      announcement('execution_timed_out', message),
      announcement('execution_timed_out', message),
    ]);
  });

  it("leaves the job alone when the execution is not the job's own (an earlier job under the same id)", async () => {
    // Arrange
    putRunningJob();

    // Act
    const outcome = await reconcileExecution(ended('ABORTED', { executionName: `${JOB_ID}-older` }), deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'other-execution' });
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'PROCESSING' });
    expect(startsSent()).toEqual([]);
  });

  it('reconciles a record made before execution names were unique: the execution is named after the job', async () => {
    // Arrange
    putRunningJob({ executionName: undefined });

    // Act
    const outcome = await reconcileExecution(ended('FAILED', { executionName: JOB_ID }), deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'ended', code: 'execution_failed' });
    expect(startsSent().map((start) => start.name)).toEqual([`failed-${JOB_ID}`]);
  });

  it('does nothing for an execution whose job record is gone', async () => {
    // Act
    const outcome = await reconcileExecution(ended('FAILED'), deps);

    // Assert
    expect(outcome).toEqual({ jobId: JOB_ID, outcome: 'not-found' });
    expect(updatesSent(ddb)).toEqual([]);
    expect(startsSent()).toEqual([]);
  });
});
