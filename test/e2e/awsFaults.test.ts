import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTransition } from '../../cli/runTransition';
import { localS3Client } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';
import type { TaskFault } from '../../local/taskHandlers';

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');

/**
 * The AWS side misbehaving: the Lambda service failing before or after a
 * function ran, and a task timing out after its function did its work. The
 * job ends terminal, the paid submit is never repeated, and files are whole.
 */
describe('E2E: Lambda service faults on the local runner', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  /** Faults for the next job: consumed in order by the named state. */
  let planned: { state: string; faults: TaskFault[] } | undefined;
  /** S3 errors for writes of the next job's video. */
  let videoWriteFailures = 0;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-aws-faults-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: ['aws-faults-key'],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      taskFault: (stateName) => (planned?.state === stateName ? planned.faults.shift() : undefined),
      s3Fault: ({ method, path: requestPath }) => {
        if (method !== 'PUT' || !/\/jobs\/[^/]+\/video\.mp4/.test(requestPath) || videoWriteFailures === 0)
          return undefined;
        videoWriteFailures -= 1;
        return 500;
      },
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
    const prompt = `${state}: ${faults.join(', ')}`;
    const outcome = await runTransition(stack, {
      first: path.join(frames, 'first.png'),
      last: path.join(frames, 'last.png'),
      prompt,
      quality: '360p',
    });
    await stack.idle();
    const accepted = (stack.emulator?.jobs() ?? []).filter((job) => job.body.prompt === prompt).length;
    return { outcome, accepted, leftover: planned.faults.length };
  };
  const objectExists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: key })).then(
      () => true,
      () => false,
    );

  it.each([
    ['Submit Job', ['service-exception-after'] as TaskFault[]],
    ['Submit Job', ['service-exception-before', 'service-exception-before'] as TaskFault[]],
    ['Check Status', ['service-exception-after', 'service-exception-before'] as TaskFault[]],
    ['Copy Video To S3', ['service-exception-after'] as TaskFault[]],
  ])('%s with %j is retried and completes, the upstream billed once', async (state, faults) => {
    const { outcome, accepted, leftover } = await run(state, faults);

    expect(leftover).toBe(0);
    expect(outcome.status).toBe('COMPLETED');
    expect(accepted).toBe(1);
    expect(await objectExists(`jobs/${outcome.jobId}/video.mp4`)).toBe(true);
    expect(await objectExists(`jobs/${outcome.jobId}/result.json`)).toBe(true);
  });

  it('a Submit that timed out after sending ends FAILED with its code and is never sent again', async () => {
    const { outcome, accepted } = await run('Submit Job', ['timeout-after']);

    expect(outcome).toMatchObject({ status: 'FAILED', code: 'timeout' });
    expect(accepted).toBe(1);
    expect(await objectExists(`jobs/${outcome.jobId}/video.mp4`)).toBe(false);
  });

  it('survives S3 failing while the video is written: the SDK and the workflow retry, nothing partial', async () => {
    // The SDK retries 3 times per call; 4 failures make the step fail and the workflow retry it.
    videoWriteFailures = 4;
    const { outcome, accepted } = await run('none', []);

    expect(videoWriteFailures).toBe(0);
    expect(outcome.status).toBe('COMPLETED');
    expect(accepted).toBe(1);
    expect(await objectExists(`jobs/${outcome.jobId}/video.mp4`)).toBe(true);
  });

  it('fails a job whose video S3 never accepts, leaving no object', async () => {
    videoWriteFailures = 1000;
    const { outcome } = await run('none', []);
    videoWriteFailures = 0;

    expect(outcome).toMatchObject({ status: 'FAILED', code: 'video_download_failed' });
    expect(await objectExists(`jobs/${outcome.jobId}/video.mp4`)).toBe(false);
    expect(await objectExists(`jobs/${outcome.jobId}/result.json`)).toBe(false);
  });

  it('a copy that timed out after finishing keeps the finished job (the first terminal state wins)', async () => {
    const { outcome } = await run('Copy Video To S3', ['timeout-after']);

    expect(outcome.status).toBe('COMPLETED');
    expect(await objectExists(`jobs/${outcome.jobId}/video.mp4`)).toBe(true);
  });
});
