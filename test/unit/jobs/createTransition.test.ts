import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { idempotentJobId, requestHash } from '../../../lambdas/core/idempotency';
import { parseTransitionRequest } from '../../../lambdas/core/schemas';
import type { TenantUsage } from '../../../lambdas/core/spendLimits';
import { type ApiEventOptions, apiEvent, bodyOf, errorOf, API_HOST as HOST } from '../apiEvent';
import { OTHER_OWNER, OWNER, storedJob, TABLE_NAME, updatesSent, validBody } from '../fakeJobsTable';
import { serveTenantUsage } from '../fakeTenantUsage';
import { lambdaContext } from '../lambdaContext';
import { notFound, pngHeader } from './fakeBucket';
import { BUCKET, fakeJobsBackend, STATE_MACHINE_ARN, stubJobsEnv } from './fakeJobsBackend';

stubJobsEnv();
const { ddb, sfnMock, s3Mock, rows, objects, putRow } = fakeJobsBackend();
let usage: Map<string, TenantUsage>;
beforeEach(() => {
  usage = serveTenantUsage(ddb, rows);
});
const { handler: createTransition } = await import('../../../lambdas/jobs/createTransition');

const postEvent = (body: unknown, options: ApiEventOptions = {}) => apiEvent({ body, ...options });
const submit = (body: unknown, key?: string, owner?: string) =>
  createTransition(
    apiEvent({ body, owner, headers: key === undefined ? {} : { 'Idempotency-Key': key } }),
    lambdaContext('createTransition'),
  );
const startsSent = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);

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
    const executionName = rows.get(id)?.executionName;
    expect(executionName).toMatch(new RegExp(`^${id}-[0-9A-HJKMNP-TV-Z]{26}$`));
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: executionName,
      input: JSON.stringify({ jobId: id }),
    });
  });

  it('records on the job the tenant it belongs to and the key that created it', async () => {
    // Act
    const response = await createTransition(
      postEvent(validBody, { owner: 'acme', keyId: 'key-0123456789abcdef' }),
      lambdaContext('createTransition'),
    );

    // Assert
    expect(response.statusCode).toBe(202);
    expect(rows.get(String(bodyOf(response).request_id))).toMatchObject({
      owner: 'acme',
      keyId: 'key-0123456789abcdef',
    });
  });

  it('accepts an s3:// frame in the framebridge bucket', async () => {
    // Arrange
    objects.set(`uploads/${OWNER}/first.png`, pngHeader(960, 540));

    // Act
    const response = await createTransition(
      postEvent({ ...validBody, first_frame_url: `s3://${BUCKET}/uploads/${OWNER}/first.png` }),
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
      /a frame this tenant uploaded/,
    ],
    ['a JSON array', [validBody], 'body', /JSON object/],
  ])('answers 400 invalid_request naming the field for %s, writing nothing', async (_case, body, field, rule) => {
    // Act
    const response = await createTransition(postEvent(body), lambdaContext('createTransition'));

    // Assert
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.error_code).toBe('invalid_request');
    expect(error.error).toContain(field);
    expect(error.details).toContainEqual({ field, rule: expect.stringMatching(rule) });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ['text/plain', { host: HOST, 'content-type': 'text/plain' }],
    ['no content-type', { host: HOST }],
  ])('answers 415 for %s', async (_case, headers) => {
    // Act
    const response = await createTransition(
      postEvent(validBody, { onlyHeaders: headers }),
      lambdaContext('createTransition'),
    );

    // Assert
    expect(response.statusCode).toBe(415);
    expect(errorOf(response)).toMatchObject({ error_code: 'unsupported_media_type' });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('accepts a content-type with a charset, in any header case', async () => {
    // Act
    const response = await createTransition(
      postEvent(validBody, { onlyHeaders: { Host: HOST, 'Content-Type': 'Application/JSON; charset=utf-8' } }),
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
    expect(errorOf(response)).toMatchObject({ error_code: 'invalid_json' });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 401 without an API key id', async () => {
    // Act
    const response = await createTransition(postEvent(validBody, { owner: null }), lambdaContext('createTransition'));

    // Assert
    expect(response.statusCode).toBe(401);
    expect(errorOf(response)).toMatchObject({ error_code: 'unauthorized' });
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
    expect(errorOf(response)).toEqual({ error: 'Internal server error', error_code: 'internal_error', details: [] });
    expect(response.body).not.toContain('AccessDenied');
    expect(response.body).not.toContain('arn:aws');
    const [stored] = [...rows.values()];
    expect(stored).toMatchObject({ status: 'FAILED', phase: 'failed', error: { code: 'internal_error' } });
    expect(updatesSent(ddb).filter((update) => update.Key?.id === stored?.id)).toHaveLength(1);
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 0 });
  });
});

describe('Handler: POST /v2/pixverse-5-transition over a spend limit', () => {
  it('answers 429 naming the active-jobs cap, with Retry-After, storing and starting nothing', async () => {
    // Arrange
    usage.set(OWNER, { activeCount: 20, day: new Date().toISOString().slice(0, 10), dayCount: 20 });

    // Act
    const response = await submit(validBody, 'order-42');

    // Assert
    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'retry-after': '30' });
    expect(errorOf(response)).toEqual({
      error_code: 'tenant_limit_exceeded',
      error: expect.stringMatching(/active jobs limit of 20 is reached/),
      details: [{ field: 'maxActiveJobs', rule: 'at most 20 active (queued or running) jobs at a time' }],
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(rows.size).toBe(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it("holds the tenant to its key's own daily quota: 429 with Retry-After until the next UTC midnight", async () => {
    // Arrange
    const now = new Date();
    usage.set(OWNER, { activeCount: 0, day: now.toISOString().slice(0, 10), dayCount: 2 });
    const untilMidnight =
      (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;

    // Act
    const response = await createTransition(
      postEvent(validBody, { limits: { maxJobsPerDay: 2 } }),
      lambdaContext('createTransition'),
    );

    // Assert
    expect(response.statusCode).toBe(429);
    const retryAfter = Number(response.headers?.['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(untilMidnight) - 5);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(untilMidnight));
    expect(errorOf(response)).toMatchObject({
      error_code: 'tenant_limit_exceeded',
      details: [{ field: 'maxJobsPerDay', rule: 'at most 2 jobs per UTC day' }],
    });
    expect(rows.size).toBe(0);
  });

  it('answers an idempotent replay 202 at the limits, without counting it', async () => {
    // Arrange
    const first = bodyOf(await submit(validBody, 'order-42'));
    const counted = structuredClone(usage.get(OWNER));
    usage.set(OWNER, { activeCount: 20, day: String(counted?.day), dayCount: 1000 });

    // Act
    const response = await submit(validBody, 'order-42');

    // Assert
    expect(response.statusCode).toBe(202);
    expect(response.headers).toMatchObject({ 'idempotent-replayed': 'true' });
    expect(bodyOf(response).request_id).toBe(first.request_id);
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 20, dayCount: 1000 });
  });
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
      executionName: expect.stringMatching(new RegExp(`^${id}-[0-9A-HJKMNP-TV-Z]{26}$`)),
    });
    expect(startsSent()).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, name: rows.get(id)?.executionName, input: JSON.stringify({ jobId: id }) },
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
    // Arrange: the job was written, but its execution never started (a record
    // from before execution names were stored: its execution is named after it).
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
      error_code: 'idempotency_conflict',
      error: expect.stringMatching(/Idempotency-Key was already used .* with a different body/),
      details: [],
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
    expect(ddb.commandCalls(GetCommand).filter((call) => call.args[0].input.Key?.id === id)).toHaveLength(2);
    expect(startsSent()).toHaveLength(1);
    // The loser's slot went back: nothing stays counted for the one job.
    expect(usage.get(OWNER)).toMatchObject({ activeCount: 0, dayCount: 0 });
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
  const s3Body = (first: string, last = `uploads/${OWNER}/last.png`) => ({
    ...validBody,
    first_frame_url: `s3://${BUCKET}/${first}`,
    last_frame_url: `s3://${BUCKET}/${last}`,
  });

  beforeEach(() => {
    objects.set(`uploads/${OWNER}/last.png`, pngHeader(960, 540));
  });

  const expectRefused = (response: APIGatewayProxyResult, issues: { field: string; rule: RegExp }[]) => {
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.error_code).toBe('invalid_request');
    expect(error.details).toEqual(issues.map(({ field, rule }) => ({ field, rule: expect.stringMatching(rule) })));
    for (const { field } of issues) expect(error.error).toContain(field);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(startsSent()).toEqual([]);
  };

  it('reads only the head and the tail of each frame: HeadObject, the first 64 KiB, the last 16 bytes', async () => {
    // Arrange
    objects.set(`uploads/${OWNER}/first.png`, pngHeader(1280, 720));

    // Act
    const response = await submit(s3Body(`uploads/${OWNER}/first.png`));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(
      s3Mock
        .commandCalls(HeadObjectCommand)
        .map((c) => c.args[0].input.Key)
        .sort(),
    ).toEqual([`uploads/${OWNER}/first.png`, `uploads/${OWNER}/last.png`]);
    expect(
      s3Mock
        .commandCalls(GetObjectCommand)
        .map((c) => c.args[0].input)
        .sort((a, b) => `${a.Key}${a.Range}`.localeCompare(`${b.Key}${b.Range}`)),
    ).toEqual([
      { Bucket: BUCKET, Key: `uploads/${OWNER}/first.png`, Range: 'bytes=0-65535' },
      { Bucket: BUCKET, Key: `uploads/${OWNER}/first.png`, Range: 'bytes=29-44' },
      { Bucket: BUCKET, Key: `uploads/${OWNER}/last.png`, Range: 'bytes=0-65535' },
      { Bucket: BUCKET, Key: `uploads/${OWNER}/last.png`, Range: 'bytes=29-44' },
    ]);
  });

  it('refuses a PNG cut off after its header (it would be paid for, then fail upstream)', async () => {
    // Arrange: the first 100 bytes of a real-looking PNG, no IEND
    const cut = new Uint8Array(100);
    cut.set(pngHeader(640, 360).subarray(0, 33));
    objects.set(`uploads/${OWNER}/cut.png`, cut);

    // Act / Assert
    expectRefused(await submit(s3Body(`uploads/${OWNER}/cut.png`)), [
      { field: 'first_frame_url', rule: /must be a complete PNG image \(it is cut off\)/ },
    ]);
  });

  it('refuses a frame that does not exist, as any frame outside the tenant’s uploads', async () => {
    expectRefused(await submit(s3Body(`uploads/${OWNER}/missing.png`)), [
      { field: 'first_frame_url', rule: /^must be an s3:\/\/ URI of a frame this tenant uploaded/ },
    ]);
  });

  it('refuses a frame HeadObject answers 403 for (no list permission: the same as missing)', async () => {
    // Arrange
    s3Mock
      .on(HeadObjectCommand, { Key: `uploads/${OWNER}/hidden.png` })
      .rejects(Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } }));

    // Act / Assert
    expectRefused(await submit(s3Body(`uploads/${OWNER}/hidden.png`)), [
      { field: 'first_frame_url', rule: /^must be an s3:\/\/ URI of a frame this tenant uploaded/ },
    ]);
  });

  it('refuses a frame over 20 MB without reading it', async () => {
    // Arrange
    const big = new Uint8Array(20 * 1024 * 1024 + 1);
    big.set(pngHeader(100, 100));
    objects.set(`uploads/${OWNER}/big.png`, big);

    // Act / Assert
    expectRefused(await submit(s3Body(`uploads/${OWNER}/big.png`)), [
      { field: 'first_frame_url', rule: /must be at most 20 MB, 20971520 bytes \(.* is 20971521 bytes\)/ },
    ]);
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).not.toContain(
      `uploads/${OWNER}/big.png`,
    );
  });

  it('refuses an object that is not an image, whatever its name', async () => {
    // Arrange
    objects.set(`uploads/${OWNER}/notes.png`, new TextEncoder().encode('these are my notes, not a picture'));

    // Act / Assert
    expectRefused(await submit(s3Body(`uploads/${OWNER}/notes.png`)), [
      { field: 'first_frame_url', rule: /^must be a PNG, JPEG or WebP image$/ },
    ]);
  });

  it('refuses an empty object', async () => {
    objects.set(`uploads/${OWNER}/empty.png`, new Uint8Array());

    expectRefused(await submit(s3Body(`uploads/${OWNER}/empty.png`)), [
      { field: 'first_frame_url', rule: /must not be an empty/ },
    ]);
  });

  it('refuses a frame over 10000 px a side, and names both fields when both are bad', async () => {
    // Arrange
    objects.set(`uploads/${OWNER}/wide.png`, pngHeader(12_000, 100));
    objects.set(`uploads/${OWNER}/tall.png`, pngHeader(100, 10_001));

    // Act / Assert
    expectRefused(await submit(s3Body(`uploads/${OWNER}/wide.png`, `uploads/${OWNER}/tall.png`)), [
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
    objects.set(`uploads/${OWNER}/camera.jpg`, jpeg);

    // Act
    const response = await submit(s3Body(`uploads/${OWNER}/camera.jpg`));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(
      s3Mock
        .commandCalls(GetObjectCommand)
        .filter((c) => c.args[0].input.Key === `uploads/${OWNER}/camera.jpg`)
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
    const response = await submit(s3Body(`uploads/${OWNER}/last.png`));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('checks frames once per idempotent job: a replay does not read them again', async () => {
    // Arrange
    await submit(s3Body(`uploads/${OWNER}/last.png`), 'frames-once');
    objects.delete(`uploads/${OWNER}/last.png`);
    s3Mock.resetHistory();

    // Act
    const again = await submit(s3Body(`uploads/${OWNER}/last.png`), 'frames-once');

    // Assert
    expect(again.statusCode).toBe(202);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('is what notFound() models: S3’s bodiless 404', () => {
    expect(notFound()).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });
});
