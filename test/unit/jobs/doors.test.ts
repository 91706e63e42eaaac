import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { idempotentJobId, requestHash } from '../../../lambdas/core/idempotency';
import type { Job } from '../../../lambdas/core/job';
import { parseTransitionRequest } from '../../../lambdas/core/schemas';
import { OWNER, serveJobsTable, storedJob, TABLE_NAME } from '../fakeJobsTable';
import { lambdaContext } from '../lambdaContext';
import { notFound, pngHeader, serveBucket } from './fakeBucket';
import { serveOwnerIndex } from './fakeOwnerIndex';

// Handlers parse their environment at module scope: stub it before importing them.
const BUCKET = 'framebridge-bucket-test';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-transition';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:framebridge-transition';
vi.stubEnv('JOBS_TABLE_NAME', TABLE_NAME);
vi.stubEnv('BUCKET_NAME', BUCKET);
vi.stubEnv('STATE_MACHINE_ARN', STATE_MACHINE_ARN);
vi.stubEnv('AWS_REGION', 'us-east-1');
vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
vi.stubEnv('AWS_SESSION_TOKEN', '');

const ddb = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);

const { handler: createTransition } = await import('../../../lambdas/jobs/createTransition');
const { handler: cancelRequest } = await import('../../../lambdas/jobs/cancelRequest');
const { handler: listRequests } = await import('../../../lambdas/jobs/listRequests');
const { handler: createUpload } = await import('../../../lambdas/uploads/createUpload');
const { handler: getOpenApi } = await import('../../../lambdas/openapi/getOpenApi');
const { handler: getStatus } = await import('../../../lambdas/jobs/getStatus');

const HOST = 'abc123defg.execute-api.us-east-1.amazonaws.com';
const OTHER_OWNER = 'api-key-owner-2';

const validBody = {
  prompt: 'The sunrise street melts into the same street at night',
  first_frame_url: 'https://cdn.example.com/frames/first.png',
  last_frame_url: 'https://cdn.example.com/frames/last.png',
};

interface EventOptions {
  method?: string;
  resource?: string;
  path?: string;
  body?: unknown;
  headers?: Record<string, string>;
  owner?: string | null;
  id?: string;
  query?: Record<string, string>;
}

/** An API Gateway REST proxy event as the default execute-api domain sends it (stage prefix /prod). */
function apiEvent(options: EventOptions = {}): APIGatewayProxyEvent {
  const path = options.path ?? '/v2/pixverse-5-transition';
  const method = options.method ?? 'POST';
  const body = options.body === undefined ? null : JSON.stringify(options.body);
  return {
    body,
    headers: { host: HOST, 'content-type': 'application/json', ...options.headers },
    multiValueHeaders: {},
    httpMethod: method,
    isBase64Encoded: false,
    path,
    pathParameters: options.id === undefined ? null : { id: options.id },
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: options.resource ?? path,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123defg',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: options.owner === undefined ? OWNER : options.owner,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.10',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
      domainName: HOST,
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'f2b7c1de-0000-4000-8000-000000000001',
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: options.resource ?? path,
    },
  };
}

const submit = (body: unknown, key?: string, owner?: string) =>
  createTransition(
    apiEvent({ body, owner, headers: key === undefined ? {} : { 'Idempotency-Key': key } }),
    lambdaContext('createTransition'),
  );
const cancel = (id: string, owner?: string) =>
  cancelRequest(
    apiEvent({ method: 'DELETE', path: `/v2/requests/${id}`, resource: '/v2/requests/{id}', id, owner }),
    lambdaContext('cancelRequest'),
  );
const list = (query: Record<string, string> = {}, owner?: string) =>
  listRequests(apiEvent({ method: 'GET', path: '/v2/requests', query, owner }), lambdaContext('listRequests'));
const upload = (body: unknown) => createUpload(apiEvent({ path: '/v2/uploads', body }), lambdaContext('createUpload'));

function bodyOf(response: APIGatewayProxyResult): Record<string, unknown> {
  expect(response.headers).toMatchObject({ 'content-type': 'application/json' });
  return JSON.parse(response.body) as Record<string, unknown>;
}
const errorOf = (response: APIGatewayProxyResult) =>
  bodyOf(response).error as { code: string; message: string; details?: { field: string; rule: string }[] };

let rows: Map<string, Record<string, unknown>>;
let objects: Map<string, Uint8Array>;
const putRow = (job: Job) => rows.set(job.id, structuredClone(job));
const startsSent = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);

beforeEach(() => {
  ddb.reset();
  sfnMock.reset();
  s3Mock.reset();
  rows = serveJobsTable(ddb);
  serveOwnerIndex(ddb, rows);
  objects = serveBucket(s3Mock);
  sfnMock.on(StartExecutionCommand).callsFake(async (input: StartExecutionCommandInput) => ({
    executionArn: `${EXECUTION_PREFIX}:${input.name}`,
    startDate: new Date(),
  }));
  sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });
});

describe('Handler: POST /v2/pixverse-5-transition with an Idempotency-Key', () => {
  it('creates the job under an id derived from owner and key, storing the key and the request hash', async () => {
    // Act
    const response = await submit(validBody, 'order-42');

    // Assert
    expect(response.statusCode).toBe(202);
    expect(response.headers).not.toHaveProperty('idempotent-replayed');
    const id = idempotentJobId(OWNER, 'order-42');
    expect(bodyOf(response)).toMatchObject({ request_id: id, status: 'QUEUED' });
    expect(rows.get(id)).toMatchObject({
      owner: OWNER,
      idempotencyKey: 'order-42',
      requestHash: requestHash(parseTransitionRequest(validBody)),
      source: { type: 'api' },
    });
    expect(startsSent()).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, name: id, input: JSON.stringify({ jobId: id }) },
    ]);
  });

  it('answers a repeat exactly as the first time, marked replayed, without a second put', async () => {
    // Arrange
    const first = await submit(validBody, 'order-42');
    // The same request, spelled differently: defaults written out, keys reordered.
    const sameRequest = { seed: 12345, duration: 5, ...validBody, quality: '540p' };

    // Act
    const again = await submit(sameRequest, 'order-42');

    // Assert
    expect(again.statusCode).toBe(202);
    expect(again.body).toBe(first.body);
    expect(again.headers).toMatchObject({ 'idempotent-replayed': 'true' });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('starts the execution again on a repeat (with the same name and input), healing a create that stopped after the put', async () => {
    // Arrange: the job was written, but its execution never started.
    const id = idempotentJobId(OWNER, 'order-42');
    putRow(
      storedJob(id, {}, { idempotencyKey: 'order-42', requestHash: requestHash(parseTransitionRequest(validBody)) }),
    );

    // Act
    const response = await submit(validBody, 'order-42');

    // Assert
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response).request_id).toBe(id);
    expect(startsSent()).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, name: id, input: JSON.stringify({ jobId: id }) },
    ]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('takes ExecutionAlreadyExists on a repeat as the job already having its execution', async () => {
    // Arrange
    await submit(validBody, 'order-42');
    sfnMock
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' }));

    // Act
    const again = await submit(validBody, 'order-42');

    // Assert
    expect(again.statusCode).toBe(202);
    expect(rows.get(idempotentJobId(OWNER, 'order-42'))).toMatchObject({ status: 'QUEUED' });
  });

  it('does not start a finished job again', async () => {
    // Arrange
    const id = idempotentJobId(OWNER, 'order-42');
    putRow(
      storedJob(
        id,
        {},
        {
          status: 'COMPLETED',
          phase: 'completed',
          idempotencyKey: 'order-42',
          requestHash: requestHash(parseTransitionRequest(validBody)),
        },
      ),
    );

    // Act
    const response = await submit(validBody, 'order-42');

    // Assert
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toMatchObject({ request_id: id, status: 'QUEUED' });
    expect(startsSent()).toEqual([]);
  });

  it('answers 409 idempotency_conflict for the same key with another body, writing and starting nothing', async () => {
    // Arrange
    await submit(validBody, 'order-42');
    sfnMock.resetHistory();

    // Act
    const response = await submit({ ...validBody, seed: 7 }, 'order-42');

    // Assert
    expect(response.statusCode).toBe(409);
    expect(errorOf(response)).toEqual({
      code: 'idempotency_conflict',
      message: expect.stringMatching(/Idempotency-Key was already used .* with a different body/),
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(startsSent()).toEqual([]);
  });

  it('keeps owners apart: the same key from another owner is another job', async () => {
    // Act
    const mine = bodyOf(await submit(validBody, 'shared-key'));
    const theirs = bodyOf(await submit({ ...validBody, seed: 9 }, 'shared-key', OTHER_OWNER));

    // Assert
    expect(theirs.request_id).not.toBe(mine.request_id);
    expect(rows.get(String(theirs.request_id))).toMatchObject({ owner: OTHER_OWNER });
  });

  it('answers the race loser with the winner’s job: the conditional put decides', async () => {
    // Arrange: another request with the same key writes the job between our read and our put.
    const id = idempotentJobId(OWNER, 'order-42');
    const winner = storedJob(
      id,
      {},
      { idempotencyKey: 'order-42', requestHash: requestHash(parseTransitionRequest(validBody)) },
    );
    ddb.on(PutCommand).callsFake(async () => {
      putRow(winner);
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    });

    // Act
    const response = await submit(validBody, 'order-42');

    // Assert
    expect(response.statusCode).toBe(202);
    expect(response.headers).toMatchObject({ 'idempotent-replayed': 'true' });
    expect(bodyOf(response).request_id).toBe(id);
    expect(rows.get(id)).toEqual(winner);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
    expect(startsSent()).toHaveLength(1);
  });

  it('answers the race loser 409 when the winner sent another body', async () => {
    // Arrange
    const id = idempotentJobId(OWNER, 'order-42');
    ddb.on(PutCommand).callsFake(async () => {
      putRow(storedJob(id, { seed: 99 }, { requestHash: 'another-request' }));
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    });

    // Act
    const response = await submit(validBody, 'order-42');

    // Assert
    expect(response.statusCode).toBe(409);
    expect(startsSent()).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé-42'],
  ])('answers 400 naming the header for a key that is %s', async (_case, key) => {
    // Act
    const response = await submit(validBody, key);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details).toEqual([
      { field: 'Idempotency-Key', rule: 'must be 1–255 printable ASCII characters' },
    ]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('without a key, gives every submit a new ULID', async () => {
    // Act
    const first = bodyOf(await submit(validBody));
    const second = bodyOf(await submit(validBody));

    // Assert
    expect(first.request_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(second.request_id).not.toBe(first.request_id);
    expect(rows.get(String(first.request_id))).not.toHaveProperty('idempotencyKey');
  });
});

describe('Handler: POST /v2/pixverse-5-transition checks s3:// frames before the paid submit', () => {
  const s3Body = (first: string, last = 'uploads/last.png') => ({
    ...validBody,
    first_frame_url: `s3://${BUCKET}/${first}`,
    last_frame_url: `s3://${BUCKET}/${last}`,
  });

  beforeEach(() => {
    objects.set('uploads/last.png', pngHeader(960, 540));
  });

  const expectRefused = (response: APIGatewayProxyResult, issues: { field: string; rule: RegExp }[]) => {
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('invalid_request');
    expect(error.details).toEqual(issues.map(({ field, rule }) => ({ field, rule: expect.stringMatching(rule) })));
    for (const { field } of issues) expect(error.message).toContain(field);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(startsSent()).toEqual([]);
  };

  it('reads only the head and the tail of each frame: HeadObject, the first 64 KiB, the last 16 bytes', async () => {
    // Arrange
    objects.set('uploads/first.png', pngHeader(1280, 720));

    // Act
    const response = await submit(s3Body('uploads/first.png'));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(
      s3Mock
        .commandCalls(HeadObjectCommand)
        .map((c) => c.args[0].input.Key)
        .sort(),
    ).toEqual(['uploads/first.png', 'uploads/last.png']);
    expect(
      s3Mock
        .commandCalls(GetObjectCommand)
        .map((c) => c.args[0].input)
        .sort((a, b) => `${a.Key}${a.Range}`.localeCompare(`${b.Key}${b.Range}`)),
    ).toEqual([
      { Bucket: BUCKET, Key: 'uploads/first.png', Range: 'bytes=0-65535' },
      { Bucket: BUCKET, Key: 'uploads/first.png', Range: 'bytes=29-44' },
      { Bucket: BUCKET, Key: 'uploads/last.png', Range: 'bytes=0-65535' },
      { Bucket: BUCKET, Key: 'uploads/last.png', Range: 'bytes=29-44' },
    ]);
  });

  it('refuses a PNG cut off after its header (it would be paid for, then fail upstream)', async () => {
    // Arrange: the first 100 bytes of a real-looking PNG, no IEND
    const cut = new Uint8Array(100);
    cut.set(pngHeader(640, 360).subarray(0, 33));
    objects.set('uploads/cut.png', cut);

    // Act / Assert
    expectRefused(await submit(s3Body('uploads/cut.png')), [
      { field: 'first_frame_url', rule: /must be a complete PNG image \(it is cut off\)/ },
    ]);
  });

  it('refuses a frame that does not exist', async () => {
    expectRefused(await submit(s3Body('uploads/missing.png')), [
      {
        field: 'first_frame_url',
        rule: /must name an existing object \(s3:\/\/.*uploads\/missing\.png was not found\)/,
      },
    ]);
  });

  it('refuses a frame HeadObject answers 403 for (no list permission: the same as missing)', async () => {
    // Arrange
    s3Mock
      .on(HeadObjectCommand, { Key: 'uploads/hidden.png' })
      .rejects(Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } }));

    // Act / Assert
    expectRefused(await submit(s3Body('uploads/hidden.png')), [{ field: 'first_frame_url', rule: /was not found/ }]);
  });

  it('refuses a frame over 20 MB without reading it', async () => {
    // Arrange
    const big = new Uint8Array(20 * 1024 * 1024 + 1);
    big.set(pngHeader(100, 100));
    objects.set('uploads/big.png', big);

    // Act / Assert
    expectRefused(await submit(s3Body('uploads/big.png')), [
      { field: 'first_frame_url', rule: /must be at most 20 MB, 20971520 bytes \(.* is 20971521 bytes\)/ },
    ]);
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).not.toContain('uploads/big.png');
  });

  it('refuses an object that is not an image, whatever its name', async () => {
    // Arrange
    objects.set('uploads/notes.png', new TextEncoder().encode('these are my notes, not a picture'));

    // Act / Assert
    expectRefused(await submit(s3Body('uploads/notes.png')), [
      { field: 'first_frame_url', rule: /^must be a PNG, JPEG or WebP image$/ },
    ]);
  });

  it('refuses an empty object', async () => {
    objects.set('uploads/empty.png', new Uint8Array());

    expectRefused(await submit(s3Body('uploads/empty.png')), [
      { field: 'first_frame_url', rule: /must not be an empty/ },
    ]);
  });

  it('refuses a frame over 10000 px a side, and names both fields when both are bad', async () => {
    // Arrange
    objects.set('uploads/wide.png', pngHeader(12_000, 100));
    objects.set('uploads/tall.png', pngHeader(100, 10_001));

    // Act / Assert
    expectRefused(await submit(s3Body('uploads/wide.png', 'uploads/tall.png')), [
      { field: 'first_frame_url', rule: /at most 10000 pixels a side \(is 12000×100\)/ },
      { field: 'last_frame_url', rule: /at most 10000 pixels a side \(is 100×10001\)/ },
    ]);
  });

  it('reads up to 1 MiB when a JPEG’s metadata pushes its frame header past 64 KiB', async () => {
    // Arrange: SOI, two 40 kB APP segments, then SOF0 of 4000×3000, then the rest of the file.
    const segment = (marker: number) => [0xff, marker, 0x9c, 0x42, ...new Array(40_000).fill(0x20)];
    const head = [0xff, 0xd8, ...segment(0xe1), ...segment(0xe2), 0xff, 0xc0, 0, 17, 8, 0x0b, 0xb8, 0x0f, 0xa0, 3];
    const jpeg = new Uint8Array(200_000);
    jpeg.set(head);
    jpeg.set([0xff, 0xd9], jpeg.length - 2);
    objects.set('uploads/camera.jpg', jpeg);

    // Act
    const response = await submit(s3Body('uploads/camera.jpg'));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(
      s3Mock
        .commandCalls(GetObjectCommand)
        .filter((c) => c.args[0].input.Key === 'uploads/camera.jpg')
        .map((c) => c.args[0].input.Range),
    ).toEqual(['bytes=0-65535', 'bytes=0-1048575', 'bytes=199984-199999']);
  });

  it('leaves https frames alone', async () => {
    // Act
    const response = await submit(validBody);

    // Assert
    expect(response.statusCode).toBe(202);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('answers 500 (not 400) when S3 itself fails', async () => {
    // Arrange
    s3Mock.on(HeadObjectCommand).rejects(Object.assign(new Error('SlowDown'), { $metadata: { httpStatusCode: 503 } }));

    // Act
    const response = await submit(s3Body('uploads/last.png'));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('checks frames once per idempotent job: a replay does not read them again', async () => {
    // Arrange
    await submit(s3Body('uploads/last.png'), 'frames-once');
    objects.delete('uploads/last.png');
    s3Mock.resetHistory();

    // Act
    const again = await submit(s3Body('uploads/last.png'), 'frames-once');

    // Assert
    expect(again.statusCode).toBe(202);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('is what notFound() models: S3’s bodiless 404', () => {
    expect(notFound()).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });
});

describe('Handler: DELETE /v2/requests/{id}', () => {
  const JOB_ID = '01JQ0000000000000000000042';
  const stopsSent = () => sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input);

  it('stops the execution, records the job FAILED with code cancelled and says the upstream job may still be billed', async () => {
    // Arrange
    putRow(
      storedJob(
        JOB_ID,
        {},
        {
          status: 'PROCESSING',
          phase: 'generating',
          submitClaimedAt: '2025-03-01T09:00:01.000Z',
          upstreamRequestId: 'seg-123',
        },
      ),
    );

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(stopsSent()).toEqual([
      { executionArn: `${EXECUTION_PREFIX}:${JOB_ID}`, error: 'cancelled', cause: expect.stringMatching(/Cancelled/) },
    ]);
    const body = bodyOf(response);
    expect(body).toMatchObject({ request_id: JOB_ID, status: 'FAILED', phase: 'failed', error_code: 'cancelled' });
    expect(body.note).toMatch(/seg-123.*cannot be cancelled at Segmind and may still be billed/);
    expect(body.error).toMatch(/^Cancelled by its owner\. .*may still be billed/);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
  });

  it('says nothing is billed when nothing was submitted', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const body = bodyOf(await cancel(JOB_ID));

    // Assert
    expect(body.note).toBe('Nothing had been submitted to Segmind, so nothing is billed.');
  });

  it('says the submit may have reached Segmind when it was claimed but not answered', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { phase: 'submitting', submitClaimedAt: '2025-03-01T09:00:01.000Z' }));

    // Act
    const body = bodyOf(await cancel(JOB_ID));

    // Assert
    expect(body.note).toMatch(/being submitted.*may still be billed/);
  });

  it('bases the note on the job as it was once stopped, not as first read', async () => {
    // Arrange: the submit is answered while the execution is being stopped.
    putRow(storedJob(JOB_ID));
    sfnMock.on(StopExecutionCommand).callsFake(async () => {
      Object.assign(rows.get(JOB_ID) ?? {}, { phase: 'submitted', upstreamRequestId: 'seg-late' });
      return { stopDate: new Date() };
    });

    // Act
    const body = bodyOf(await cancel(JOB_ID));

    // Assert
    expect(body.note).toMatch(/seg-late.*may still be billed/);
  });

  it('never records "nothing is billed" for a job whose submit was claimed meanwhile', async () => {
    // Arrange: the in-flight Submit step claims the submit right after the cancel has read the job.
    putRow(storedJob(JOB_ID));
    let reads = 0;
    ddb.on(GetCommand).callsFake(async (input: { Key?: { id?: string } }) => {
      const row = rows.get(String(input.Key?.id));
      const answer = { Item: row ? structuredClone(row) : undefined };
      // Read 1: the owner check; read 2: after the stop, just before the claim lands.
      if (++reads === 2 && row) row.submitClaimedAt = '2025-03-01T09:00:02.000Z';
      return answer;
    });

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response).note).toMatch(/being submitted.*may still be billed/);
    expect(rows.get(JOB_ID)).toMatchObject({
      status: 'FAILED',
      error: { code: 'cancelled', message: expect.stringMatching(/may still be billed/) },
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('cancels a job whose execution does not exist', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    sfnMock
      .on(StopExecutionCommand)
      .rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: { code: 'cancelled' } });
  });

  it.each<[string, Partial<Job>, RegExp]>([
    ['COMPLETED', { status: 'COMPLETED', phase: 'completed' }, /already COMPLETED/],
    [
      'FAILED',
      { status: 'FAILED', phase: 'failed', error: { code: 'upstream_failed', message: 'x' } },
      /already FAILED;/,
    ],
    [
      'cancelled',
      { status: 'FAILED', phase: 'failed', error: { code: 'cancelled', message: 'Cancelled by its owner.' } },
      /already FAILED \(cancelled\)/,
    ],
  ])('answers 409 conflict for a %s job, stopping nothing', async (_case, fields, message) => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, fields));
    const before = structuredClone(rows.get(JOB_ID));

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(409);
    expect(errorOf(response)).toEqual({ code: 'conflict', message: expect.stringMatching(message) });
    expect(stopsSent()).toEqual([]);
    expect(rows.get(JOB_ID)).toEqual(before);
  });

  it('answers 409 when the job completes while it is being stopped: the finish wins', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'copying' }));
    sfnMock.on(StopExecutionCommand).callsFake(async () => {
      Object.assign(rows.get(JOB_ID) ?? {}, { status: 'COMPLETED', phase: 'completed' });
      return { stopDate: new Date() };
    });

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(409);
    expect(errorOf(response).message).toMatch(/already COMPLETED/);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'COMPLETED' });
  });

  it("answers 404 for another owner's job, stopping nothing", async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const response = await cancel(JOB_ID, OTHER_OWNER);

    // Assert
    expect(response.statusCode).toBe(404);
    expect(errorOf(response).code).toBe('not_found');
    expect(stopsSent()).toEqual([]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers 500 and leaves the job as it was when the execution cannot be stopped', async () => {
    // Arrange
    putRow(storedJob(JOB_ID));
    sfnMock.on(StopExecutionCommand).rejects(new Error('ThrottlingException: Rate exceeded'));

    // Act
    const response = await cancel(JOB_ID);

    // Assert
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('Throttling');
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'QUEUED' });
  });
});

describe('Handler: GET /v2/requests', () => {
  /** `count` jobs of the owner, one second apart, the newest last; statuses cycle through `statuses`. */
  function seed(count: number, owner = OWNER, statuses: Job['status'][] = ['QUEUED']) {
    const phases = { QUEUED: 'queued', PROCESSING: 'generating', COMPLETED: 'completed', FAILED: 'failed' } as const;
    return Array.from({ length: count }, (_, i) => {
      const status = statuses[i % statuses.length] ?? 'QUEUED';
      const job = storedJob(
        `${owner.slice(-1)}job${String(i).padStart(5, '0')}`,
        {},
        {
          owner,
          status,
          phase: phases[status],
          createdAt: new Date(Date.UTC(2025, 2, 1, 9) + i * 1000).toISOString(),
        },
      );
      putRow(job);
      return job.id;
    });
  }

  async function walk(query: Record<string, string>, owner?: string) {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const response = await list({ ...query, ...(cursor ? { cursor } : {}) }, owner);
      expect(response.statusCode).toBe(200);
      const body = bodyOf(response) as { requests: { request_id: string }[]; next_cursor: string | null };
      pages.push(body.requests.map((r) => r.request_id));
      cursor = body.next_cursor;
    } while (cursor && pages.length < 50);
    return pages;
  }

  it("pages through the owner's jobs newest first, and only theirs", async () => {
    // Arrange
    const mine = seed(5);
    seed(3, OTHER_OWNER);

    // Act
    const pages = await walk({ limit: '2' });

    // Assert
    expect(pages).toEqual([[mine[4], mine[3]], [mine[2], mine[1]], [mine[0]]]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE_NAME,
      IndexName: 'byOwner',
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: { ':owner': OWNER },
      ScanIndexForward: false,
      Limit: 3,
    });
  });

  it('answers the status view of each job and a null cursor on the last page', async () => {
    // Arrange
    const [id] = seed(1);

    // Act
    const body = bodyOf(await list());

    // Assert
    expect(body).toEqual({
      requests: [
        {
          request_id: id,
          status: 'QUEUED',
          phase: 'queued',
          created_at: '2025-03-01T09:00:00.000Z',
          updated_at: '2025-03-01T09:00:00.000Z',
        },
      ],
      next_cursor: null,
    });
  });

  it('gives a last page of exactly `limit` jobs no cursor', async () => {
    // Arrange
    seed(4);

    // Act
    const pages = await walk({ limit: '2' });

    // Assert
    expect(pages.map((page) => page.length)).toEqual([2, 2]);
  });

  it('fills a filtered page by reading on, so a sparse status is not answered short', async () => {
    // Arrange: 300 jobs, one FAILED in every 7, spread over more than one internal page.
    const ids = seed(300, OWNER, ['QUEUED', 'PROCESSING', 'COMPLETED', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED']);
    const failed = ids.filter((_, i) => i % 7 === 6).reverse();

    // Act
    const pages = await walk({ limit: '20', status: 'FAILED' });

    // Assert
    expect(pages.flat()).toEqual(failed);
    expect(pages.slice(0, -1).every((page) => page.length === 20)).toBe(true);
    expect(failed).toHaveLength(42);
  });

  it('bounds the reading of one request to 10 internal pages, handing back a cursor to go on', async () => {
    // Arrange
    seed(1200, OWNER, ['QUEUED']);

    // Act
    const response = await list({ status: 'FAILED' });

    // Assert
    const body = bodyOf(response);
    expect(body.requests).toEqual([]);
    expect(body.next_cursor).toEqual(expect.any(String));
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(10);
  });

  it.each<[Record<string, string>, string]>([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'all' }, 'limit'],
    [{ status: 'DONE' }, 'status'],
    [{ cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
    [{ cursor: '!!' }, 'cursor'],
    [{ order: 'asc' }, 'order'],
  ])('answers 400 naming the parameter for %j', async (query, field) => {
    // Act
    const response = await list(query);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details?.map((issue) => issue.field)).toEqual([field]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it("refuses another owner's cursor", async () => {
    // Arrange
    seed(3, OTHER_OWNER);
    const theirs = bodyOf(await list({ limit: '1' }, OTHER_OWNER)).next_cursor as string;

    // Act
    const response = await list({ cursor: theirs });

    // Assert
    expect(theirs).toEqual(expect.any(String));
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details).toEqual([{ field: 'cursor', rule: expect.any(String) }]);
  });
});

describe('Handler: POST /v2/uploads', () => {
  it('answers 201 with a presigned PUT for uploads/<ulid>/frame.<ext>, its content type signed', async () => {
    // Arrange
    const before = Date.now();

    // Act
    const response = await upload({ content_type: 'image/png' });

    // Assert
    expect(response.statusCode).toBe(201);
    const body = bodyOf(response) as {
      upload_url: string;
      method: string;
      headers: Record<string, string>;
      s3_uri: string;
      expires_at: string;
    };
    expect(body.method).toBe('PUT');
    expect(body.headers).toEqual({ 'content-type': 'image/png' });
    const key = /^s3:\/\/framebridge-bucket-test\/(uploads\/[0-9A-HJKMNP-TV-Z]{26}\/frame\.png)$/.exec(
      body.s3_uri,
    )?.[1];
    expect(key).toBeDefined();
    const url = new URL(body.upload_url);
    expect(decodeURIComponent(url.pathname)).toContain(key);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    // A checksum of the empty body presigned into the URL would make S3 refuse the real image.
    expect([...url.searchParams.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    const expiresAt = Date.parse(body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it.each([
    ['image/jpeg', undefined, /\/frame\.jpg$/],
    ['image/webp', undefined, /\/frame\.webp$/],
    ['image/png', 'first_frame-v2.png', /\/first_frame-v2\.png$/],
  ])('names a %s upload %s after the filename or the type', async (contentType, filename, keyPattern) => {
    // Act
    const body = bodyOf(await upload({ content_type: contentType, ...(filename ? { filename } : {}) }));

    // Assert
    expect(body.s3_uri).toMatch(keyPattern);
  });

  it('gives every upload its own prefix', async () => {
    const first = bodyOf(await upload({ content_type: 'image/png', filename: 'a.png' })).s3_uri;
    const second = bodyOf(await upload({ content_type: 'image/png', filename: 'a.png' })).s3_uri;

    expect(first).not.toBe(second);
  });

  it.each<[string, unknown, string]>([
    ['no content_type', {}, 'content_type'],
    ['a GIF', { content_type: 'image/gif' }, 'content_type'],
    ['a path in the filename', { content_type: 'image/png', filename: '../jobs/x/video.mp4' }, 'filename'],
    ['a slash in the filename', { content_type: 'image/png', filename: 'a/b.png' }, 'filename'],
    ['a filename of 129 characters', { content_type: 'image/png', filename: `${'a'.repeat(125)}.png` }, 'filename'],
    ['a filename with a space', { content_type: 'image/png', filename: 'my frame.png' }, 'filename'],
    ['an unknown field', { content_type: 'image/png', bucket: 'elsewhere' }, 'bucket'],
    ['an array', ['image/png'], 'body'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    // Act
    const response = await upload(body);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details?.map((issue) => issue.field)).toEqual([field]);
  });

  it('answers 401 without an API key id', async () => {
    const response = await createUpload(
      apiEvent({ path: '/v2/uploads', body: { content_type: 'image/png' }, owner: null }),
      lambdaContext('createUpload'),
    );

    expect(response.statusCode).toBe(401);
  });
});

describe('Handler: GET /v2/requests/{id}/status with a webhook', () => {
  it('shows the delivery outcome recorded on the job', async () => {
    // Arrange
    const id = '01JQ0000000000000000000077';
    putRow(
      storedJob(
        id,
        { callback_url: 'https://hooks.example.com/framebridge' },
        {
          status: 'COMPLETED',
          phase: 'completed',
          webhook: {
            id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
            status: 'failed',
            attempts: 9,
            lastStatus: 503,
            lastError: 'HTTP 503',
            lastAttemptAt: '2025-03-01T10:05:00.000Z',
          },
        },
      ),
    );

    // Act
    const response = await getStatus(
      apiEvent({ method: 'GET', path: `/v2/requests/${id}/status`, resource: '/v2/requests/{id}/status', id }),
      lambdaContext('getStatus'),
    );

    // Assert
    expect(bodyOf(response).webhook).toEqual({
      id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      status: 'failed',
      attempts: 9,
      last_status: 503,
      last_error: 'HTTP 503',
      last_attempt_at: '2025-03-01T10:05:00.000Z',
    });
  });
});

describe('Handler: GET /openapi.json', () => {
  it('answers the document, with this API as its server, to a caller without a key', async () => {
    // Act
    const response = await getOpenApi(
      apiEvent({ method: 'GET', path: '/openapi.json', owner: null }),
      lambdaContext('getOpenApi'),
    );

    // Assert
    expect(response.statusCode).toBe(200);
    const body = bodyOf(response);
    expect(body).toMatchObject({ openapi: '3.1.0', servers: [{ url: `https://${HOST}/prod` }] });
    expect(Object.keys(body.paths as object)).toContain('/v2/pixverse-5-transition');
    expect(response.headers).toMatchObject({ 'cache-control': 'public, max-age=300' });
  });
});
