import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localJobsClient, localS3Client } from '../../local/clients';
import { probeVideo } from '../../local/emulator/probe';
import { type LocalStack, startLocalStack } from '../../local/stack';

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');

describe('E2E: the S3 intake on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  let jobs: DynamoDBDocumentClient;
  let bucket: string;
  let owner: string;
  /** Keys of the Object Created events S3 has put on the default bus so far. */
  let published: string[] = [];
  const publishedKeys = () => published;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-intake-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: ['e2e-key'],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    // Record the Object Created events S3 puts on the default bus, to know each put was seen.
    const publish = stack.eventBus.publish.bind(stack.eventBus);
    vi.spyOn(stack.eventBus, 'publish').mockImplementation((busName, event) => {
      const key = (event.detail as { object?: { key?: string } }).object?.key;
      if (event.source === 'aws.s3' && key) published = [...published, key];
      return publish(busName, event);
    });
    const { endpoints } = stack;
    bucket = endpoints.bucket;
    // The intake's jobs belong to the intake tenant (intakeTenant, default 'intake').
    owner = 'intake';
    s3 = localS3Client(endpoints);
    jobs = localJobsClient(endpoints);
    for (const name of ['first.png', 'last.png']) {
      await put(`inbox/frames/${name}`, await readFile(path.join(frames, name)), 'image/png');
    }
    await stack.idle();
  });

  afterAll(async () => {
    s3?.destroy();
    jobs?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  const put = (key: string, body: string | Uint8Array, contentType = 'application/json') =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));

  const exists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );

  const bytesAt = async (key: string) => {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
  };
  const jsonAt = async (key: string) => JSON.parse((await bytesAt(key)).toString('utf8'));

  /** Puts, then lets every execution and event delivery it caused run to the end. */
  const putAndSettle = async (key: string, body: string) => {
    await put(key, body);
    await vi.waitFor(() => expect(publishedKeys()).toContain(key), { timeout: 5_000, interval: 20 });
    await stack.idle();
  };

  const ownersJobs = async () =>
    (
      await jobs.send(
        new QueryCommand({
          TableName: stack.endpoints.jobsTable,
          IndexName: 'byOwner',
          KeyConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      )
    ).Items ?? [];

  const executions = () => stack.stepFunctions.list(stack.endpoints.stateMachineArn).length;
  const submissions = () => stack.emulator?.submissions() ?? 0;

  const manifest = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({
      prompt: 'The sunrise street dissolves into the night street',
      first_frame_url: 'frames/first.png',
      last_frame_url: 'frames/last.png',
      quality: '360p',
      ...fields,
    });

  it('turns inbox/clip.json into outbox/clip.mp4 (a real MP4) and outbox/clip.json', async () => {
    // Arrange
    const submissionsBefore = submissions();

    // Act
    await putAndSettle('inbox/clip.json', manifest());

    // Assert
    expect(await exists('outbox/clip.json')).toBe(true);
    const result = await jsonAt('outbox/clip.json');
    expect(result).toMatchObject({
      request_id: expect.stringMatching(/^idem-/),
      status: 'COMPLETED',
      s3_uri: `s3://${bucket}/outbox/clip.mp4`,
      job_s3_uri: expect.stringMatching(new RegExp(`^s3://${bucket}/jobs/idem-[0-9a-f]+/video\\.mp4$`)),
      content_type: 'video/mp4',
      manifest_key: 'inbox/clip.json',
    });

    const video = await bytesAt('outbox/clip.mp4');
    expect(video.byteLength).toBe(result.bytes);
    expect(video.equals(await bytesAt(`jobs/${result.request_id}/video.mp4`))).toBe(true);
    const file = path.join(workDir, 'clip.mp4');
    await writeFile(file, video);
    const facts = await probeVideo(file);
    expect(facts.video.codec).toBe('h264');
    expect(facts.video.height).toBe(360);
    expect(facts.durationSeconds).toBeGreaterThan(4.8);
    expect(facts.durationSeconds).toBeLessThan(5.2);

    expect(await ownersJobs()).toEqual([
      expect.objectContaining({
        id: result.request_id,
        status: 'COMPLETED',
        source: { type: 's3', bucket, key: 'inbox/clip.json', name: 'clip' },
        request: expect.objectContaining({ first_frame_url: `s3://${bucket}/inbox/frames/first.png` }),
      }),
    ]);
    // One paid submit; the outbox objects written afterwards started nothing.
    expect(submissions()).toBe(submissionsBefore + 1);
    expect(await exists('outbox/clip.error.json')).toBe(false);
  });

  it('does not start a second job when the same manifest is put again', async () => {
    // Arrange
    const before = { submissions: submissions(), executions: executions(), jobs: (await ownersJobs()).length };
    const eventsBefore = publishedKeys().filter((key) => key === 'inbox/clip.json').length;

    // Act
    await putAndSettle('inbox/clip.json', manifest());

    // Assert
    expect(publishedKeys().filter((key) => key === 'inbox/clip.json')).toHaveLength(eventsBefore + 1);
    expect(submissions()).toBe(before.submissions);
    expect(executions()).toBe(before.executions);
    expect(await ownersJobs()).toHaveLength(before.jobs);
  });

  it('answers a bad manifest with outbox/bad.error.json naming the field, starting nothing', async () => {
    // Arrange
    const before = { submissions: submissions(), executions: executions(), jobs: (await ownersJobs()).length };

    // Act
    await putAndSettle('inbox/bad.json', manifest({ duration: 7 }));

    // Assert
    expect(await jsonAt('outbox/bad.error.json')).toEqual({
      error: {
        code: 'invalid_manifest',
        message: expect.stringContaining('duration'),
        details: [{ field: 'duration', rule: 'must be 5 or 8 (seconds)' }],
      },
      manifest_key: 'inbox/bad.json',
    });
    expect(submissions()).toBe(before.submissions);
    expect(executions()).toBe(before.executions);
    expect(await ownersJobs()).toHaveLength(before.jobs);
    expect(await exists('outbox/bad.mp4')).toBe(false);
  });

  it('never starts a job from an object written to outbox/, even a valid manifest', async () => {
    // Arrange
    const before = { submissions: submissions(), executions: executions(), jobs: (await ownersJobs()).length };

    // Act
    await putAndSettle('outbox/sneaky.json', manifest({ first_frame_url: `s3://${bucket}/inbox/frames/first.png` }));

    // Assert
    expect(submissions()).toBe(before.submissions);
    expect(executions()).toBe(before.executions);
    expect(await ownersJobs()).toHaveLength(before.jobs);
    expect(await exists('outbox/sneaky.error.json')).toBe(false);
  });
});
