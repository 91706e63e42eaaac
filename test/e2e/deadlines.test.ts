import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { runTransition } from '../../cli/runTransition';
import { STATE_NAMES } from '../../lambdas/core/contract/states';
import { localS3Client } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';
import type { TaskFault } from '../../local/taskHandlers';

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const JOB_TIMEOUT_MS = 90_000;

/** One line of `<data dir>/events.jsonl`. */
const eventLineSchema = z.object({ DetailType: z.string(), Detail: z.record(z.string(), z.unknown()) });
const executionInputSchema = z.object({ jobId: z.string() });

/**
 * Timeouts of the idempotent steps are retried, and a job ends with exactly one
 * event whatever times out: Check Status reads again, Copy finds its own
 * completion. The local runner reports a task that timed out as Step Functions
 * does for a task's TimeoutSeconds (`States.Timeout`); the Retry lists also name
 * `Sandbox.Timedout` and `Lambda.Unknown`, what a function's own timeout reports.
 */
describe('E2E: step timeouts on the local runner', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  /** Faults for the next job: consumed in order by the named state. */
  let planned: { state: string; faults: TaskFault[] } | undefined;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-deadlines-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: ['deadlines-key'],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      taskFault: (stateName) => (planned?.state === stateName ? planned.faults.shift() : undefined),
    });
    s3 = localS3Client(stack.endpoints);
  });

  afterAll(async () => {
    s3?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  const run = async (state: string, faults: TaskFault[]) => {
    planned = { state, faults: [...faults] };
    const prompt = `deadlines ${state}: ${faults.length} × ${faults[0] ?? 'none'}`;
    const outcome = await runTransition(stack, {
      first: path.join(frames, 'first.png'),
      last: path.join(frames, 'last.png'),
      prompt,
      quality: '360p',
    });
    await stack.idle();
    const accepted = (stack.emulator?.jobs() ?? []).filter((job) => job.body.prompt === prompt).length;
    const execution = stack.stepFunctions
      .list(stack.endpoints.stateMachineArn)
      .find((candidate) => executionInputSchema.parse(JSON.parse(candidate.input)).jobId === outcome.jobId);
    return { outcome, accepted, leftover: planned.faults.length, execution, events: await eventsOf(outcome.jobId) };
  };
  const eventsOf = async (jobId: string) => {
    const text = await readFile(stack.endpoints.eventsFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => eventLineSchema.parse(JSON.parse(line)))
      .filter((event) => event.Detail.request_id === jobId)
      .map((event) => event.DetailType);
  };
  const objectExists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: key })).then(
      () => true,
      () => false,
    );

  it(
    'retries a Check Status that timed out, and the job completes, billed once, announced once',
    async () => {
      // Act
      const { outcome, accepted, leftover, execution, events } = await run(STATE_NAMES.checkStatus, [
        'timeout-after',
        'timeout-after',
      ]);

      // Assert
      expect(leftover).toBe(0);
      expect(outcome.status).toBe('COMPLETED');
      expect(accepted).toBe(1);
      expect(execution?.status).toBe('SUCCEEDED');
      expect(execution?.invocationsByState[STATE_NAMES.recordFailure]).toBeUndefined();
      expect(events).toEqual(['Transition Completed']);
      expect(await objectExists(`jobs/${outcome.jobId}/video.mp4`)).toBe(true);
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'fails the job with code timeout and its event once Check Status has timed out on all 6 attempts',
    async () => {
      // Act
      const { outcome, accepted, execution, events } = await run(
        STATE_NAMES.checkStatus,
        Array.from({ length: 6 }, () => 'timeout-after' as const),
      );

      // Assert
      expect(outcome).toMatchObject({ status: 'FAILED', code: 'timeout' });
      expect(accepted).toBe(1);
      expect(execution?.invocationsByState[STATE_NAMES.checkStatus]).toBe(6);
      expect(execution).toMatchObject({ status: 'FAILED', error: 'timeout' });
      expect(events).toEqual(['Transition Failed']);
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'retries a Copy that timed out after completing the job: the retry finds it complete and it is announced once',
    async () => {
      // Act
      const { outcome, execution, events } = await run(STATE_NAMES.copyToS3, ['timeout-after']);

      // Assert
      expect(outcome.status).toBe('COMPLETED');
      expect(execution?.invocationsByState[STATE_NAMES.copyToS3]).toBe(2);
      expect(execution?.status).toBe('SUCCEEDED');
      expect(events).toEqual(['Transition Completed']);
      expect(await objectExists(`jobs/${outcome.jobId}/video.mp4`)).toBe(true);
    },
    JOB_TIMEOUT_MS,
  );
});
