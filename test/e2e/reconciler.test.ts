import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { STATE_NAMES } from '../../lambdas/core/contract/states';
import { executionInputSchema } from '../../lambdas/core/workflowState';
import { localJobsClient, localS3Client, uploadExampleFrames } from '../../local/clients';
import type { Execution } from '../../local/sfn/executions';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { WebhookReceiver } from './webhookReceiver';

const API_KEY = 'e2e-reconciler-key';
const SECRET = `whsec_${Buffer.from('framebridge e2e reconciler signing secret').toString('base64')}`;
const NEVER_MARK = '[never-finishes]';
const REJECT_MARK = '[submit-rejected]';
/** The transition workflow's local time limit: long enough to start a job, short enough to wait out. */
const EXECUTION_TIMEOUT_S = 10;
const JOB_TIMEOUT_MS = 90_000;
const EXAMPLE_FRAMES = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');

const eventLineSchema = z.object({ DetailType: z.string(), Detail: z.record(z.string(), z.unknown()) });

describe('E2E: the reconciler on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let receiver: WebhookReceiver;
  let jobs: DynamoDBDocumentClient;
  let s3: S3Client;
  let sfn: SFNClient;
  let frameUris: { first: string; last: string };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-e2e-reconciler-'));
    receiver = new WebhookReceiver(SECRET);
    await receiver.start();
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        scenario: (request) => {
          const prompt = String(request.prompt ?? '');
          if (prompt.includes(NEVER_MARK)) return { neverFinish: true };
          if (prompt.includes(REJECT_MARK)) return { submitFaults: [{ status: 400, body: { error: 'injected 400' } }] };
          return undefined;
        },
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      webhookSecret: SECRET,
      executionTimeoutSeconds: EXECUTION_TIMEOUT_S,
      // Only failing jobs reach Record Failure: there, the Lambda service fails on every attempt.
      taskFault: (stateName) => (stateName === STATE_NAMES.recordFailure ? 'service-exception-before' : undefined),
    });
    const { endpoints } = stack;
    jobs = localJobsClient(endpoints);
    s3 = localS3Client(endpoints);
    // The client the AWS CLI's `aws stepfunctions stop-execution --endpoint-url …` amounts to.
    sfn = new SFNClient({
      endpoint: endpoints.stepFunctionsUrl,
      region: endpoints.region,
      credentials: { ...endpoints.credentials },
    });
    frameUris = await uploadExampleFrames(endpoints, stack.ownerOf(API_KEY), 'e2e-reconciler');
  });

  afterAll(async () => {
    sfn?.destroy();
    s3?.destroy();
    jobs?.destroy();
    await stack?.close();
    await receiver?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function submit(prompt: string, hookPath: string): Promise<string> {
    const response = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt,
        first_frame_url: frameUris.first,
        last_frame_url: frameUris.last,
        quality: '360p',
        callback_url: `${receiver.url}${hookPath}`,
      }),
    });
    const body = (await response.json()) as { request_id?: string };
    expect(response.status, JSON.stringify(body)).toBe(202);
    return String(body.request_id);
  }

  const jobRecord = async (id: string) =>
    (await jobs.send(new GetCommand({ TableName: stack.endpoints.jobsTable, Key: { id }, ConsistentRead: true }))).Item;

  const jobIdOf = (execution: Execution) => executionInputSchema.parse(JSON.parse(execution.input)).jobId;
  /** The job's execution, found by its input (whatever the execution is named). */
  const executionOf = (jobId: string) =>
    stack.stepFunctions.list(stack.endpoints.stateMachineArn).find((execution) => jobIdOf(execution) === jobId);

  /** Waits until the upstream has the job: the execution is in its polling loop. */
  const untilSubmitted = (jobId: string) =>
    vi.waitFor(async () => expect((await jobRecord(jobId))?.phase).toMatch(/^(submitted|generating)$/), {
      timeout: 8_000,
      interval: 50,
    });

  async function transitionEventsOf(jobId: string) {
    const text = await readFile(stack.endpoints.eventsFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => eventLineSchema.parse(JSON.parse(line)))
      .filter((event) => event.Detail.request_id === jobId);
  }

  /** The job ended FAILED with `code`, and got exactly one Transition Failed event and one webhook saying so. */
  async function expectEndedAndAnnounced(jobId: string, code: string, hookPath: string) {
    const record = await jobRecord(jobId);
    expect(record).toMatchObject({
      status: 'FAILED',
      phase: 'failed',
      error: { code, message: expect.stringMatching(/workflow execution/) },
      completedAt: expect.any(String),
      webhook: { status: 'delivered', attempts: 1 },
    });
    expect(record?.holdsActiveSlot).toBeUndefined();
    expect(await transitionEventsOf(jobId)).toEqual([
      {
        DetailType: 'Transition Failed',
        Detail: { request_id: jobId, status: 'FAILED', code, message: record?.error.message },
      },
    ]);
    expect(receiver.at(hookPath)).toEqual([
      expect.objectContaining({
        type: 'transition.failed',
        data: expect.objectContaining({ request_id: jobId, status: 'FAILED', error: record?.error }),
      }),
    ]);
  }

  it(
    'ends a job whose execution is stopped from outside (StopExecution) within seconds: execution_aborted',
    async () => {
      // Arrange
      const jobId = await submit(`a transition ${NEVER_MARK}`, '/hooks/stopped');
      await untilSubmitted(jobId);
      const execution = executionOf(jobId);
      if (!execution) throw new Error(`no execution for ${jobId}`);

      // Act
      const stoppedAt = Date.now();
      await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));

      // Assert
      await vi.waitFor(
        async () =>
          expect(await jobRecord(jobId)).toMatchObject({ status: 'FAILED', error: { code: 'execution_aborted' } }),
        { timeout: 5_000, interval: 50 },
      );
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);
      await stack.idle();
      expect(executionOf(jobId)?.status).toBe('ABORTED');
      await expectEndedAndAnnounced(jobId, 'execution_aborted', '/hooks/stopped');
      expect((await jobRecord(jobId))?.error.message).toMatch(/stopped from outside framebridge/);
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'ends a job whose execution reaches its time limit: execution_timed_out',
    async () => {
      // Act
      const jobId = await submit(`a slow transition ${NEVER_MARK}`, '/hooks/timed-out');
      await stack.idle();

      // Assert
      const execution = executionOf(jobId);
      expect(execution).toMatchObject({ status: 'TIMED_OUT' });
      const ranFor = Number(execution?.stopDate) - Number(execution?.startDate);
      expect(ranFor).toBeGreaterThanOrEqual(EXECUTION_TIMEOUT_S * 1000 - 100);
      await expectEndedAndAnnounced(jobId, 'execution_timed_out', '/hooks/timed-out');
      expect((await jobRecord(jobId))?.error.message).toMatch(/time limit/);
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'ends a job whose Record Failure fails on every attempt: execution_failed, naming the error',
    async () => {
      // Act
      const jobId = await submit(`a refused transition ${REJECT_MARK}`, '/hooks/record-failed');
      await stack.idle();

      // Assert
      const execution = executionOf(jobId);
      expect(execution).toMatchObject({ status: 'FAILED', error: 'Lambda.ServiceException' });
      expect(execution?.invocationsByState[STATE_NAMES.recordFailure]).toBeGreaterThan(1);
      await expectEndedAndAnnounced(jobId, 'execution_failed', '/hooks/record-failed');
      expect((await jobRecord(jobId))?.error.message).toContain(
        'Lambda.ServiceException: Injected: the Lambda service failed before the invoke',
      );
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'answers the manifest of an intake job whose execution is stopped in outbox/<name>.error.json',
    async () => {
      // Arrange
      const { bucket } = stack.endpoints;
      const known = new Set(stack.stepFunctions.list(stack.endpoints.stateMachineArn).map((e) => e.executionArn));
      for (const name of ['first', 'last'] as const) {
        const body = await readFile(path.join(EXAMPLE_FRAMES, `${name}.png`));
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `inbox/frames/${name}.png`, Body: body }));
      }
      const manifest = {
        prompt: `an intake transition ${NEVER_MARK}`,
        first_frame_url: 'frames/first.png',
        last_frame_url: 'frames/last.png',
        quality: '360p',
      };
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'inbox/stopped.json', Body: JSON.stringify(manifest) }),
      );
      const execution = await vi.waitFor(
        () => {
          const started = stack.stepFunctions
            .list(stack.endpoints.stateMachineArn)
            .find((e) => !known.has(e.executionArn));
          if (!started) throw new Error('the manifest has not started a job yet');
          return started;
        },
        { timeout: 8_000, interval: 50 },
      );
      const jobId = jobIdOf(execution);
      await untilSubmitted(jobId);

      // Act
      await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));
      await stack.idle();

      // Assert
      expect(await jobRecord(jobId)).toMatchObject({ status: 'FAILED', error: { code: 'execution_aborted' } });
      const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'outbox/stopped.error.json' }));
      expect(JSON.parse((await answer.Body?.transformToString()) ?? '{}')).toMatchObject({
        error: { code: 'execution_aborted', message: expect.stringMatching(/stopped from outside framebridge/) },
      });
      expect((await transitionEventsOf(jobId)).map((event) => event.Detail.code)).toEqual(['execution_aborted']);
    },
    JOB_TIMEOUT_MS,
  );
});
