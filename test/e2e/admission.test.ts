import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMISSION_ITEM_ID, readAdmission } from '../../lambdas/adapters/upstreamAdmission';
import { STATE_NAMES } from '../../lambdas/core/contract/states';
import { localJobsClient, uploadExampleFrames } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';

const API_KEY = 'e2e-admission-key';
const JOB_TIMEOUT_MS = 60_000;

type Status = { status: string; phase: string; error_code?: string };

/**
 * Admission control on the local stack: one upstream slot for the whole
 * deployment, so jobs wait their turn (QUEUED, waiting_for_capacity) without
 * calling the upstream, start in order of arrival, and every slot comes back.
 */
describe('E2E: admission control on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let jobs: DynamoDBDocumentClient;
  let frames: { first: string; last: string };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-e2e-admission-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulator: { latencySeconds: 2, maxConcurrentJobs: 1 },
      pollFirstSeconds: 2,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      lambdaEnvironment: {
        FRAMEBRIDGE_UPSTREAM_CONCURRENCY: '1',
        FRAMEBRIDGE_UPSTREAM_RPM: '600',
        FRAMEBRIDGE_UPSTREAM_LEASE_S: '3',
      },
    });
    jobs = localJobsClient(stack.endpoints);
    frames = await uploadExampleFrames(stack.endpoints, stack.ownerOf(API_KEY), 'admission');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const api = async (url: string, init?: RequestInit) => {
    const response = await fetch(url, {
      ...init,
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const submit = async (prompt: string) => {
    const answer = await api(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      body: JSON.stringify({ prompt, first_frame_url: frames.first, last_frame_url: frames.last, quality: '360p' }),
    });
    expect(answer.status).toBe(202);
    return { id: String(answer.body.request_id), statusUrl: String(answer.body.status_url) };
  };
  /** Polls the status every 100 ms to the end, keeping every phase seen. */
  const follow = async (statusUrl: string) => {
    const phases = new Set<string>();
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const { body } = await api(statusUrl);
      const status = body as unknown as Status;
      phases.add(`${status.status}/${status.phase}`);
      if (status.status === 'COMPLETED' || status.status === 'FAILED') return { final: status, phases };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${statusUrl} did not end`);
  };

  it('queues jobs beyond the slot without calling the upstream, starts them in order, and frees every slot', async () => {
    const submitted: { id: string; statusUrl: string }[] = [];
    for (let index = 0; index < 3; index++) {
      submitted.push(await submit(`admission order ${index}`));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const followed = await Promise.all(submitted.map((job) => follow(job.statusUrl)));
    await stack.idle();

    for (const { final } of followed) expect(final.status).toBe('COMPLETED');
    // The later jobs waited, visibly, and the upstream never refused anyone.
    expect(followed[2]?.phases.has('QUEUED/waiting_for_capacity')).toBe(true);
    const emulator = stack.emulator;
    expect(emulator?.peakConcurrentJobs()).toBe(1);
    expect(emulator?.submitRequests()).toBe(3);
    // Order of arrival: the upstream saw the prompts in the order the jobs were created.
    expect(emulator?.jobs().map((job) => job.body.prompt)).toEqual([
      'admission order 0',
      'admission order 1',
      'admission order 2',
    ]);
    // Waiting took extra states only for the jobs that waited.
    const runOf = (index: number) =>
      stack.stepFunctions.ofJob(stack.endpoints.stateMachineArn, submitted[index]?.id ?? '')[0];
    const [firstRun, lastRun] = [runOf(0), runOf(2)];
    const entered = (run: typeof firstRun) =>
      (run?.history ?? []).filter((event) => event.type.endsWith('Entered')).map((event) => event.stateName);
    expect(entered(firstRun)).not.toContain(STATE_NAMES.waitForCapacity);
    expect(entered(lastRun)).toContain(STATE_NAMES.waitForCapacity);
    expect(
      Object.keys((await readAdmission({ doc: jobs, tableName: stack.endpoints.jobsTable }))?.slots ?? {}),
    ).toEqual([]);
  }, 120_000);

  it('gives a leaked slot back when its lease ends', async () => {
    const store = { doc: jobs, tableName: stack.endpoints.jobsTable };
    const before = await readAdmission(store);
    // A slot whose job died without releasing it: held for the next 2 s only.
    await jobs.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          id: ADMISSION_ITEM_ID,
          ...(before ?? { tokens: 1, refilledAt: Date.now(), rateFactor: 1, slowUntil: 0, version: 0 }),
          slots: { 'leaked-job': Date.now() + 2_000 },
          version: (before?.version ?? 0) + 1,
        },
      }),
    );
    const started = Date.now();
    const job = await submit('admission after a leak');
    const { final, phases } = await follow(job.statusUrl);
    await stack.idle();

    expect(final.status).toBe('COMPLETED');
    expect(phases.has('QUEUED/waiting_for_capacity')).toBe(true);
    // It could only be admitted once the leaked lease had run out.
    const record = await jobs.send(new GetCommand({ TableName: store.tableName, Key: { id: job.id } }));
    expect(Date.parse(String(record.Item?.admittedAt))).toBeGreaterThanOrEqual(started + 1_500);
    expect(Object.keys((await readAdmission(store))?.slots ?? {})).toEqual([]);
  }, 120_000);

  it('releases the slot of a job cancelled while it runs upstream', async () => {
    const job = await submit('admission cancelled');
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const { body } = await api(job.statusUrl);
      if (body.phase === 'submitted' || body.phase === 'generating') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cancelled = await api(`${stack.endpoints.apiUrl}/v2/requests/${job.id}`, { method: 'DELETE' });
    expect(cancelled.status).toBeLessThan(300);
    await stack.idle();
    const store = { doc: jobs, tableName: stack.endpoints.jobsTable };
    expect(Object.keys((await readAdmission(store))?.slots ?? {})).toEqual([]);
  }, 120_000);
});
