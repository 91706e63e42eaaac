import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putNewKey } from '../../lambdas/adapters/keyStore';
import { tenantUsageId } from '../../lambdas/adapters/tenantUsage';
import { secondsUntilNextUtcDay, utcDay } from '../../lambdas/core/spendLimits';
import { newKeyRecord } from '../../lambdas/core/tenants';
import { localJobsClient, localS3Client, uploadExampleFrames } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
/** The emulator keeps a job with this in its prompt PROCESSING until it is cancelled. */
const NEVER_FINISH = '[never-finishes]';
/** The emulator fails a job with this in its prompt. */
const FAILS = '[upstream-fails]';
const ACME_KEY = 'acme-key-1';
/** A key of its own tenant with its own daily quota, stored in the keys table. */
const GLOBEX_KEY = 'globex-key-1';
const CAP = 5;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('E2E: spend limits per tenant on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let s3: S3Client;
  let jobs: DynamoDBDocumentClient;
  let acmeFrames: { first: string; last: string };
  let globexFrames: { first: string; last: string };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-limits-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [`acme:${ACME_KEY}`],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        scenario: (request) => {
          const prompt = String(request.prompt ?? '');
          if (prompt.includes(NEVER_FINISH)) return { neverFinish: true };
          if (prompt.includes(FAILS)) return { fail: 'Content moderation: the prompt was rejected' };
          return undefined;
        },
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      lambdaEnvironment: { FRAMEBRIDGE_MAX_ACTIVE_JOBS: String(CAP) },
    });
    const { endpoints } = stack;
    s3 = localS3Client(endpoints);
    jobs = localJobsClient(endpoints);
    const keyRecord = newKeyRecord(GLOBEX_KEY, 'globex', new Date(), { maxJobsPerDay: 2 });
    expect(await putNewKey({ doc: jobs, tableName: endpoints.keysTable }, keyRecord)).toBe(true);
    acmeFrames = await uploadExampleFrames(endpoints, 'acme', 'limits');
    globexFrames = await uploadExampleFrames(endpoints, 'globex', 'limits');
  });

  afterAll(async () => {
    s3?.destroy();
    jobs?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function api(
    route: string,
    options: { key: string; method?: string; body?: unknown; idempotencyKey?: string },
  ) {
    const response = await fetch(`${stack.endpoints.apiUrl}${route}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        'x-api-key': options.key,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return { status: response.status, headers: response.headers, body: await response.json() } as Answer;
  }

  const transition = (prompt: string, framesOf: { first: string; last: string }) => ({
    prompt,
    first_frame_url: framesOf.first,
    last_frame_url: framesOf.last,
    quality: '360p',
  });
  const submit = (key: string, body: unknown, idempotencyKey?: string) =>
    api('/v2/pixverse-5-transition', { key, body, idempotencyKey });
  const submitAcme = (prompt: string) => submit(ACME_KEY, transition(prompt, acmeFrames));
  const idOf = (answer: Answer) => String(answer.body.request_id);
  const executions = () => stack.stepFunctions.list(stack.endpoints.stateMachineArn).length;
  const submissions = () => stack.emulator?.submissions() ?? 0;
  const usageOf = async (tenant: string) =>
    (await jobs.send(new GetCommand({ TableName: stack.endpoints.jobsTable, Key: { id: tenantUsageId(tenant) } })))
      .Item;

  /** Polls a job's status until `done` holds (the jobs run in this process: seconds at most). */
  async function waitFor(key: string, id: string, done: (status: Record<string, unknown>) => boolean) {
    for (let attempt = 0; attempt < 600; attempt++) {
      const { body } = await api(`/v2/requests/${id}/status`, { key });
      if (done(body)) return body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`request ${id} never reached the awaited status`);
  }
  // A job that lost the admission race for a moment waits for capacity before its submit: not submitted yet.
  const submitted = (status: Record<string, unknown>) =>
    !['queued', 'submitting', 'waiting_for_capacity'].includes(String(status.phase));
  const ended = (status: Record<string, unknown>) => status.status === 'COMPLETED' || status.status === 'FAILED';

  it('starts exactly 5 of a burst of 50 concurrent submits against a cap of 5; the other 45 get 429 with Retry-After', async () => {
    // Arrange
    const before = { executions: executions(), submissions: submissions() };

    // Act
    const answers = await Promise.all(Array.from({ length: 50 }, () => submitAcme(`${NEVER_FINISH} burst`)));

    // Assert
    const accepted = answers.filter((answer) => answer.status === 202);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(accepted).toHaveLength(CAP);
    expect(refused).toHaveLength(50 - CAP);
    for (const answer of refused) {
      expect(answer.headers.get('retry-after')).toBe('30');
      expect(answer.body).toEqual({
        error: expect.stringMatching(/active jobs limit of 5 is reached/),
        error_code: 'tenant_limit_exceeded',
        details: [{ field: 'maxActiveJobs', rule: 'at most 5 active (queued or running) jobs at a time' }],
      });
    }
    for (const answer of accepted) await waitFor(ACME_KEY, idOf(answer), submitted);
    expect(executions() - before.executions).toBe(CAP);
    expect(submissions() - before.submissions).toBe(CAP);
    const listed = await api('/v2/requests?limit=100', { key: ACME_KEY });
    const listedIds = (listed.body.requests as { request_id: string }[]).map((request) => request.request_id);
    expect(listedIds.sort()).toEqual(accepted.map(idOf).sort());
    expect(await usageOf('acme')).toMatchObject({ activeCount: CAP, dayCount: CAP });
  });

  it('accepts new submits once jobs end: cancelled, completed and failed jobs each give their slot back', async () => {
    // Arrange: the burst's five jobs still hold every slot.
    expect((await submitAcme('one too many')).status).toBe(429);
    const running = (await api('/v2/requests?limit=100', { key: ACME_KEY })).body.requests as { request_id: string }[];

    // Act / Assert: cancelling frees the slots.
    for (const { request_id: id } of running) {
      expect((await api(`/v2/requests/${id}`, { key: ACME_KEY, method: 'DELETE' })).status).toBe(200);
    }
    expect(await usageOf('acme')).toMatchObject({ activeCount: 0 });
    const completing = await Promise.all(Array.from({ length: CAP }, () => submitAcme('dawn to dusk')));
    expect(completing.map((answer) => answer.status)).toEqual(Array(CAP).fill(202));
    expect((await submitAcme('one too many')).status).toBe(429);

    // Act / Assert: completed jobs free theirs.
    for (const answer of completing) {
      expect(await waitFor(ACME_KEY, idOf(answer), ended)).toMatchObject({ status: 'COMPLETED' });
    }
    const failing = await Promise.all(Array.from({ length: CAP }, () => submitAcme(`${FAILS} dusk`)));
    expect(failing.map((answer) => answer.status)).toEqual(Array(CAP).fill(202));

    // Act / Assert: failed jobs free theirs.
    for (const answer of failing) {
      expect(await waitFor(ACME_KEY, idOf(answer), ended)).toMatchObject({ status: 'FAILED' });
    }
    const after = await submitAcme('dawn to dusk');
    expect(after.status).toBe(202);
    await waitFor(ACME_KEY, idOf(after), ended);
    expect(await usageOf('acme')).toMatchObject({ activeCount: 0, dayCount: 3 * CAP + 1 });
  });

  it("answers 429 over a key's daily quota until the next UTC midnight; a replay still answers, and ended jobs do not give the day back", async () => {
    // Arrange
    const first = await submit(GLOBEX_KEY, transition('globex one', globexFrames), 'globex-order-1');
    const second = await submit(GLOBEX_KEY, transition('globex two', globexFrames));
    expect([first.status, second.status]).toEqual([202, 202]);

    // Act
    const refused = await submit(GLOBEX_KEY, transition('globex three', globexFrames));
    const expectedWait = secondsUntilNextUtcDay(new Date());

    // Assert
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(expectedWait - 10);
    expect(retryAfter).toBeLessThanOrEqual(expectedWait + 1);
    expect(refused.body).toEqual({
      error: expect.stringMatching(/daily jobs limit of 2 is reached: retry after 00:00 UTC/),
      error_code: 'tenant_limit_exceeded',
      details: [{ field: 'maxJobsPerDay', rule: 'at most 2 jobs per UTC day' }],
    });
    const replay = await submit(GLOBEX_KEY, transition('globex one', globexFrames), 'globex-order-1');
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(idOf(replay)).toBe(idOf(first));

    for (const answer of [first, second]) await waitFor(GLOBEX_KEY, idOf(answer), ended);
    expect((await submit(GLOBEX_KEY, transition('globex three', globexFrames))).status).toBe(429);
    expect(await usageOf('globex')).toMatchObject({ activeCount: 0, day: utcDay(new Date()), dayCount: 2 });
    // Another tenant's quota is its own: acme is not held to globex's.
    expect(await usageOf('acme')).toMatchObject({ activeCount: 0 });
  });

  it("answers a manifest over the intake tenant's limits in outbox/<name>.error.json, starting nothing", async () => {
    // Arrange: the intake tenant's every slot is taken.
    const { bucket, jobsTable } = stack.endpoints;
    for (const name of ['first.png', 'last.png']) {
      const body = await readFile(path.join(frames, name));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `inbox/frames/${name}`, Body: body }));
    }
    const today = utcDay(new Date());
    await jobs.send(
      new PutCommand({
        TableName: jobsTable,
        Item: { id: tenantUsageId('intake'), tenantId: 'intake', activeCount: CAP, day: today, dayCount: CAP },
      }),
    );
    await stack.idle();
    const before = { executions: executions(), submissions: submissions() };
    const manifest = { prompt: 'inbox clip', first_frame_url: 'frames/first.png', last_frame_url: 'frames/last.png' };

    // Act
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'inbox/limited.json', Body: JSON.stringify(manifest) }));
    for (let attempt = 0; attempt < 200; attempt++) {
      const written = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'outbox/limited.error.json' })).then(
        () => true,
        () => false,
      );
      if (written) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stack.idle();

    // Assert
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'outbox/limited.error.json' }));
    expect(JSON.parse((await answer.Body?.transformToString()) ?? '')).toMatchObject({
      error: {
        code: 'tenant_limit_exceeded',
        details: [{ field: 'maxActiveJobs', rule: 'at most 5 active (queued or running) jobs at a time' }],
        retry_after_seconds: 30,
      },
      manifest_key: 'inbox/limited.json',
    });
    expect(executions()).toBe(before.executions);
    expect(submissions()).toBe(before.submissions);
    expect(await usageOf('intake')).toMatchObject({ activeCount: CAP, dayCount: CAP });
  });
});
