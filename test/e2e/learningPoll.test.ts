import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLatencies, recordLatency } from '../../lambdas/adapters/latencyStatsStore';
import { defaultPollSettings, firstWaitSeconds } from '../../lambdas/core/pollPlan';
import { localJobsClient, uploadExampleFrames } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';

const API_KEY = 'e2e-learning-key';
const LATENCY_SECONDS = 3;
const REQUEST = { quality: '360p' as const, duration: 5 as const };

/**
 * The learning poll plan on the local stack, with the emulator's poll
 * shortcut off, as against the real Segmind: given a history of ~3 s jobs the
 * workflow polls at about 3 s, not at the static plan's 55 s, watches the job
 * inside Check Status, and learns each finished job's exact latency from the
 * upstream's own timing.
 */
describe('E2E: the learning poll plan on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let frames: { first: string; last: string };
  let store: { doc: ReturnType<typeof localJobsClient>; tableName: string };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-e2e-learning-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulator: { latencySeconds: LATENCY_SECONDS },
      emulatorPollShortcut: false,
    });
    store = { doc: localJobsClient(stack.endpoints), tableName: stack.endpoints.jobsTable };
    frames = await uploadExampleFrames(stack.endpoints, stack.ownerOf(API_KEY), 'learning');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const submitAndWait = async (prompt: string) => {
    const started = Date.now();
    const submitted = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, first_frame_url: frames.first, last_frame_url: frames.last, ...REQUEST }),
    });
    expect(submitted.status).toBe(202);
    const { status_url: statusUrl } = (await submitted.json()) as { status_url: string };
    for (;;) {
      const body = (await (await fetch(statusUrl, { headers: { 'x-api-key': API_KEY } })).json()) as {
        status: string;
      };
      if (body.status === 'COMPLETED' || body.status === 'FAILED')
        return { ...body, seconds: (Date.now() - started) / 1000 };
      if (Date.now() - started > 45_000) throw new Error(`${prompt} did not end within 45 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('polls a job when its history says it is done, far sooner than the static guess, and learns its exact latency', async () => {
    // Arrange: four earlier jobs of the same quality and duration took 2.8–3.4 s
    for (const seconds of [2.8, 3, 3.2, 3.4]) await recordLatency(store, REQUEST, { lo: seconds, hi: seconds });
    expect(firstWaitSeconds(REQUEST, defaultPollSettings)).toBeGreaterThan(50);

    // Act
    const first = await submitAndWait('learned once');
    const second = await submitAndWait('learned twice');

    // Assert: done within the upstream's latency and a few seconds, not the static plan's 55 s
    expect(first).toMatchObject({ status: 'COMPLETED' });
    expect(second).toMatchObject({ status: 'COMPLETED' });
    expect(first.seconds).toBeLessThan(LATENCY_SECONDS + 8);
    expect(second.seconds).toBeLessThan(LATENCY_SECONDS + 8);
    // Each job taught the plan its latency, exactly (the emulator reports Segmind-like total_time).
    const history = await readLatencies(store, REQUEST);
    expect(history).toHaveLength(6);
    for (const observation of history.slice(4)) {
      expect(observation.lo).toBe(observation.hi);
      expect(observation.hi).toBeGreaterThanOrEqual(LATENCY_SECONDS);
      expect(observation.hi).toBeLessThan(LATENCY_SECONDS + 3);
    }
  }, 120_000);
});
