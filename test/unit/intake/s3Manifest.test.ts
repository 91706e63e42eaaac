import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import type { TenantUsage } from '../../../lambdas/core/spendLimits';
import { serveJobsTable, TABLE_NAME } from '../fakeJobsTable';
import { serveTenantUsage } from '../fakeTenantUsage';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';
import { jsonAt, putObject, type StoredObject, serveBucket } from './fakeBucket';

const BUCKET = 'framebridge-test-bucket';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-transition';

const INTAKE_TENANT = 'studio-intake';
const TODAY = () => new Date().toISOString().slice(0, 10);

// The handler parses its environment at module scope: stub it before importing.
stubLambdaEnv({
  JOBS_TABLE_NAME: TABLE_NAME,
  BUCKET_NAME: BUCKET,
  STATE_MACHINE_ARN,
  FRAMEBRIDGE_INTAKE_TENANT: INTAKE_TENANT,
  FRAMEBRIDGE_MAX_ACTIVE_JOBS: '2',
});

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const { handler } = await import('../../../lambdas/intake/s3Manifest');

const png = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, '../../../examples/frames', name)));

let objects: Map<string, StoredObject>;
let rows: Map<string, Record<string, unknown>>;
let usage: Map<string, TenantUsage>;

const manifest = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    prompt: 'The sunrise street melts into the same street at night',
    first_frame_url: 'frames/first.png',
    last_frame_url: 'frames/last.png',
    ...fields,
  });

/** What EventBridge delivers for an object S3 stored (ETag unquoted, as in the event). */
function objectCreated(key: string, object = objects.get(key), bucket = BUCKET) {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2025-03-01T09:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key,
        size: object?.body.byteLength ?? 10,
        etag: object?.etag.replaceAll('"', '') ?? 'd41d8cd98f00b204e9800998ecf8427e',
        sequencer: '0062E99A88DC407460',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      reason: 'PutObject',
    },
  };
}

const invoke = (event: unknown) => handler(event, lambdaContext('s3Manifest'));
const jobs = () => [...rows.values()];

beforeEach(() => {
  s3.reset();
  ddb.reset();
  sfn.reset();
  objects = serveBucket(s3, BUCKET);
  rows = serveJobsTable(ddb);
  usage = serveTenantUsage(ddb, rows);
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}:x`, startDate: new Date() });
  putObject(objects, 'inbox/frames/first.png', png('first.png'), 'image/png');
  putObject(objects, 'inbox/frames/last.png', png('last.png'), 'image/png');
});

describe('Handler: S3 manifest intake', () => {
  it('starts one job from inbox/<name>.json, frames resolved under inbox/, owned by the intake tenant', async () => {
    // Arrange
    putObject(objects, 'inbox/clip.json', manifest({ quality: '720p' }));

    // Act
    const outcome = await invoke(objectCreated('inbox/clip.json'));

    // Assert
    expect(outcome).toEqual({ outcome: 'started', key: 'inbox/clip.json', jobId: expect.stringMatching(/^idem-/) });
    expect(jobs()).toHaveLength(1);
    expect(jobs()[0]).toMatchObject({
      owner: INTAKE_TENANT,
      holdsActiveSlot: true,
      status: 'QUEUED',
      request: {
        first_frame_url: `s3://${BUCKET}/inbox/frames/first.png`,
        last_frame_url: `s3://${BUCKET}/inbox/frames/last.png`,
        quality: '720p',
        duration: 5,
      },
      source: { type: 's3', bucket: BUCKET, key: 'inbox/clip.json', name: 'clip' },
      idempotencyKey: expect.stringMatching(/^s3-[0-9a-f]{64}$/),
    });
    const starts = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    expect(starts).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: jobs()[0]?.executionName,
        input: JSON.stringify({ jobId: jobs()[0]?.id }),
      },
    ]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('answers a redelivered event for the same object version with the same job', async () => {
    // Arrange
    putObject(objects, 'inbox/clip.json', manifest());
    const first = await invoke(objectCreated('inbox/clip.json'));

    // Act
    const again = await invoke(objectCreated('inbox/clip.json'));

    // Assert
    expect(again).toEqual({ ...first, outcome: 'duplicate' });
    expect(jobs()).toHaveLength(1);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    const names = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
    expect(new Set(names)).toEqual(new Set([jobs()[0]?.executionName]));
  });

  it('starts a new job when the manifest under the same key changes', async () => {
    // Arrange
    putObject(objects, 'inbox/clip.json', manifest({ seed: 1 }));
    const first = await invoke(objectCreated('inbox/clip.json'));
    putObject(objects, 'inbox/clip.json', manifest({ seed: 2 }));

    // Act
    const second = await invoke(objectCreated('inbox/clip.json'));

    // Assert
    expect(second).toMatchObject({ outcome: 'started' });
    expect(second).not.toEqual(first);
    expect(
      jobs()
        .map((job) => (job.request as { seed: number }).seed)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('keys the job on the bytes it read, not on a stale event: a replaced manifest starts one job', async () => {
    // Arrange: the event names the first upload, but S3 already holds the second.
    putObject(objects, 'inbox/clip.json', manifest({ seed: 1 }));
    const staleEvent = objectCreated('inbox/clip.json');
    putObject(objects, 'inbox/clip.json', manifest({ seed: 2 }));

    // Act
    const fromStale = await invoke(staleEvent);
    const fromCurrent = await invoke(objectCreated('inbox/clip.json'));

    // Assert
    expect(fromCurrent).toEqual({ ...fromStale, outcome: 'duplicate' });
    expect(jobs()).toHaveLength(1);
    expect(jobs()[0]).toMatchObject({ request: { seed: 2 } });
  });

  it('keeps nested names, made safe for keys, in the job source and the outbox', async () => {
    // Arrange
    const key = 'inbox/2025/March/my clip (final).json';
    putObject(objects, key, manifest({ duration: 7 }));

    // Act
    const outcome = await invoke(objectCreated(key));

    // Assert
    expect(outcome).toMatchObject({ outcome: 'rejected', errorKey: 'outbox/2025/March/my_clip__final_.error.json' });
  });

  describe('a bad manifest is answered in outbox/<name>.error.json, not retried', () => {
    it.each<[string, string, string, RegExp]>([
      ['not JSON', '{"prompt": "a", ', 'invalid_json', /not valid UTF-8 JSON/],
      ['a JSON array', '[1, 2]', 'invalid_manifest', /JSON object/],
      ['not UTF-8', '\u00ff', 'invalid_json', /not valid UTF-8 JSON/],
    ])('%s', async (_case, body, code, message) => {
      // Arrange
      putObject(objects, 'inbox/bad.json', body === '\u00ff' ? new Uint8Array([0x7b, 0xff, 0x7d]) : body);

      // Act
      const outcome = await invoke(objectCreated('inbox/bad.json'));

      // Assert
      expect(outcome).toEqual({ outcome: 'rejected', key: 'inbox/bad.json', code, errorKey: 'outbox/bad.error.json' });
      expect(jsonAt(objects, 'outbox/bad.error.json')).toMatchObject({
        error: { code, message: expect.stringMatching(message) },
        manifest_key: 'inbox/bad.json',
      });
      expect(objects.get('outbox/bad.error.json')?.contentType).toBe('application/json');
      expect(jobs()).toHaveLength(0);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });

    it('names every field that breaks the API body’s rules', async () => {
      // Arrange
      putObject(objects, 'inbox/bad.json', manifest({ duration: 7, colour: 'blue', prompt: '' }));

      // Act
      await invoke(objectCreated('inbox/bad.json'));

      // Assert
      const document = jsonAt(objects, 'outbox/bad.error.json') as {
        error: { code: string; message: string; details: { field: string; rule: string }[] };
      };
      expect(document.error.code).toBe('invalid_manifest');
      expect(document.error.message).toMatch(/^Invalid manifest: /);
      expect(document.error.details.map((d) => d.field).sort()).toEqual(['colour', 'duration', 'prompt']);
      expect(jobs()).toHaveLength(0);
    });

    it('names a frame that is not in inbox/', async () => {
      // Arrange
      putObject(objects, 'inbox/bad.json', manifest({ last_frame_url: 'frames/missing.png' }));

      // Act
      const outcome = await invoke(objectCreated('inbox/bad.json'));

      // Assert
      expect(outcome).toMatchObject({ outcome: 'rejected', code: 'frame_not_found' });
      expect(jsonAt(objects, 'outbox/bad.error.json')).toMatchObject({
        error: {
          code: 'frame_not_found',
          details: [
            { field: 'last_frame_url', rule: expect.stringContaining(`s3://${BUCKET}/inbox/frames/missing.png`) },
          ],
        },
      });
      expect(jobs()).toHaveLength(0);
    });

    it('counts a frame S3 refuses to show (403: no ListBucket) as missing', async () => {
      // Arrange
      putObject(objects, 'inbox/bad.json', manifest());
      s3.on(HeadObjectCommand, { Key: 'inbox/frames/first.png' }).rejects(
        new S3ServiceException({ name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
      );

      // Act
      const outcome = await invoke(objectCreated('inbox/bad.json'));

      // Assert
      expect(outcome).toMatchObject({ outcome: 'rejected', code: 'frame_not_found' });
      expect(jobs()).toHaveLength(0);
    });

    it('refuses a frame that is not an image, with the shared frame check’s rule', async () => {
      // Arrange
      putObject(objects, 'inbox/frames/notes.png', 'not an image at all');
      putObject(objects, 'inbox/bad.json', manifest({ first_frame_url: 'frames/notes.png' }));

      // Act
      const outcome = await invoke(objectCreated('inbox/bad.json'));

      // Assert
      expect(outcome).toMatchObject({ outcome: 'rejected', code: 'invalid_manifest' });
      expect(jsonAt(objects, 'outbox/bad.error.json')).toMatchObject({
        error: { details: [{ field: 'first_frame_url' }] },
      });
      expect(jobs()).toHaveLength(0);
    });

    it('refuses s3:// frames outside this bucket’s inbox/', async () => {
      // Arrange
      putObject(
        objects,
        'inbox/bad.json',
        manifest({ first_frame_url: `s3://${BUCKET}/uploads/a.png`, last_frame_url: 's3://elsewhere/inbox/b.png' }),
      );

      // Act
      await invoke(objectCreated('inbox/bad.json'));

      // Assert
      expect(jsonAt(objects, 'outbox/bad.error.json')).toMatchObject({
        error: {
          code: 'invalid_manifest',
          details: [
            { field: 'first_frame_url', rule: expect.stringContaining(`s3://${BUCKET}/inbox/`) },
            { field: 'last_frame_url', rule: expect.stringContaining(`s3://${BUCKET}/inbox/`) },
          ],
        },
      });
    });

    it('refuses a manifest over 256 kB without reading it', async () => {
      // Arrange
      const event = objectCreated('inbox/big.json');
      event.detail.object.size = 256 * 1024 + 1;

      // Act
      const outcome = await invoke(event);

      // Assert
      expect(outcome).toMatchObject({ outcome: 'rejected', code: 'manifest_too_large' });
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
      expect(jsonAt(objects, 'outbox/big.error.json')).toMatchObject({ error: { code: 'manifest_too_large' } });
    });

    it('refuses a manifest that grew over 256 kB after its event', async () => {
      // Arrange
      putObject(objects, 'inbox/big.json', manifest());
      const event = objectCreated('inbox/big.json');
      putObject(objects, 'inbox/big.json', manifest({ prompt: 'x'.repeat(300 * 1024) }));

      // Act
      const outcome = await invoke(event);

      // Assert
      expect(outcome).toMatchObject({ outcome: 'rejected', code: 'manifest_too_large' });
      expect(jobs()).toHaveLength(0);
    });
  });

  describe('objects that are not manifests never start a job', () => {
    it.each([
      ['the outbox', 'outbox/clip.json'],
      ['an outbox error report', 'outbox/clip.error.json'],
      ['a frame in the inbox', 'inbox/frames/first.png'],
      ['a key that only starts like the inbox', 'inbox.json'],
      ['a job result', 'jobs/01JQ/result.json'],
    ])('%s (%s)', async (_case, key) => {
      // Act
      const outcome = await invoke(objectCreated(key, { body: new Uint8Array(10), etag: '"e"' }));

      // Assert
      expect(outcome).toMatchObject({ outcome: 'ignored', key });
      expect(s3.calls()).toHaveLength(0);
      expect(ddb.calls()).toHaveLength(0);
      expect(sfn.calls()).toHaveLength(0);
    });

    it('ignores another bucket’s inbox', async () => {
      const outcome = await invoke(objectCreated('inbox/clip.json', undefined, 'someone-else'));

      expect(outcome).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('someone-else') });
      expect(s3.calls()).toHaveLength(0);
    });

    it('ignores a manifest deleted before it was read', async () => {
      const outcome = await invoke(objectCreated('inbox/gone.json'));

      expect(outcome).toMatchObject({ outcome: 'ignored', reason: 'the manifest no longer exists' });
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    });
  });

  describe("the intake tenant's spend limits", () => {
    it("counts each started job against the intake tenant's limits, a redelivery once", async () => {
      // Arrange
      putObject(objects, 'inbox/clip.json', manifest());

      // Act
      await invoke(objectCreated('inbox/clip.json'));
      await invoke(objectCreated('inbox/clip.json'));

      // Assert
      expect(usage.get(INTAKE_TENANT)).toEqual({ activeCount: 1, day: TODAY(), dayCount: 1 });
    });

    it('answers a manifest over the active-jobs cap in outbox/<name>.error.json, starting nothing and not throwing', async () => {
      // Arrange
      usage.set(INTAKE_TENANT, { activeCount: 2, day: TODAY(), dayCount: 2 });
      putObject(objects, 'inbox/clip.json', manifest());

      // Act
      const outcome = await invoke(objectCreated('inbox/clip.json'));

      // Assert
      expect(outcome).toEqual({
        outcome: 'rejected',
        key: 'inbox/clip.json',
        code: 'tenant_limit_exceeded',
        errorKey: 'outbox/clip.error.json',
      });
      expect(jsonAt(objects, 'outbox/clip.error.json')).toEqual({
        error: {
          code: 'tenant_limit_exceeded',
          message: expect.stringMatching(/active jobs limit of 2 is reached.*; upload the manifest again then$/),
          details: [{ field: 'maxActiveJobs', rule: 'at most 2 active (queued or running) jobs at a time' }],
          retry_after_seconds: 30,
          retry_after: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
        manifest_key: 'inbox/clip.json',
      });
      expect(jobs()).toHaveLength(0);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
      expect(usage.get(INTAKE_TENANT)).toEqual({ activeCount: 2, day: TODAY(), dayCount: 2 });
    });

    it('starts the same manifest uploaded again once a slot is free: the refusal made no job', async () => {
      // Arrange
      usage.set(INTAKE_TENANT, { activeCount: 2, day: TODAY(), dayCount: 2 });
      putObject(objects, 'inbox/clip.json', manifest());
      await invoke(objectCreated('inbox/clip.json'));
      usage.set(INTAKE_TENANT, { activeCount: 1, day: TODAY(), dayCount: 2 });

      // Act
      const outcome = await invoke(objectCreated('inbox/clip.json'));

      // Assert
      expect(outcome).toMatchObject({ outcome: 'started' });
      expect(jobs()).toHaveLength(1);
    });
  });

  describe('transient failures throw: Lambda retries the event, then sends it to the dead-letter queue', () => {
    it('S3 failing to serve the manifest', async () => {
      // Arrange
      putObject(objects, 'inbox/clip.json', manifest());
      s3.on(GetObjectCommand, { Key: 'inbox/clip.json' }).rejects(
        new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
      );

      // Act / Assert
      await expect(invoke(objectCreated('inbox/clip.json'))).rejects.toMatchObject({ name: 'InternalError' });
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    });

    it('throws for the event as delivered, leaving nothing behind: the same event redriven later starts the job', async () => {
      // Arrange: the event Lambda's on-failure record carries (its requestPayload) is the invocation's event.
      putObject(objects, 'inbox/clip.json', manifest());
      const event = objectCreated('inbox/clip.json');
      s3.on(GetObjectCommand, { Key: 'inbox/clip.json' }).rejects(
        new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
      );
      const attempts = [invoke(event), invoke(event), invoke(event)];

      // Act: S3 recovers; the dead letter is redriven.
      await Promise.allSettled(attempts);
      s3.reset();
      const served = serveBucket(s3, BUCKET);
      for (const [key, object] of objects) served.set(key, object);
      const redriven = await invoke(structuredClone(event));

      // Assert
      for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ name: 'InternalError' });
      expect(redriven).toMatchObject({ outcome: 'started', key: 'inbox/clip.json' });
      expect(jobs()).toHaveLength(1);
    });

    it('Step Functions throttling the start', async () => {
      // Arrange
      putObject(objects, 'inbox/clip.json', manifest());
      sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act / Assert
      await expect(invoke(objectCreated('inbox/clip.json'))).rejects.toMatchObject({ name: 'ThrottlingException' });
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    });
  });

  it.each([
    ['not an S3 event', { source: 'aws.ec2', 'detail-type': 'Object Created', detail: {} }],
    [
      'no object key',
      { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: BUCKET }, object: {} } },
    ],
  ])('throws ValidationError on %s, touching nothing', async (_case, event) => {
    await expect(invoke(event)).rejects.toBeInstanceOf(ValidationError);
    expect(s3.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });
});
