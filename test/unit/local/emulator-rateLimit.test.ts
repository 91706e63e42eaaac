import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { RATE_WINDOW_MS, RequestRateLimiter } from '../../../local/emulator/rateLimit';
import { type SegmindEmulator, startSegmindEmulator } from '../../../local/emulator/server';

const KEY = 'rate-key';
const T0 = Date.parse('2030-01-01T00:00:00Z');

describe('Local: emulator request rate limiter', () => {
  it('serves up to the limit in a sliding minute, then refuses until the oldest request leaves', () => {
    // Arrange
    const limiter = new RequestRateLimiter(3);

    // Act
    const served = [T0, T0 + 10_000, T0 + 20_000].map((at) => limiter.admit(at).admitted);
    const refused = limiter.admit(T0 + 59_999);
    const afterOldestLeft = limiter.admit(T0 + RATE_WINDOW_MS);
    const refusedAgain = limiter.admit(T0 + RATE_WINDOW_MS + 1);

    // Assert
    expect(served).toEqual([true, true, true]);
    expect(refused).toEqual({ admitted: false, resetAt: T0 + RATE_WINDOW_MS });
    expect(afterOldestLeft).toEqual({ admitted: true });
    expect(refusedAgain).toEqual({ admitted: false, resetAt: T0 + 10_000 + RATE_WINDOW_MS });
    expect(limiter.requests).toBe(6);
    expect(limiter.refused).toBe(2);
  });

  it('does not count refused requests towards the limit', () => {
    // Arrange
    const limiter = new RequestRateLimiter(2);
    limiter.admit(T0);
    limiter.admit(T0 + 30_000);

    // Act: refused requests keep arriving, then the first served one leaves the window.
    for (let at = T0 + 31_000; at < T0 + RATE_WINDOW_MS; at += 1000) limiter.admit(at);
    const next = limiter.admit(T0 + RATE_WINDOW_MS);

    // Assert
    expect(next).toEqual({ admitted: true });
    expect(limiter.refused).toBe(29);
  });

  it('reports the most requests received in any sliding minute, refused ones included', () => {
    // Arrange
    const limiter = new RequestRateLimiter(2);

    // Act: 5 within 4 s (3 refused), then 2 a minute later.
    for (const at of [0, 1000, 2000, 3000, 4000, 70_000, 80_000]) limiter.admit(T0 + at);

    // Assert: the busiest minute is the first, though only 2 of its requests were served.
    expect(limiter.peakPerWindow).toBe(5);
    expect(limiter.refused).toBe(3);
  });

  it('only counts without a limit, and keeps pruning over thousands of requests', () => {
    // Arrange
    const limiter = new RequestRateLimiter(undefined);

    // Act: one request every 100 ms for 10 minutes.
    const answers = Array.from({ length: 6000 }, (_, n) => limiter.admit(T0 + n * 100));

    // Assert
    expect(answers.every((answer) => answer.admitted)).toBe(true);
    expect(limiter.peakPerWindow).toBe(600);
    expect(limiter.refused).toBe(0);
  });
});

describe('Local: Segmind emulator requestsPerMinute', () => {
  let dir: string;
  let emulator: SegmindEmulator;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emulator-rate-'));
    emulator = await startSegmindEmulator({
      apiKey: KEY,
      latencySeconds: 60,
      workDir: dir,
      // Nothing to render: the job stays PROCESSING, so status and result answer 200.
      scenario: () => ({ neverFinish: true }),
      requestsPerMinute: 3,
    });
  });

  afterAll(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  const v2 = (path: string, init: RequestInit = {}) =>
    fetch(`${emulator.url}/v2/${path}`, {
      ...init,
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', connection: 'close' },
    });
  const submit = () =>
    v2('pixverse-5-transition', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'rated', first_frame_url: 'https://f/a.png', last_frame_url: 'https://f/b.png' }),
    });
  const refusal = z.object({ error: z.string().min(1) });

  it('limits submit, status and result alike with 429, a reset time and a JSON error', async () => {
    // Arrange: three requests fill the minute.
    const started = Date.now();
    const accepted = await submit();
    const { request_id: id } = z.object({ request_id: z.uuid() }).parse(await accepted.json());
    expect((await v2(`requests/${id}/status`)).status).toBe(200);
    expect((await v2(`requests/${id}`)).status).toBe(200);

    // Act
    const answers = [await submit(), await v2(`requests/${id}/status`), await v2(`requests/${id}`)];

    // Assert
    expect(answers.map((answer) => answer.status)).toEqual([429, 429, 429]);
    for (const answer of answers) {
      expect(refusal.parse(await answer.json()).error).toMatch(/per minute/);
      const resetAt = Date.parse(answer.headers.get('x-rate-limit-reset-at-utc') ?? '');
      expect(resetAt).toBeGreaterThanOrEqual(started + RATE_WINDOW_MS);
      expect(resetAt).toBeLessThanOrEqual(Date.now() + RATE_WINDOW_MS);
    }
    expect(emulator.submissions()).toBe(1);
    expect(emulator.submitRequests()).toBe(2);
    expect(emulator.requestsReceived()).toBe(6);
    expect(emulator.rateLimitedRequests()).toBe(3);
    expect(emulator.concurrencyLimitedRequests()).toBe(0);
    expect(emulator.peakRequestsPerMinute()).toBe(6);
  });

  it('neither limits nor counts video downloads or unauthenticated requests', async () => {
    // Arrange
    const before = emulator.requestsReceived();

    // Act
    const video = await fetch(`${emulator.url}/files/00000000-0000-4000-8000-000000000000.mp4`);
    const anonymous = await fetch(`${emulator.url}/v2/requests/00000000-0000-4000-8000-000000000000/status`);

    // Assert
    expect(video.status).toBe(404);
    expect(anonymous.status).toBe(401);
    expect(emulator.requestsReceived()).toBe(before);
  });

  it('counts concurrency refusals apart from rate refusals', async () => {
    // Arrange
    const limited = await startSegmindEmulator({
      apiKey: KEY,
      latencySeconds: 60,
      workDir: join(dir, 'concurrency'),
      scenario: () => ({ neverFinish: true }),
      maxConcurrentJobs: 1,
      requestsPerMinute: 10,
    });
    try {
      const body = JSON.stringify({
        prompt: 'one',
        first_frame_url: 'https://f/a.png',
        last_frame_url: 'https://f/b.png',
      });
      const post = () =>
        fetch(`${limited.url}/v2/pixverse-5-transition`, {
          method: 'POST',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          body,
        });

      // Act
      const statuses = [(await post()).status, (await post()).status];

      // Assert
      expect(statuses).toEqual([200, 429]);
      expect(limited.concurrencyLimitedRequests()).toBe(1);
      expect(limited.rateLimitedRequests()).toBe(0);
      expect(limited.requestsReceived()).toBe(2);
      expect(limited.peakRequestsPerMinute()).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it('refuses a limit that is not a positive integer', async () => {
    await expect(startSegmindEmulator({ requestsPerMinute: 0 })).rejects.toThrow(/requestsPerMinute/);
    await expect(startSegmindEmulator({ requestsPerMinute: 2.5 })).rejects.toThrow(/requestsPerMinute/);
  });
});
