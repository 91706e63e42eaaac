import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { UPSTREAM_STATUS_TABLE, type UpstreamStatus } from '../../../lambdas/core/contract/upstreamStatus';
import { resolveFfmpeg } from '../../../local/emulator/ffmpeg';
import { frameColour, probeVideo } from '../../../local/emulator/probe';
import { runTool } from '../../../local/emulator/run-tool';
import { type EmulatorScenario, type SegmindEmulator, startSegmindEmulator } from '../../../local/emulator/server';

/** A status after which Segmind's job is still running (the status table's `wait`). */
const isPending = (status: string): boolean =>
  Object.hasOwn(UPSTREAM_STATUS_TABLE, status) && UPSTREAM_STATUS_TABLE[status as UpstreamStatus].next === 'wait';

const API_KEY = 'test-key';
const RED_URL = 'https://frames.test/red.png';
const BLUE_URL = 'https://frames.test/blue.png';
const MISSING_URL = 'https://frames.test/missing.png';

/** Jobs pick their fault by prompt, so each test states its scenario in its request. */
const scenarios: Record<string, EmulatorScenario> = {
  'fail please': { fail: 'Content moderation rejected the prompt' },
  'expire please': { expireImmediately: true },
  'never finish': { neverFinish: true },
  'shape object': { outputShape: 'object' },
  'shape json-string': { outputShape: 'json-string' },
  'shape garbage': { outputShape: 'garbage' },
};

const submitAnswer = z.object({
  request_id: z.uuid(),
  status: z.literal('QUEUED'),
  status_url: z.url(),
  response_url: z.url(),
  poll_url: z.url(),
});
const statusAnswer = z.looseObject({ request_id: z.string(), status: z.string(), error: z.string().optional() });
const resultAnswer = z.looseObject({
  request_id: z.string(),
  status: z.string(),
  output: z.unknown(),
  metrics: z.object({ queue_time: z.number(), inference_time: z.number(), total_time: z.number() }).nullable(),
});
const errorAnswer = z.object({ error: z.string() });

async function solidPng(dir: string, colour: string): Promise<Buffer> {
  const { path: ffmpeg } = await resolveFfmpeg();
  const file = join(dir, `${colour}.png`);
  await runTool(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=${colour}:s=320x240`,
    '-frames:v',
    '1',
    file,
  ]);
  return readFile(file);
}

describe('Local: Segmind emulator', () => {
  let dir: string;
  let emulator: SegmindEmulator;
  const frames = new Map<string, Buffer>();

  const submit = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${emulator.url}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  const transition = (overrides: Record<string, unknown> = {}) => ({
    prompt: 'a red card turns blue',
    first_frame_url: RED_URL,
    last_frame_url: BLUE_URL,
    quality: '360p',
    ...overrides,
  });

  const get = (url: string) => fetch(url, { headers: { 'x-api-key': API_KEY } });

  async function accepted(body: unknown) {
    const response = await submit(body);
    expect(response.status).toBe(200);
    return submitAnswer.parse(await response.json());
  }

  /** Polls like Segmind's SDK (but faster) until the job is no longer pending; returns every status seen. */
  async function pollUntilDone(statusUrl: string, timeoutMs = 20_000) {
    const seen: string[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const response = await get(statusUrl);
      const { status } = statusAnswer.parse(await response.json());
      seen.push(status);
      if (!isPending(status)) return { seen, httpStatus: response.status };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job still ${seen.at(-1)} after ${timeoutMs} ms`);
  }

  async function downloadVideo(url: string): Promise<string> {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
    const file = join(dir, `${crypto.randomUUID()}.mp4`);
    await writeFile(file, bytes);
    return file;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emulator-test-'));
    frames.set(RED_URL, await solidPng(dir, 'red'));
    frames.set(BLUE_URL, await solidPng(dir, 'blue'));
    emulator = await startSegmindEmulator({
      apiKey: API_KEY,
      latencySeconds: 1,
      workDir: join(dir, 'work'),
      fetchFrame: async (url) => {
        const bytes = frames.get(url);
        if (!bytes) throw new Error('HTTP 404');
        return bytes;
      },
      scenario: (request) => (typeof request.prompt === 'string' ? scenarios[request.prompt] : undefined),
    });
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders a 360p 5 s transition with sound, from the first frame to the last', async () => {
    // Arrange
    const before = emulator.submissions();

    // Act
    const job = await accepted(transition());
    const { seen } = await pollUntilDone(job.status_url);
    const result = resultAnswer.parse(await (await get(job.response_url)).json());

    // Assert
    expect(job.status_url).toBe(`${emulator.url}/v2/requests/${job.request_id}/status`);
    expect(job.response_url).toBe(`${emulator.url}/v2/requests/${job.request_id}`);
    expect(job.poll_url).toBe(job.status_url);
    expect(emulator.submissions()).toBe(before + 1);
    expect(seen[0]).toBe('QUEUED');
    expect(seen).toContain('PROCESSING');
    expect(seen.at(-1)).toBe('COMPLETED');
    expect(result.status).toBe('COMPLETED');
    expect(result.output).toBe(`${emulator.url}/files/${job.request_id}.mp4`);
    // Segmind-like timing: QUEUED for a fifth of the 1 s latency, PROCESSING for the rest (longer if the render ran late).
    expect(result.metrics?.queue_time).toBe(0.2);
    expect(result.metrics?.total_time).toBeGreaterThanOrEqual(1);
    expect(result.metrics?.inference_time).toBeCloseTo((result.metrics?.total_time ?? 0) - 0.2, 6);

    const file = await downloadVideo(z.string().parse(result.output));
    const facts = await probeVideo(file);
    expect(facts.video).toMatchObject({ codec: 'h264', width: 640, height: 360, frames: 120, fps: 24 });
    expect(Math.abs(facts.durationSeconds - 5)).toBeLessThanOrEqual(0.2);
    expect(facts.audio?.codec).toBe('aac');
    expect(facts.tags.comment).toContain('seed=12345');

    const first = await frameColour(file, 0);
    const last = await frameColour(file, facts.video.frames - 1);
    expect(first.r).toBeGreaterThan(200);
    expect(first.b).toBeLessThan(60);
    expect(last.b).toBeGreaterThan(200);
    expect(last.r).toBeLessThan(60);
  }, 20_000);

  it('renders 720p 8 s without an audio track when sound is off', async () => {
    // Act
    const job = await accepted(transition({ quality: '720p', duration: 8, sound_effect_switch: false, seed: 4242 }));
    await pollUntilDone(job.status_url);
    const result = resultAnswer.parse(await (await get(job.response_url)).json());
    const facts = await probeVideo(await downloadVideo(z.string().parse(result.output)));

    // Assert
    expect(facts.video).toMatchObject({ codec: 'h264', width: 1280, height: 720, frames: 192 });
    expect(Math.abs(facts.durationSeconds - 8)).toBeLessThanOrEqual(0.2);
    expect(facts.audio).toBeUndefined();
    expect(facts.tags.comment).toContain('seed=4242');
  }, 20_000);

  it('answers the result endpoint with output null before completion', async () => {
    // Arrange
    const job = await accepted(transition({ prompt: 'never finish' }));

    // Act
    const result = await get(job.response_url);

    // Assert
    expect(result.status).toBe(200);
    expect(await result.json()).toEqual({ request_id: job.request_id, status: 'QUEUED', output: null, metrics: null });
  });

  it('answers 401 without the key or with a wrong one, and counts no submission', async () => {
    // Arrange
    const before = emulator.submissions();

    // Act
    const missing = await fetch(`${emulator.url}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(transition()),
    });
    const wrong = await submit(transition(), { 'x-api-key': 'not-the-key' });
    const status = await fetch(`${emulator.url}/v2/requests/${crypto.randomUUID()}/status`);

    // Assert
    for (const response of [missing, wrong, status]) {
      expect(response.status).toBe(401);
      expect(errorAnswer.parse(await response.json()).error).toMatch(/key/i);
    }
    expect(emulator.submissions()).toBe(before);
  });

  it('answers 400 naming the field when a required parameter is missing or invalid', async () => {
    // Arrange
    const { last_frame_url: _omitted, ...withoutLast } = transition();

    // Act
    const missing = await submit(withoutLast);
    const badQuality = await submit(transition({ quality: '4k' }));
    const notJson = await fetch(`${emulator.url}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: '{"prompt":',
    });

    // Assert
    expect(missing.status).toBe(400);
    expect(errorAnswer.parse(await missing.json()).error).toContain('last_frame_url');
    expect(badQuality.status).toBe(400);
    expect(errorAnswer.parse(await badQuality.json()).error).toContain('quality');
    expect(notJson.status).toBe(400);
  });

  it('answers 406 when the body is not JSON', async () => {
    // Act
    const response = await submit(transition(), { 'content-type': 'text/plain' });

    // Assert
    expect(response.status).toBe(406);
    expect(errorAnswer.parse(await response.json()).error).toMatch(/content-type/i);
  });

  it('serves a FAILED job as 422 with its message on both endpoints', async () => {
    // Act
    const job = await accepted(transition({ prompt: 'fail please' }));
    const { seen, httpStatus } = await pollUntilDone(job.status_url);
    const result = await get(job.response_url);

    // Assert
    expect(seen.at(-1)).toBe('FAILED');
    expect(httpStatus).toBe(422);
    expect(result.status).toBe(422);
    expect(await result.json()).toEqual({
      request_id: job.request_id,
      status: 'FAILED',
      error: 'Content moderation rejected the prompt',
    });
    expect(emulator.jobs().find((entry) => entry.requestId === job.request_id)?.status).toBe('FAILED');
  }, 10_000);

  it('fails the job with a message when a frame cannot be downloaded', async () => {
    // Act
    const job = await accepted(transition({ last_frame_url: MISSING_URL }));
    const { httpStatus } = await pollUntilDone(job.status_url);
    const status = statusAnswer.parse(await (await get(job.status_url)).json());

    // Assert
    expect(httpStatus).toBe(422);
    expect(status.error).toBe('Could not download last_frame_url: HTTP 404');
  }, 10_000);

  it('accepts 8 s at 1080p but fails it later, as Segmind does with some bad parameters', async () => {
    // Act
    const job = await accepted(transition({ quality: '1080p', duration: 8 }));
    await pollUntilDone(job.status_url);
    const status = statusAnswer.parse(await (await get(job.status_url)).json());

    // Assert
    expect(status).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/1080p/) });
  }, 10_000);

  it('answers 404 for expired and unknown request ids', async () => {
    // Arrange
    const job = await accepted(transition({ prompt: 'expire please' }));

    // Act
    const answers = await Promise.all([
      get(job.status_url),
      get(job.response_url),
      get(`${emulator.url}/v2/requests/${crypto.randomUUID()}/status`),
      get(`${emulator.url}/v2/requests/not-an-id`),
      fetch(`${emulator.url}/files/${crypto.randomUUID()}.mp4`),
    ]);

    // Assert
    for (const response of answers) expect(response.status).toBe(404);
    expect(await answers[0]?.json()).toEqual({ error: 'Request not found' });
  });

  it('expires request records recordTtlSeconds after submit', async () => {
    // Arrange
    const shortLived = await startSegmindEmulator({
      recordTtlSeconds: 0.3,
      workDir: join(dir, 'ttl'),
      scenario: () => ({ neverFinish: true }),
    });
    try {
      const response = await fetch(`${shortLived.url}/v2/pixverse-5-transition`, {
        method: 'POST',
        headers: { 'x-api-key': 'emulator-key', 'content-type': 'application/json' },
        body: JSON.stringify(transition()),
      });
      const job = submitAnswer.parse(await response.json());
      const headers = { 'x-api-key': 'emulator-key' };
      const fresh = await fetch(job.status_url, { headers });

      // Act
      await new Promise((resolve) => setTimeout(resolve, 400));
      const expired = await fetch(job.status_url, { headers });

      // Assert
      expect(fresh.status).toBe(200);
      expect(expired.status).toBe(404);
    } finally {
      await shortLived.close();
    }
  });

  it('shapes output as a URL object, a JSON string or garbage when the scenario asks', async () => {
    // Act
    const jobs = await Promise.all(
      ['shape object', 'shape json-string', 'shape garbage'].map((prompt) => accepted(transition({ prompt }))),
    );
    await Promise.all(jobs.map((job) => pollUntilDone(job.status_url)));
    const outputs = await Promise.all(
      jobs.map(async (job) => resultAnswer.parse(await (await get(job.response_url)).json()).output),
    );

    // Assert
    const videoUrl = (index: number) => `${emulator.url}/files/${jobs[index]?.request_id}.mp4`;
    expect(outputs[0]).toEqual({ video_url: videoUrl(0) });
    expect(outputs[1]).toBe(JSON.stringify({ video_url: videoUrl(1) }));
    expect(outputs[2]).toBe(42);
  }, 20_000);

  it('lists accepted jobs with their bodies and current status', async () => {
    // Arrange
    const body = transition({ prompt: 'never finish', seed: 777 });

    // Act
    const job = await accepted(body);
    const listed = emulator.jobs();

    // Assert
    expect(listed.length).toBe(emulator.submissions());
    expect(listed.find((entry) => entry.requestId === job.request_id)).toEqual({
      requestId: job.request_id,
      status: 'QUEUED',
      body,
    });
  });

  it('kills renders in flight on close and leaves no partial video', async () => {
    // Arrange
    const workDir = join(dir, 'closing');
    const closing = await startSegmindEmulator({
      workDir,
      fetchFrame: async (url) => frames.get(url) ?? Buffer.alloc(0),
    });
    const response = await fetch(`${closing.url}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': 'emulator-key', 'content-type': 'application/json' },
      body: JSON.stringify(transition({ quality: '1080p' })),
    });
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act
    const started = Date.now();
    await closing.close();

    // Assert
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await readdir(join(workDir, 'videos'))).toEqual([]);
    await expect(fetch(`${closing.url}/v2/requests/x/status`)).rejects.toThrow();
  });
});
