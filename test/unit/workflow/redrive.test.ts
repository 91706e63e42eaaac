import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteObjectCommand, PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../../../lambdas/core/contract/states';
import type { Job } from '../../../lambdas/core/job';
import { jobOutcomeSchema } from '../../../lambdas/core/workflowState';
import { copyVideo } from '../../../lambdas/workflow/steps/copyVideo';
import { recordFailure } from '../../../lambdas/workflow/steps/recordFailure';
import { LocalStepFunctions, type TaskHandler } from '../../../local/sfn/executions';
import {
  type AslDefinition,
  extractStateMachineDefinition,
  synthesizeCloudFormationTemplate,
} from '../../../local/template';
import { serveJobsTable, jobStore as store, storedJob, TABLE_NAME } from '../fakeJobsTable';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';

/**
 * The first terminal state wins everywhere, redrive included. The local runner
 * cannot redrive, so a redrive is reproduced as Step Functions performs it: the
 * synthesized workflow restarted at the state that failed, with that state's
 * input, its task served by the real handler.
 */

const VIDEO = Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom', 'latin1'), Buffer.alloc(4000, 0x2a)]);
const videoHost: Server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(VIDEO.length) });
  response.end(VIDEO);
});
await new Promise<void>((resolve) => videoHost.listen(0, '127.0.0.1', resolve));
const videoHostUrl = `http://127.0.0.1:${(videoHost.address() as AddressInfo).port}`;
const BUCKET = 'framebridge-redrive-test';
stubLambdaEnv({ JOBS_TABLE_NAME: TABLE_NAME, BUCKET_NAME: BUCKET, SEGMIND_BASE_URL: videoHostUrl });

const ddb = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);
const { handler: copyHandler } = await import('../../../lambdas/workflow/copyToS3');
const { handler: recordFailureHandler } = await import('../../../lambdas/workflow/recordFailure');

const JOB_ID = '01JQ0000000000000000000099';
const videoKey = `jobs/${JOB_ID}/video.mp4`;
const resultKey = `jobs/${JOB_ID}/result.json`;
const CANCELLED = {
  status: 'FAILED',
  phase: 'failed',
  error: { code: 'cancelled', message: 'Cancelled by its owner' },
};
const copyInput = {
  jobId: JOB_ID,
  executionStartedAt: '2025-03-01T09:00:00.000Z',
  upstreamRequestId: 'sg-redrive-1',
  submittedAt: '2025-03-01T09:00:01.000Z',
  pollCount: 4,
  waitSeconds: 5,
  status: 'COMPLETED',
  videoUrl: `${videoHostUrl}/out/video.mp4`,
};

let rows: Map<string, Record<string, unknown>>;
let workflow: AslDefinition;
const putKeys = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
const deletedKeys = () => s3Mock.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input.Key);
const putJob = (fields: Partial<Job>) =>
  rows.set(JOB_ID, storedJob(JOB_ID, {}, { upstreamRequestId: 'sg-redrive-1', ...fields }));

beforeAll(() => {
  const template = synthesizeCloudFormationTemplate();
  const outputs = template.Outputs as Record<string, { Value: { Ref: string } }>;
  const stateMachineLogicalId = outputs.StateMachineArn?.Value.Ref ?? '';
  workflow = extractStateMachineDefinition(template, { stateMachineLogicalId }).definition;
}, 60_000);

beforeEach(() => {
  ddb.reset();
  s3Mock.reset();
  rows = serveJobsTable(ddb);
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
  s3Mock.on(DeleteObjectCommand).resolves({});
});

afterAll(async () => {
  videoHost.closeAllConnections();
  await new Promise((resolve) => videoHost.close(resolve));
});

/** The workflow restarted at `startAt` with `input`: what ran after it, and how the execution ended. */
async function redrive(startAt: string, input: Record<string, unknown>) {
  const ran: { state: string; input: unknown }[] = [];
  const lambda =
    (state: string, handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>) =>
    async (task: unknown) => {
      const payload = (task as { Payload: unknown }).Payload;
      ran.push({ state, input: payload });
      const context = { ...lambdaContext(state), getRemainingTimeInMillis: () => 300_000 };
      return { StatusCode: 200, Payload: (await handler(payload, context)) as never };
    };
  const recorded = (state: string) => async (task: unknown) => {
    ran.push({ state, input: task });
    return { Entries: [{ EventId: 'event-1' }], FailedEntryCount: 0 };
  };
  const taskHandlers: Record<string, TaskHandler> = {
    [STATE_NAMES.copyToS3]: lambda(STATE_NAMES.copyToS3, copyHandler),
    [STATE_NAMES.recordFailure]: lambda(STATE_NAMES.recordFailure, recordFailureHandler),
    [STATE_NAMES.emitCompleted]: recorded(STATE_NAMES.emitCompleted),
    [STATE_NAMES.emitFailed]: recorded(STATE_NAMES.emitFailed),
    [STATE_NAMES.notify]: recorded(STATE_NAMES.notify),
  } as Record<string, TaskHandler>;
  // Enters at `startAt`; the branch to the usual start only keeps every state reachable, as the runner requires.
  const entry = {
    Type: 'Choice',
    Choices: [{ Variable: '$.fromTheStart', IsPresent: true, Next: workflow.StartAt }],
    Default: startAt,
  };
  const definition = { ...workflow, StartAt: 'Redrive', States: { Redrive: entry, ...workflow.States } };
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:framebridge-transition';
  const sfn = new LocalStepFunctions({
    stateMachineArn: arn,
    definition: definition as unknown as StateMachineDefinition,
    taskHandlers,
  });
  const execution = sfn.start(arn, `${JOB_ID}-redrive`, JSON.stringify(input));
  await execution.done;
  return { execution, ran: ran.map((run) => run.state), inputs: ran };
}

describe('Redrive: the workflow restarted at Copy Video To S3', () => {
  it('of a cancelled job copies nothing, puts no event, starts no webhook and ends failed with cancelled', async () => {
    // Arrange
    putJob(CANCELLED as Partial<Job>);

    // Act
    const { execution, ran } = await redrive(STATE_NAMES.copyToS3, copyInput);

    // Assert
    expect(ran).toEqual([STATE_NAMES.copyToS3]);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'cancelled' });
    expect(putKeys()).toEqual([]);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
  });

  it('of a job still being copied completes it and announces Transition Completed (the control case)', async () => {
    // Arrange
    putJob({ status: 'PROCESSING', phase: 'copying' });

    // Act
    const { execution, ran } = await redrive(STATE_NAMES.copyToS3, copyInput);

    // Assert
    expect(ran).toEqual([STATE_NAMES.copyToS3, STATE_NAMES.emitCompleted, STATE_NAMES.notify]);
    expect(execution.status).toBe('SUCCEEDED');
    expect(putKeys()).toEqual([videoKey, resultKey]);
  });

  it('of a job the reconciler ended (its execution timed out) announces nothing again', async () => {
    // Arrange
    putJob({ status: 'FAILED', phase: 'failed', error: { code: 'execution_timed_out', message: 'Timed out' } });

    // Act
    const { execution, ran } = await redrive(STATE_NAMES.copyToS3, copyInput);

    // Assert
    expect(ran).toEqual([STATE_NAMES.copyToS3]);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'execution_timed_out' });
  });
});

describe('Redrive: the workflow restarted at Record Failure', () => {
  it('of a cancelled job keeps the cancel and puts no second event', async () => {
    // Arrange
    putJob(CANCELLED as Partial<Job>);

    // Act
    const { execution, ran } = await redrive(STATE_NAMES.recordFailure, {
      ...copyInput,
      error: { Error: 'States.Timeout', Cause: null },
    });

    // Assert
    expect(ran).toEqual([STATE_NAMES.recordFailure]);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'cancelled' });
    expect(rows.get(JOB_ID)).toMatchObject({ error: { code: 'cancelled' } });
  });

  it('of a job its own earlier attempt failed (the answer was lost) still announces the failure', async () => {
    // Arrange
    putJob({ status: 'FAILED', phase: 'failed', error: { code: 'upstream_expired', message: 'Segmind forgot it' } });

    // Act
    const { execution, ran, inputs } = await redrive(STATE_NAMES.recordFailure, {
      jobId: JOB_ID,
      error: { Error: 'UpstreamExpiredError', Cause: 'Segmind forgot it' },
    });

    // Assert
    expect(ran).toEqual([STATE_NAMES.recordFailure, STATE_NAMES.emitFailed, STATE_NAMES.notify]);
    expect(JSON.stringify(inputs[1]?.input)).toContain('upstream_expired');
    expect(execution).toMatchObject({ status: 'FAILED', error: 'upstream_expired' });
  });
});

describe('Function: copyVideo when its completion write loses', () => {
  it('to a cancel made during the copy: removes the video and result.json and answers the cancel', async () => {
    // Arrange: the owner cancels while result.json is being written
    putJob({ status: 'PROCESSING', phase: 'copying' });
    s3Mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      if (input.Key === resultKey) putJob(CANCELLED as Partial<Job>);
      return { ETag: '"etag"' };
    });

    // Act
    const outcome = await copyVideo(copyInput as never, {
      store,
      s3: new S3Client({ region: 'us-east-1' }),
      bucket: BUCKET,
      allowedHosts: [new URL(videoHostUrl).host],
      segmindBaseUrl: videoHostUrl,
      maxBytes: 1_000_000,
    });

    // Assert
    expect(jobOutcomeSchema.parse(outcome)).toEqual({
      jobId: JOB_ID,
      status: 'FAILED',
      code: 'cancelled',
      message: 'Cancelled by its owner',
      announce: false,
    });
    expect(deletedKeys().sort()).toEqual([resultKey, videoKey].sort());
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
  });
});

describe('Handler: copyToS3 task retried after its own completion (a timeout after the write)', () => {
  it('copies nothing again and answers the completed job, to be announced', async () => {
    // Arrange
    putJob({
      status: 'COMPLETED',
      phase: 'completed',
      output: { s3Bucket: BUCKET, videoKey, resultKey, bytes: VIDEO.length, contentType: 'video/mp4' },
    });

    // Act
    const outcome = await copyHandler(copyInput, {
      ...lambdaContext('copyToS3'),
      getRemainingTimeInMillis: () => 300_000,
    });

    // Assert
    expect(outcome).toEqual({
      jobId: JOB_ID,
      status: 'COMPLETED',
      s3Uri: `s3://${BUCKET}/${videoKey}`,
      bytes: VIDEO.length,
      announce: true,
    });
    expect(putKeys()).toEqual([]);
  });
});

describe('Function: recordFailure on a completed job', () => {
  it('keeps the completion and answers it, so the tail announces Transition Completed', async () => {
    // Arrange
    putJob({
      status: 'COMPLETED',
      phase: 'completed',
      output: { s3Bucket: BUCKET, videoKey, resultKey, bytes: 4096, contentType: 'video/mp4' },
    });

    // Act
    const outcome = await recordFailure({ jobId: JOB_ID, error: { Error: 'States.Timeout' } }, { store });

    // Assert
    expect(outcome).toEqual({
      jobId: JOB_ID,
      status: 'COMPLETED',
      s3Uri: `s3://${BUCKET}/${videoKey}`,
      bytes: 4096,
      announce: true,
    });
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'COMPLETED' });
  });
});
