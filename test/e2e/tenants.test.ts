import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdFor } from '../../lambdas/core/tenants';
import { localJobsClient, uploadExampleFrames } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';

/** acme holds two keys, globex one. */
const ACME_1 = 'k1';
const ACME_2 = 'k2';
const GLOBEX = 'k3';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('E2E: tenants and their keys on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let jobs: DynamoDBDocumentClient;
  let frames: Record<string, { first: string; last: string }>;

  async function api(
    route: string,
    options: { key?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const response = await fetch(`${stack.endpoints.apiUrl}${route}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(options.key === undefined ? {} : { 'x-api-key': options.key }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Submits a short job with the key, on frames under its tenant's uploads; answers the request id. */
  async function submit(key: string, prompt: string, headers: Record<string, string> = {}): Promise<string> {
    const tenant = stack.ownerOf(key);
    const tenantFrames = frames[tenant];
    if (!tenantFrames) throw new Error(`no frames for ${tenant}`);
    const answer = await api('/v2/pixverse-5-transition', {
      key,
      headers,
      body: { prompt, first_frame_url: tenantFrames.first, last_frame_url: tenantFrames.last, quality: '360p' },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    return String(answer.body.request_id);
  }

  async function finish(id: string) {
    const executions = stack.stepFunctions.ofJob(stack.endpoints.stateMachineArn, id);
    for (const execution of executions) await execution.done;
  }

  const listedIds = async (key: string) => {
    const answer = await api('/v2/requests?limit=100', { key });
    expect(answer.status).toBe(200);
    return (answer.body.requests as { request_id: string }[]).map((request) => request.request_id);
  };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-tenants-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [`acme:${ACME_1}`, `acme:${ACME_2}`, `globex:${GLOBEX}`],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    jobs = localJobsClient(stack.endpoints);
    frames = {
      acme: await uploadExampleFrames(stack.endpoints, 'acme', 'e2e-tenants'),
      globex: await uploadExampleFrames(stack.endpoints, 'globex', 'e2e-tenants'),
    };
  });

  afterAll(async () => {
    jobs?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('reads FRAMEBRIDGE_API_KEYS tenant:key entries: two tenants, acme with two keys', () => {
    expect([ACME_1, ACME_2, GLOBEX].map((key) => stack.ownerOf(key))).toEqual(['acme', 'acme', 'globex']);
    // endpoints.json lists the keys without their tenants.
    expect(stack.endpoints.apiKeys).toEqual([ACME_1, ACME_2, GLOBEX]);
  });

  it('answers 401 without a key and 403 for a key it does not know, each with a JSON error', async () => {
    expect(await api('/v2/requests')).toEqual({
      status: 401,
      body: { error: 'An x-api-key header is required', error_code: 'unauthorized', details: [] },
    });
    expect(await api('/v2/requests', { key: 'acme:k1' })).toEqual({
      status: 403,
      body: { error: 'The x-api-key is unknown or revoked', error_code: 'forbidden', details: [] },
    });
  });

  it('shows a tenant the same jobs through both of its keys, and another tenant none of them', async () => {
    // Arrange
    const fromFirstKey = await submit(ACME_1, 'acme, first key');
    const fromSecondKey = await submit(ACME_2, 'acme, second key');

    // Act
    const [listedByFirst, listedBySecond, listedByGlobex] = await Promise.all(
      [ACME_1, ACME_2, GLOBEX].map((key) => listedIds(key)),
    );

    // Assert: one tenant, one history, newest first.
    expect(listedByFirst).toEqual([fromSecondKey, fromFirstKey]);
    expect(listedBySecond).toEqual(listedByFirst);
    expect(listedByGlobex).toEqual([]);
    for (const [id, key] of [
      [fromFirstKey, ACME_2],
      [fromSecondKey, ACME_1],
    ] as const) {
      const status = await api(`/v2/requests/${id}/status`, { key });
      expect(status.status).toBe(200);
      expect(status.body.request_id).toBe(id);
    }
    const record = await jobs.send(
      new GetCommand({ TableName: stack.endpoints.jobsTable, Key: { id: fromSecondKey } }),
    );
    expect(record.Item?.owner).toBe('acme');

    // The result, once there, too: through either key, and never through the other tenant's.
    await finish(fromFirstKey);
    await finish(fromSecondKey);
    const result = await api(`/v2/requests/${fromFirstKey}`, { key: ACME_2 });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'COMPLETED', output: { video_url: expect.stringMatching(/^http/) } });
    for (const [route, method] of [
      [`/v2/requests/${fromFirstKey}/status`, 'GET'],
      [`/v2/requests/${fromFirstKey}`, 'GET'],
      [`/v2/requests/${fromFirstKey}`, 'DELETE'],
    ] as const) {
      const answer = await api(route, { key: GLOBEX, method });
      expect(answer.status, `${method} ${route}`).toBe(404);
      expect(answer.body.error_code).toBe('not_found');
    }
  });

  it("keeps the other tenant's jobs its own", async () => {
    // Arrange
    const globexJob = await submit(GLOBEX, 'globex alone');

    // Act
    const [acmeView, globexView] = await Promise.all([
      api(`/v2/requests/${globexJob}/status`, { key: ACME_1 }),
      api(`/v2/requests/${globexJob}/status`, { key: GLOBEX }),
    ]);

    // Assert
    expect(acmeView.status).toBe(404);
    expect(globexView.status).toBe(200);
    expect(await listedIds(ACME_2)).not.toContain(globexJob);
    expect(await listedIds(GLOBEX)).toEqual([globexJob]);
    await finish(globexJob);
  });

  it("scopes an Idempotency-Key to the tenant: acme's two keys replay one job, globex gets its own", async () => {
    // Arrange
    const headers = { 'Idempotency-Key': 'tenant-scoped-1' };

    // Act
    const first = await submit(ACME_1, 'same request', headers);
    const replayed = await submit(ACME_2, 'same request', headers);
    const globexOwn = await submit(GLOBEX, 'same request', headers);

    // Assert
    expect(replayed).toBe(first);
    expect(globexOwn).not.toBe(first);
    expect(await listedIds(GLOBEX)).toContain(globexOwn);
    expect(await listedIds(GLOBEX)).not.toContain(first);
    await finish(first);
    await finish(globexOwn);
  });

  it('records the development keys hashed, under their key ids', async () => {
    const keys = localJobsClient(stack.endpoints);
    try {
      const { Item } = await keys.send(
        new GetCommand({ TableName: stack.endpoints.keysTable, Key: { keyId: keyIdFor(ACME_2) } }),
      );
      expect(Item).toMatchObject({ keyId: keyIdFor(ACME_2), tenantId: 'acme', status: 'active' });
      expect(Object.values(Item ?? {})).not.toContain(ACME_2);
    } finally {
      keys.destroy();
    }
  });
});
