import { CopyObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import type { Job, JobSource } from '../../../lambdas/core/job';
import { serveJobsTable, storedJob, TABLE_NAME } from '../fakeJobsTable';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';
import { jsonAt, putObject, type StoredObject, serveBucket } from './fakeBucket';

const BUCKET = 'framebridge-test-bucket';

// The handler parses its environment at module scope: stub it before importing.
stubLambdaEnv({ JOBS_TABLE_NAME: TABLE_NAME, BUCKET_NAME: BUCKET });

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../lambdas/intake/writeOutbox');

const JOB_ID = 'idem-6f1ed002ab5595859014ebf0951522d9f3b5a9fd';
const VIDEO_KEY = `jobs/${JOB_ID}/video.mp4`;

let objects: Map<string, StoredObject>;
let rows: Map<string, Record<string, unknown>>;

/** The workflow's event as the rule on the pipeline bus delivers it. */
function transitionEnded(detailType: 'Transition Completed' | 'Transition Failed', requestId = JOB_ID) {
  return {
    version: '0',
    id: '0d079340-135a-c8c6-95c2-41fb8f496c53',
    'detail-type': detailType,
    source: 'framebridge',
    account: '123456789012',
    time: '2025-03-01T09:02:00Z',
    region: 'us-east-1',
    resources: [],
    detail:
      detailType === 'Transition Completed'
        ? { request_id: requestId, status: 'COMPLETED', s3_uri: `s3://${BUCKET}/${VIDEO_KEY}`, bytes: 4 }
        : { request_id: requestId, status: 'FAILED', code: 'upstream_failed', message: 'NSFW content' },
  };
}

const fromManifest = (name = 'clip'): Extract<JobSource, { type: 's3' }> => ({
  type: 's3',
  bucket: BUCKET,
  key: `inbox/${name}.json`,
  name,
});

const completed = (source: Job['source']): Job =>
  storedJob(
    JOB_ID,
    {},
    {
      status: 'COMPLETED',
      phase: 'completed',
      completedAt: '2025-03-01T09:01:40.000Z',
      output: {
        s3Bucket: BUCKET,
        videoKey: VIDEO_KEY,
        resultKey: `jobs/${JOB_ID}/result.json`,
        bytes: 4,
        contentType: 'video/mp4',
      },
      metrics: { predict_time: 71.2 },
      source,
    },
  );

const failed = (source: Job['source']): Job =>
  storedJob(
    JOB_ID,
    {},
    { status: 'FAILED', phase: 'failed', error: { code: 'upstream_failed', message: 'NSFW content' }, source },
  );

const invoke = (event: unknown) => handler(event, lambdaContext('writeOutbox'));

beforeEach(() => {
  s3.reset();
  ddb.reset();
  objects = serveBucket(s3, BUCKET);
  rows = serveJobsTable(ddb);
  putObject(objects, VIDEO_KEY, new Uint8Array([0, 0, 0, 24]), 'video/mp4');
});

describe('Handler: writeOutbox', () => {
  it('copies the video to outbox/<name>.mp4 server-side, then writes outbox/<name>.json', async () => {
    // Arrange
    rows.set(JOB_ID, completed(fromManifest()));

    // Act
    const outcome = await invoke(transitionEnded('Transition Completed'));

    // Assert
    expect(outcome).toEqual({ outcome: 'completed', jobId: JOB_ID, keys: ['outbox/clip.mp4', 'outbox/clip.json'] });
    expect(s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, Key: 'outbox/clip.mp4', CopySource: `${BUCKET}/${VIDEO_KEY}` },
    ]);
    expect(objects.get('outbox/clip.mp4')?.body).toEqual(new Uint8Array([0, 0, 0, 24]));
    expect(jsonAt(objects, 'outbox/clip.json')).toEqual({
      request_id: JOB_ID,
      status: 'COMPLETED',
      s3_uri: `s3://${BUCKET}/outbox/clip.mp4`,
      job_s3_uri: `s3://${BUCKET}/${VIDEO_KEY}`,
      content_type: 'video/mp4',
      bytes: 4,
      metrics: { predict_time: 71.2 },
      completed_at: '2025-03-01T09:01:40.000Z',
      manifest_key: 'inbox/clip.json',
    });
    // The result document is written last: its presence means the video is there.
    const order = s3.calls().map((call) => call.args[0].constructor.name);
    expect(order.slice(-2)).toEqual(['CopyObjectCommand', 'PutObjectCommand']);
  });

  it('writes outbox/<name>.error.json with the job’s code and message when it failed', async () => {
    // Arrange
    rows.set(JOB_ID, failed({ ...fromManifest(), versionId: '3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH' }));

    // Act
    const outcome = await invoke(transitionEnded('Transition Failed'));

    // Assert
    expect(outcome).toEqual({ outcome: 'failed', jobId: JOB_ID, keys: ['outbox/clip.error.json'] });
    expect(jsonAt(objects, 'outbox/clip.error.json')).toEqual({
      request_id: JOB_ID,
      status: 'FAILED',
      error: { code: 'upstream_failed', message: 'NSFW content' },
      manifest_key: 'inbox/clip.json',
      manifest_version_id: '3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH',
    });
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('keeps the manifest’s nested name in outbox/', async () => {
    rows.set(JOB_ID, completed(fromManifest('2025/march/clip')));

    await invoke(transitionEnded('Transition Completed'));

    expect([...objects.keys()].filter((key) => key.startsWith('outbox/')).sort()).toEqual([
      'outbox/2025/march/clip.json',
      'outbox/2025/march/clip.mp4',
    ]);
  });

  it.each<[string, Job['source'] | 'missing']>([
    ['a job created through the API', { type: 'api' }],
    ['a job without a source', undefined],
    ['a job that does not exist', 'missing'],
  ])('does nothing for %s', async (_case, source) => {
    // Arrange
    if (source !== 'missing') rows.set(JOB_ID, completed(source));

    // Act
    const outcome = await invoke(transitionEnded('Transition Completed'));

    // Assert
    expect(outcome).toMatchObject({ outcome: 'skipped', jobId: JOB_ID });
    expect(s3.calls()).toHaveLength(0);
  });

  it('does nothing for a job that has not ended yet', async () => {
    rows.set(JOB_ID, storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'copying', source: fromManifest() }));

    const outcome = await invoke(transitionEnded('Transition Completed'));

    expect(outcome).toMatchObject({ outcome: 'skipped', reason: 'the job is still PROCESSING' });
    expect(s3.calls()).toHaveLength(0);
  });

  it('throws when the copy fails, writing no result, so EventBridge retries', async () => {
    // Arrange
    rows.set(JOB_ID, completed(fromManifest()));
    s3.on(CopyObjectCommand).rejects(
      new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } }),
    );

    // Act / Assert
    await expect(invoke(transitionEnded('Transition Completed'))).rejects.toMatchObject({ name: 'SlowDown' });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each([
    ['another source', { ...transitionEnded('Transition Completed'), source: 'aws.s3' }],
    ['another detail-type', { ...transitionEnded('Transition Completed'), 'detail-type': 'Object Created' }],
    ['no request id', { ...transitionEnded('Transition Completed'), detail: { status: 'COMPLETED' } }],
  ])('throws ValidationError on %s, touching nothing', async (_case, event) => {
    await expect(invoke(event)).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });
});
