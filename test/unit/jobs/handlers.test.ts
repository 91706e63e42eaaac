import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../../lambdas/core/job';
import { OWNER, serveJobsTable, storedJob, TABLE_NAME, updatesSent } from '../fakeJobsTable';
import { lambdaContext } from '../lambdaContext';
import { pngHeader, serveBucket } from './fakeBucket';

// Handlers parse their environment at module scope: stub it before importing them.
const BUCKET = 'framebridge-bucket-test';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-transition';
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
const { handler: getStatus } = await import('../../../lambdas/jobs/getStatus');
const { handler: getResult } = await import('../../../lambdas/jobs/getResult');

const HOST = 'abc123defg.execute-api.us-east-1.amazonaws.com';
const JOB_ID = '01JQ0000000000000000000042';

const validBody = {
  prompt: 'The sunrise street melts into the same street at night',
  first_frame_url: 'https://cdn.example.com/frames/first.png',
  last_frame_url: 'https://cdn.example.com/frames/last.png',
};

interface EventOptions {
  method?: string;
  resource?: string;
  path?: string;
  body?: string | null;
  headers?: Record<string, string>;
  owner?: string | null;
  id?: string;
}

/** An API Gateway REST proxy event as the default execute-api domain sends it (stage prefix /prod). */
function apiEvent(options: EventOptions = {}): APIGatewayProxyEvent {
  const path = options.path ?? '/v2/pixverse-5-transition';
  const resource = options.resource ?? path;
  const method = options.method ?? 'POST';
  return {
    body: options.body ?? null,
    headers: options.headers ?? { host: HOST, 'content-type': 'application/json', 'x-api-key': 'not-read-by-handlers' },
    multiValueHeaders: {},
    httpMethod: method,
    isBase64Encoded: false,
    path,
    pathParameters: options.id === undefined ? null : { id: options.id },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource,
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
      resourcePath: resource,
    },
  };
}

const postEvent = (body: unknown, options: EventOptions = {}) =>
  apiEvent({ body: typeof body === 'string' ? body : JSON.stringify(body), ...options });

const statusEvent = (id: string, owner?: string | null) =>
  apiEvent({ method: 'GET', path: `/v2/requests/${id}/status`, resource: '/v2/requests/{id}/status', id, owner });

const resultEvent = (id: string, owner?: string | null) =>
  apiEvent({ method: 'GET', path: `/v2/requests/${id}`, resource: '/v2/requests/{id}', id, owner });

function bodyOf(response: APIGatewayProxyResult): Record<string, unknown> {
  expect(response.headers).toMatchObject({ 'content-type': 'application/json' });
  return JSON.parse(response.body) as Record<string, unknown>;
}

let rows: Map<string, Record<string, unknown>>;
let objects: Map<string, Uint8Array>;
const putRow = (job: Job) => rows.set(job.id, structuredClone(job));

beforeEach(() => {
  ddb.reset();
  sfnMock.reset();
  s3Mock.reset();
  rows = serveJobsTable(ddb);
  objects = serveBucket(s3Mock);
  sfnMock.on(StartExecutionCommand).callsFake(async (input: StartExecutionCommandInput) => ({
    executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
});

describe('Handler: POST /v2/pixverse-5-transition', () => {
  it('answers 202 with absolute poll URLs, after storing the job and starting its execution', async () => {
    // Arrange
    const order: string[] = [];
    ddb.on(PutCommand).callsFake(async (input) => {
      order.push('put');
      rows.set(String(input.Item?.id), structuredClone(input.Item ?? {}));
      return {};
    });
    sfnMock.on(StartExecutionCommand).callsFake(async () => {
      order.push('start');
      return { executionArn: 'arn', startDate: new Date() };
    });

    // Act
    const response = await createTransition(postEvent(validBody), lambdaContext('createTransition'));

    // Assert
    expect(response.statusCode).toBe(202);
    const body = bodyOf(response);
    const id = String(body.request_id);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(body).toEqual({
      request_id: id,
      status: 'QUEUED',
      status_url: `https://${HOST}/prod/v2/requests/${id}/status`,
      response_url: `https://${HOST}/prod/v2/requests/${id}`,
      poll_url: `https://${HOST}/prod/v2/requests/${id}/status`,
    });
    expect(order).toEqual(['put', 'start']);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE_NAME,
      ConditionExpression: 'attribute_not_exists(id)',
      Item: {
        id,
        owner: OWNER,
        status: 'QUEUED',
        phase: 'queued',
        request: { ...validBody, duration: 5, quality: '540p', seed: 12345 },
      },
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: id,
      input: JSON.stringify({ jobId: id }),
    });
  });

  it('accepts an s3:// frame in the framebridge bucket', async () => {
    // Arrange
    objects.set('uploads/first.png', pngHeader(960, 540));

    // Act
    const response = await createTransition(
      postEvent({ ...validBody, first_frame_url: `s3://${BUCKET}/uploads/first.png` }),
      lambdaContext('createTransition'),
    );

    // Assert
    expect(response.statusCode).toBe(202);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a missing prompt', { ...validBody, prompt: undefined }, 'prompt', /required/],
    ['seed 0', { ...validBody, seed: 0 }, 'seed', /between 1 and 999999/],
    ['an unknown field', { ...validBody, foo: 1 }, 'foo', /not a known field/],
    ['8 s at 1080p', { ...validBody, duration: 8, quality: '1080p' }, 'duration', /1080p/],
    [
      'an s3:// frame in another bucket',
      { ...validBody, last_frame_url: 's3://someone-elses-bucket/f.png' },
      'last_frame_url',
      new RegExp(`s3://${BUCKET}/`),
    ],
    ['a JSON array', [validBody], 'body', /JSON object/],
  ])('answers 400 invalid_request naming the field for %s, writing nothing', async (_case, body, field, rule) => {
    // Act
    const response = await createTransition(postEvent(body), lambdaContext('createTransition'));

    // Assert
    expect(response.statusCode).toBe(400);
    const { error } = bodyOf(response) as { error: { code: string; message: string; details: unknown } };
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain(field);
    expect(error.details).toContainEqual({ field, rule: expect.stringMatching(rule) });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ['text/plain', { host: HOST, 'content-type': 'text/plain' }],
    ['no content-type', { host: HOST }],
  ])('answers 415 for %s', async (_case, headers) => {
    // Act
    const response = await createTransition(postEvent(validBody, { headers }), lambdaContext('createTransition'));

    // Assert
    expect(response.statusCode).toBe(415);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'unsupported_media_type' } });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('accepts a content-type with a charset, in any header case', async () => {
    // Act
    const response = await createTransition(
      postEvent(validBody, { headers: { Host: HOST, 'Content-Type': 'Application/JSON; charset=utf-8' } }),
      lambdaContext('createTransition'),
    );

    // Assert
    expect(response.statusCode).toBe(202);
  });

  it.each([
    ['malformed JSON', '{"prompt": "unterminated'],
    ['an empty body', ''],
  ])('answers 400 invalid_json for %s', async (_case, raw) => {
    // Act
    const response = await createTransition(postEvent(raw), lambdaContext('createTransition'));

    // Assert
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'invalid_json' } });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 401 without an API key id', async () => {
    // Act
    const response = await createTransition(postEvent(validBody, { owner: null }), lambdaContext('createTransition'));

    // Assert
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'unauthorized' } });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 500 with a generic message when the execution cannot start, and records the job FAILED', async () => {
    // Arrange
    const internals = 'AccessDeniedException: User arn:aws:sts::123456789012:assumed-role/x is not authorized';
    sfnMock.on(StartExecutionCommand).rejects(new Error(internals));

    // Act
    const response = await createTransition(postEvent(validBody), lambdaContext('createTransition'));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ error: { code: 'internal_error', message: 'Internal server error' } });
    expect(response.body).not.toContain('AccessDenied');
    expect(response.body).not.toContain('arn:aws');
    const [stored] = [...rows.values()];
    expect(stored).toMatchObject({ status: 'FAILED', phase: 'failed', error: { code: 'internal_error' } });
    expect(updatesSent(ddb)).toHaveLength(1);
  });
});

describe('Handler: GET /v2/requests/{id}/status', () => {
  it("answers the owner's job with its status and phase", async () => {
    // Arrange
    putRow(
      storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'generating', submittedAt: '2025-03-01T09:00:05.000Z' }),
    );

    // Act
    const response = await getStatus(statusEvent(JOB_ID), lambdaContext('getStatus'));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({
      request_id: JOB_ID,
      status: 'PROCESSING',
      phase: 'generating',
      created_at: '2025-03-01T09:00:00.000Z',
      updated_at: '2025-03-01T09:00:00.000Z',
      submitted_at: '2025-03-01T09:00:05.000Z',
    });
  });

  it("answers 404 for another owner's job, as for an unknown id", async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const otherOwner = await getStatus(statusEvent(JOB_ID, 'another-key'), lambdaContext('getStatus'));
    const unknown = await getStatus(statusEvent('01JQ00000000000000000000ZZ'), lambdaContext('getStatus'));

    // Assert
    expect(otherOwner.statusCode).toBe(404);
    expect(bodyOf(otherOwner)).toMatchObject({ error: { code: 'not_found' } });
    expect(unknown.statusCode).toBe(404);
    expect(bodyOf(otherOwner).error).toEqual({ ...(bodyOf(unknown).error as object), message: expect.any(String) });
  });

  it('answers 422 with the error and its code for a FAILED job', async () => {
    // Arrange
    putRow(
      storedJob(
        JOB_ID,
        {},
        {
          status: 'FAILED',
          phase: 'failed',
          error: {
            code: 'upstream_insufficient_credits',
            message: 'Segmind rejected the request (HTTP 406): no credits',
          },
        },
      ),
    );

    // Act
    const response = await getStatus(statusEvent(JOB_ID), lambdaContext('getStatus'));

    // Assert
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toMatchObject({
      request_id: JOB_ID,
      status: 'FAILED',
      error: 'Segmind rejected the request (HTTP 406): no credits',
      error_code: 'upstream_insufficient_credits',
    });
  });

  it('answers 400 for an id that is not a request id', async () => {
    // Act
    const response = await getStatus(statusEvent('..%2F..%2Fetc'), lambdaContext('getStatus'));

    // Assert
    expect(response.statusCode).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 401 without an API key id', async () => {
    // Act
    const response = await getStatus(statusEvent(JOB_ID, null), lambdaContext('getStatus'));

    // Assert
    expect(response.statusCode).toBe(401);
  });
});

describe('Handler: GET /v2/requests/{id}', () => {
  const completed = () =>
    storedJob(
      JOB_ID,
      {},
      {
        status: 'COMPLETED',
        phase: 'completed',
        completedAt: '2025-03-01T09:01:30.000Z',
        output: {
          s3Bucket: BUCKET,
          videoKey: `jobs/${JOB_ID}/video.mp4`,
          resultKey: `jobs/${JOB_ID}/result.json`,
          bytes: 1_234_567,
          contentType: 'video/mp4',
        },
        metrics: { predict_time: 71.3 },
      },
    );

  it('answers a COMPLETED job with a freshly presigned video URL, its expiry and the S3 URI', async () => {
    // Arrange
    putRow(completed());
    const before = Date.now();

    // Act
    const response = await getResult(resultEvent(JOB_ID), lambdaContext('getResult'));

    // Assert
    expect(response.statusCode).toBe(200);
    const body = bodyOf(response) as {
      output: { video_url: string; expires_at: string; s3_uri: string };
      metrics: unknown;
    };
    const url = new URL(body.output.video_url);
    expect(url.protocol).toBe('https:');
    expect(`${url.host}${url.pathname}`).toContain(`jobs/${JOB_ID}/video.mp4`);
    expect(url.host).toContain(BUCKET);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    const expiresIn = Date.parse(body.output.expires_at) - before;
    expect(expiresIn).toBeGreaterThan(3_590_000);
    expect(expiresIn).toBeLessThanOrEqual(3_600_000 + 5_000);
    expect(body.output.s3_uri).toBe(`s3://${BUCKET}/jobs/${JOB_ID}/video.mp4`);
    expect(body).toMatchObject({ request_id: JOB_ID, status: 'COMPLETED', metrics: { predict_time: 71.3 } });
  });

  it('mints a new URL on every read', async () => {
    // Arrange
    putRow(completed());
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });

    // Act
    const first = bodyOf(await getResult(resultEvent(JOB_ID), lambdaContext('getResult')));
    vi.setSystemTime(Date.now() + 2_000);
    const second = bodyOf(await getResult(resultEvent(JOB_ID), lambdaContext('getResult')));
    vi.useRealTimers();

    // Assert
    expect((first.output as { video_url: string }).video_url).not.toBe(
      (second.output as { video_url: string }).video_url,
    );
  });

  it('answers 422 with the error for a FAILED job', async () => {
    // Arrange
    putRow(
      storedJob(
        JOB_ID,
        {},
        { status: 'FAILED', phase: 'failed', error: { code: 'video_rejected', message: 'not an MP4' } },
      ),
    );

    // Act
    const response = await getResult(resultEvent(JOB_ID), lambdaContext('getResult'));

    // Assert
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toEqual({
      request_id: JOB_ID,
      status: 'FAILED',
      error: 'not an MP4',
      error_code: 'video_rejected',
    });
  });

  it('answers a job in progress with a null output', async () => {
    // Arrange
    putRow(storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'copying' }));

    // Act
    const response = await getResult(resultEvent(JOB_ID), lambdaContext('getResult'));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ request_id: JOB_ID, status: 'PROCESSING', output: null, phase: 'copying' });
  });

  it("answers 404 for another owner's job", async () => {
    // Arrange
    putRow(completed());

    // Act
    const response = await getResult(resultEvent(JOB_ID, 'another-key'), lambdaContext('getResult'));

    // Assert
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('X-Amz-Signature');
  });
});
