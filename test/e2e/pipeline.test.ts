import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTransition } from '../../cli/runTransition';
import { errorBodySchema } from '../../lambdas/core/apiViews';
import { localJobsClient, localS3Client } from '../../local/clients';
import { frameColour, probeVideo } from '../../local/emulator/probe';
import { type LocalStack, startLocalStack } from '../../local/stack';

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const first = path.join(frames, 'first.png');
const last = path.join(frames, 'last.png');

const FAIL_MARK = '[upstream-fails]';
const EXPIRE_MARK = '[upstream-expires]';
const UPSTREAM_FAILURE = 'Content moderation: the prompt was rejected by the model';

const colourDistance = (a: { r: number; g: number; b: number }, b: { r: number; g: number; b: number }) =>
  Math.max(Math.abs(a.r - b.r), Math.abs(a.g - b.g), Math.abs(a.b - b.b));

describe('E2E: the transition pipeline on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  let jobs: DynamoDBDocumentClient;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-e2e-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: ['e2e-key'],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        scenario: (request) => {
          const prompt = String(request.prompt ?? '');
          if (prompt.includes(FAIL_MARK)) return { fail: UPSTREAM_FAILURE };
          if (prompt.includes(EXPIRE_MARK)) return { expireImmediately: true };
          return undefined;
        },
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    const { endpoints } = stack;
    s3 = localS3Client(endpoints);
    jobs = localJobsClient(endpoints);
  });

  afterAll(async () => {
    s3?.destroy();
    jobs?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  const jobRecord = async (id: string) =>
    (await jobs.send(new GetCommand({ TableName: stack.endpoints.jobsTable, Key: { id } }))).Item;

  it('completes a job with an H.264 MP4 of the requested duration and resolution, first and last frames matching', async () => {
    // Arrange
    const submissionsBefore = stack.emulator?.submissions() ?? 0;

    // Act
    const outcome = await runTransition(stack, {
      first,
      last,
      prompt: 'dawn to night',
      duration: 8,
      quality: '720p',
      seed: 42,
    });

    // Assert
    expect(outcome.status).toBe('COMPLETED');
    if (outcome.status !== 'COMPLETED') return;
    const file = path.join(workDir, 'out.mp4');
    await writeFile(file, outcome.video);
    const facts = await probeVideo(file);
    expect(facts.video.codec).toBe('h264');
    expect([facts.video.width, facts.video.height]).toEqual([1280, 720]);
    expect(facts.durationSeconds).toBeGreaterThan(7.8);
    expect(facts.durationSeconds).toBeLessThan(8.2);
    expect(facts.audio?.codec).toBe('aac');
    // Scaling 960x540 stills to 720p blurs edges a little; the two stills are ~170 apart.
    const [firstStill, lastStill] = [await frameColour(first, 0), await frameColour(last, 0)];
    const [openingFrame, closingFrame] = [await frameColour(file, 0), await frameColour(file, facts.video.frames - 1)];
    expect(colourDistance(openingFrame, firstStill)).toBeLessThan(30);
    expect(colourDistance(openingFrame, lastStill)).toBeGreaterThan(100);
    expect(colourDistance(closingFrame, lastStill)).toBeLessThan(30);
    expect(colourDistance(closingFrame, firstStill)).toBeGreaterThan(100);
    expect(stack.emulator?.submissions()).toBe(submissionsBefore + 1);

    const videoKey = `jobs/${outcome.jobId}/video.mp4`;
    expect(outcome.s3Uri).toBe(`s3://${stack.endpoints.bucket}/${videoKey}`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: videoKey }));
    expect(head.ContentLength).toBe(outcome.video.length);
    expect(head.ContentType).toBe('video/mp4');
    const result = await s3.send(
      new GetObjectCommand({ Bucket: stack.endpoints.bucket, Key: `jobs/${outcome.jobId}/result.json` }),
    );
    // The upstream's own timing travels into result.json (the emulator reports inference_time).
    const resultJson = JSON.parse(await (result.Body?.transformToString() ?? Promise.resolve('{}')));
    expect(resultJson.metrics).toEqual(expect.objectContaining({ inference_time: expect.any(Number) }));

    const record = await jobRecord(outcome.jobId);
    expect(record).toMatchObject({
      status: 'COMPLETED',
      phase: 'completed',
      output: { videoKey, bytes: outcome.video.length },
    });
    expect(record?.upstreamRequestId).toEqual(expect.any(String));

    // The execution is visible through the Step Functions endpoint, via the real SDK.
    const sfn = new SFNClient({
      endpoint: stack.endpoints.stepFunctionsUrl,
      region: stack.endpoints.region,
      credentials: stack.endpoints.credentials,
    });
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: outcome.executionArn }));
    sfn.destroy();
    expect(execution.status).toBe('SUCCEEDED');
    // Each execution has a name of its own, stored on the job.
    expect(execution.name).toMatch(new RegExp(`^${outcome.jobId}-[0-9A-HJKMNP-TV-Z]{26}$`));
    expect(await jobRecord(outcome.jobId)).toMatchObject({ executionName: execution.name });
  });

  it('ends FAILED with the upstream message when the upstream job fails', async () => {
    const submissionsBefore = stack.emulator?.submissions() ?? 0;

    const outcome = await runTransition(stack, { first, last, prompt: `a transition ${FAIL_MARK}`, quality: '360p' });

    expect(outcome).toMatchObject({ status: 'FAILED', code: 'upstream_failed' });
    if (outcome.status !== 'FAILED') return;
    expect(outcome.message).toContain(UPSTREAM_FAILURE);
    expect(stack.emulator?.submissions()).toBe(submissionsBefore + 1);
    expect(await jobRecord(outcome.jobId)).toMatchObject({
      status: 'FAILED',
      error: { code: 'upstream_failed', message: expect.stringContaining(UPSTREAM_FAILURE) },
    });
    await stack.stepFunctions.describe(outcome.executionArn).done;
    expect(stack.stepFunctions.describe(outcome.executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'upstream_failed',
    });
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: `jobs/${outcome.jobId}/video.mp4` })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('ends FAILED with upstream_expired when the upstream no longer knows the request', async () => {
    const outcome = await runTransition(stack, { first, last, prompt: `a transition ${EXPIRE_MARK}`, quality: '360p' });

    expect(outcome).toMatchObject({ status: 'FAILED', code: 'upstream_expired' });
    if (outcome.status !== 'FAILED') return;
    expect(await jobRecord(outcome.jobId)).toMatchObject({ status: 'FAILED', error: { code: 'upstream_expired' } });
  });

  it('refuses a bad request with a 400 naming the field, starting nothing and calling no upstream', async () => {
    const submissionsBefore = stack.emulator?.submissions() ?? 0;
    const executionsBefore = stack.stepFunctions.list(stack.endpoints.stateMachineArn).length;

    const response = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': 'e2e-key', 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: 'x',
        first_frame_url: 'https://example.com/a.png',
        last_frame_url: 'https://example.com/b.png',
        duration: 8,
        quality: '1080p',
        colour: 'red',
      }),
    });

    expect(response.status).toBe(400);
    const body = errorBodySchema.parse(await response.json());
    expect(body.error_code).toBe('invalid_request');
    expect(body.details.map((issue) => issue.field).sort()).toEqual(['colour', 'duration']);
    expect(stack.stepFunctions.list(stack.endpoints.stateMachineArn)).toHaveLength(executionsBefore);
    expect(stack.emulator?.submissions()).toBe(submissionsBefore);
  });

  it('requires an API key and hides jobs from other keys', async () => {
    const anonymous = await fetch(`${stack.endpoints.apiUrl}/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/status`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      error: 'An x-api-key header is required',
      error_code: 'unauthorized',
      details: [],
    });
    const stranger = await fetch(`${stack.endpoints.apiUrl}/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/status`, {
      headers: { 'x-api-key': 'not-a-key-of-this-stack' },
    });
    expect(stranger.status).toBe(403);
    expect(await stranger.json()).toEqual({
      error: 'The x-api-key is unknown or revoked',
      error_code: 'forbidden',
      details: [],
    });
    const unknown = await fetch(`${stack.endpoints.apiUrl}/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/status`, {
      headers: { 'x-api-key': 'e2e-key' },
    });
    expect(unknown.status).toBe(404);
    const health = await fetch(`${stack.endpoints.apiUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});
