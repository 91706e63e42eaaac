import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localJobsClient, localS3Client } from '../../local/clients';
import type { BusEvent } from '../../local/eventBus';
import { type LocalStack, startLocalStack } from '../../local/stack';

/*
 * A throwing intake handler. In AWS, EventBridge invokes the function
 * asynchronously; Lambda retries it twice, then its on-failure destination puts
 * the event (`requestPayload`) in the intake dead-letter queue, which raises
 * IntakeDeadLettersAlarm (the template's EventInvokeConfig and alarm are checked
 * in test/infra/intake.test.ts and test/infra/pipeline.test.ts). The local bus
 * has no queue: it makes the same three attempts, then reports the event as
 * undelivered. This test checks what the handler side owes that path: it throws
 * for the event on every attempt, leaves nothing behind, and the same event
 * redriven once the cause is gone starts the job exactly once.
 */

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const MANIFEST = 'inbox/broken.json';

describe('E2E: a throwing intake handler on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  let jobs: DynamoDBDocumentClient;
  /** While true, S3 answers every read of the manifest with a 500: the intake handler throws. */
  let s3Failing = false;
  let failedReads = 0;
  const published: BusEvent[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-intake-failures-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: ['intake-failures-key'],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      s3Fault: ({ method, path: requestPath }) => {
        if (!s3Failing || method !== 'GET' || !requestPath.split('?')[0]?.endsWith(`/${MANIFEST}`)) return undefined;
        failedReads++;
        return 500;
      },
    });
    const publish = stack.eventBus.publish.bind(stack.eventBus);
    vi.spyOn(stack.eventBus, 'publish').mockImplementation((busName, event) => {
      if (event.source === 'aws.s3') published.push(structuredClone(event));
      return publish(busName, event);
    });
    s3 = localS3Client(stack.endpoints);
    jobs = localJobsClient(stack.endpoints);
    for (const name of ['first.png', 'last.png']) {
      const body = await readFile(path.join(frames, name));
      await put(`inbox/frames/${name}`, body, 'image/png');
    }
    await stack.idle();
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    s3?.destroy();
    jobs?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  const put = (key: string, body: string | Uint8Array, contentType = 'application/json') =>
    s3.send(new PutObjectCommand({ Bucket: stack.endpoints.bucket, Key: key, Body: body, ContentType: contentType }));
  const exists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: stack.endpoints.bucket, Key: key })).then(
      () => true,
      () => false,
    );
  const intakeJobs = async () =>
    (
      await jobs.send(
        new QueryCommand({
          TableName: stack.endpoints.jobsTable,
          IndexName: 'byOwner',
          KeyConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': 'intake' },
        }),
      )
    ).Items ?? [];

  it('throws on every attempt, leaves nothing behind, and the redriven event starts the job once', async () => {
    // Arrange
    const stderr = vi.spyOn(process.stderr, 'write');
    const manifest = JSON.stringify({
      prompt: 'The sunrise street dissolves into the night street',
      first_frame_url: 'frames/first.png',
      last_frame_url: 'frames/last.png',
      quality: '360p',
    });
    s3Failing = true;

    // Act: the manifest's event is delivered while S3 fails, until the bus gives up.
    await put(MANIFEST, manifest);
    await vi.waitFor(() => expect(published.some((event) => JSON.stringify(event).includes(MANIFEST))).toBe(true));
    await stack.idle();
    const givenUp = stderr.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('InternalError'));
    const afterFailure = { jobs: await intakeJobs(), outbox: await exists('outbox/broken.json') };
    const errorAnswer = await exists('outbox/broken.error.json');
    s3Failing = false;
    const event = published.find((candidate) => JSON.stringify(candidate).includes(MANIFEST));
    if (!event) throw new Error('no Object Created event for the manifest');
    stack.eventBus.publish('default', event);
    await stack.idle();

    // Assert
    expect(failedReads).toBeGreaterThanOrEqual(3);
    expect(givenUp).toEqual([expect.stringMatching(/local event delivery failed: .*InternalError/)]);
    expect(afterFailure).toEqual({ jobs: [], outbox: false });
    // A handler failure is not the manifest's fault: no error answer was written for it.
    expect(errorAnswer).toBe(false);
    expect(await intakeJobs()).toEqual([
      expect.objectContaining({ status: 'COMPLETED', source: expect.objectContaining({ key: MANIFEST }) }),
    ]);
    expect(await exists('outbox/broken.json')).toBe(true);
    expect(await exists('outbox/broken.error.json')).toBe(false);
  }, 60_000);
});
