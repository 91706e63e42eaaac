import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type Job, jobMetrics } from '../../../local/emulator/jobs';
import { latencySampler } from '../../../local/emulator/latency';
import { type SegmindEmulator, startSegmindEmulator } from '../../../local/emulator/server';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const finishedJob = (overrides: Partial<Job> = {}): Job => ({
  requestId: '00000000-0000-4000-8000-000000000000',
  body: {},
  params: {} as Job['params'],
  scenario: {},
  submittedAt: 1_000_000,
  latencyMs: 10_000,
  renderedAt: 1_002_000,
  statusReads: 0,
  resultReads: 0,
  videoReads: 0,
  statusRequests: 0,
  resultRequests: 0,
  ...overrides,
});

describe('Local: emulator latency distribution', () => {
  it('draws a lognormal around the median with the given spread, the same draws for the same seed', () => {
    // Arrange
    const draw = latencySampler({ median: 77, sigma: 0.12, seed: 42 }, 5);
    const again = latencySampler({ median: 77, sigma: 0.12, seed: 42 }, 5);

    // Act
    const seconds = Array.from({ length: 4000 }, () => draw({}) / 1000);
    const replay = Array.from({ length: 4000 }, () => again({}) / 1000);

    // Assert
    const logs = seconds.map(Math.log);
    const mean = logs.reduce((sum, value) => sum + value, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / logs.length);
    expect(replay).toEqual(seconds);
    expect(median(seconds)).toBeGreaterThan(77 * 0.98);
    expect(median(seconds)).toBeLessThan(77 * 1.02);
    expect(sd).toBeGreaterThan(0.11);
    expect(sd).toBeLessThan(0.13);
    expect(Math.min(...seconds)).toBeGreaterThan(0);
  });

  it('keeps the fixed latency without a distribution, and refuses a sampler answer that is not a time', () => {
    // Arrange
    const fixed = latencySampler(undefined, 3);
    const broken = latencySampler(() => -1, 3);

    // Act / Assert
    expect(fixed({})).toBe(3000);
    expect(() => broken({})).toThrow(/finite number of seconds/);
  });

  it('reports Segmind-like timing, inference alone, or nothing', () => {
    // Arrange: 10 s latency, the render done after 2 s.
    const job = finishedJob();
    const late = finishedJob({ renderedAt: 1_012_500 });

    // Act / Assert: QUEUED is a fifth of the latency; a late render lengthens PROCESSING.
    expect(jobMetrics(job)).toEqual({ queue_time: 2, inference_time: 8, total_time: 10 });
    expect(jobMetrics(late)).toEqual({ queue_time: 2, inference_time: 10.5, total_time: 12.5 });
    expect(jobMetrics(job, 'inference-only')).toEqual({ inference_time: 8 });
    expect(jobMetrics(job, 'none')).toBeNull();
  });

  it('refuses a distribution or a metrics shape it cannot use', async () => {
    await expect(startSegmindEmulator({ latency: { median: 0, sigma: 0.1 } })).rejects.toThrow(/latency.median/);
    await expect(startSegmindEmulator({ latency: { median: 5, sigma: -1 } })).rejects.toThrow(/latency.sigma/);
    await expect(startSegmindEmulator({ metrics: 'all' as never })).rejects.toThrow(/metrics must be one of/);
  });
});

describe('Local: emulator jobs with their own latencies', () => {
  const API_KEY = 'latency-key';
  const latencyByPrompt: Record<string, number> = { fast: 0.5, slow: 2.5 };
  let dir: string;
  let emulator: SegmindEmulator;

  const get = async (url: string) => (await fetch(url, { headers: { 'x-api-key': API_KEY } })).json();
  const submit = async (prompt: string) => {
    const response = await fetch(`${emulator.url}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt,
        first_frame_url: 'https://frames.test/first.png',
        last_frame_url: 'https://frames.test/last.png',
        quality: '360p',
      }),
    });
    return z
      .object({ request_id: z.string(), status_url: z.string(), response_url: z.string() })
      .parse(await response.json());
  };
  const statusOf = async (url: string) => z.object({ status: z.string() }).parse(await get(url)).status;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'emulator-latency-'));
    const frames = path.resolve(import.meta.dirname, '../../../examples/frames');
    emulator = await startSegmindEmulator({
      apiKey: API_KEY,
      workDir: dir,
      latency: (request) => latencyByPrompt[String(request.prompt)] ?? 1,
      fetchFrame: (url) => readFile(path.join(frames, path.basename(new URL(url).pathname))),
    });
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finishes each job after its own latency, and times and counts it', async () => {
    // Arrange
    const fast = await submit('fast');
    const slow = await submit('slow');

    // Act: poll the fast one until done, then read both.
    let fastPolls = 0;
    for (;;) {
      fastPolls += 1;
      if ((await statusOf(fast.status_url)) === 'COMPLETED') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const slowMeanwhile = await statusOf(slow.status_url);
    while ((await statusOf(slow.status_url)) !== 'COMPLETED') await new Promise((resolve) => setTimeout(resolve, 250));
    const result = z
      .object({ metrics: z.object({ queue_time: z.number(), inference_time: z.number(), total_time: z.number() }) })
      .parse(await get(slow.response_url));
    const timings = emulator.jobTimings();

    // Assert
    expect(slowMeanwhile).not.toBe('COMPLETED');
    const fastTiming = timings.find((job) => job.requestId === fast.request_id);
    const slowTiming = timings.find((job) => job.requestId === slow.request_id);
    expect(fastTiming).toMatchObject({ latencySeconds: 0.5, statusRequests: fastPolls, resultRequests: 0 });
    expect(slowTiming).toMatchObject({ latencySeconds: 2.5, resultRequests: 1 });
    expect(slowTiming?.statusRequests).toBeGreaterThanOrEqual(2);
    const slowTook = ((slowTiming?.completedAt ?? 0) - (slowTiming?.submittedAt ?? 0)) / 1000;
    expect(slowTook).toBeGreaterThanOrEqual(2.5);
    expect(result.metrics.total_time).toBeCloseTo(slowTook, 3);
    expect(result.metrics.queue_time).toBe(0.5);
    expect(result.metrics.queue_time + result.metrics.inference_time).toBeCloseTo(result.metrics.total_time, 6);
  }, 15_000);
});
