import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  FAILURE_TAG_MESSAGES,
  FAILURE_TAGS,
  failureTagScenario,
  findFailureTags,
  SLOW_JOB,
  withFailureTags,
} from '../../../local/emulator/failureTags';
import { type Job, jobStatus, scenarioTiming } from '../../../local/emulator/jobs';
import { type SegmindEmulator, startSegmindEmulator } from '../../../local/emulator/server';

const withPrompt = (prompt: unknown) => ({ prompt, first_frame_url: 'https://frames.test/a.png' });

describe('Local: emulator failure tags, parsing', () => {
  it('finds each tag once, in order, case-insensitively, and keeps unknown ones as written', () => {
    // Act
    const found = findFailureTags(
      'a [emulate:SLOW] dawn [emulate:nonsense] [emulate: failed ] [emulate:slow] [emulate:]',
    );

    // Assert
    expect(found).toEqual({ known: ['slow', 'failed'], unknown: ['[emulate:nonsense]', '[emulate:]'] });
  });

  it('sees no tag in a plain prompt, in an unclosed tag or in another bracket word', () => {
    // Act / Assert
    expect(findFailureTags('dawn to night')).toEqual({ known: [], unknown: [] });
    expect(findFailureTags('dawn [emulate:failed to night')).toEqual({ known: [], unknown: [] });
    expect(findFailureTags('dawn [emulated:failed] [upstream-fails]')).toEqual({ known: [], unknown: [] });
  });

  it('lists the documented tags', () => {
    expect(FAILURE_TAGS).toEqual(['failed', 'expired', 'slow', 'rejected']);
  });
});

describe('Local: emulator failure tags, scenarios', () => {
  it('maps each tag to its scripted outcome', () => {
    // Act / Assert
    expect(failureTagScenario(withPrompt('x [emulate:failed]'))).toEqual({ fail: FAILURE_TAG_MESSAGES.failed });
    expect(failureTagScenario(withPrompt('x [emulate:expired]'))).toEqual({ expireImmediately: true });
    expect(failureTagScenario(withPrompt('x [emulate:slow]'))).toEqual({ slowdown: SLOW_JOB });
    expect(failureTagScenario(withPrompt('x [emulate:rejected]'))).toEqual({
      rejectSubmit: FAILURE_TAG_MESSAGES.rejected,
    });
  });

  it('has no scenario without a tag or without a string prompt', () => {
    // Act / Assert
    expect(failureTagScenario(withPrompt('dawn to night'))).toBeUndefined();
    expect(failureTagScenario(withPrompt(42))).toBeUndefined();
    expect(failureTagScenario({})).toBeUndefined();
  });

  it('refuses an unknown tag at submit, naming it and every known tag, even beside a known one', () => {
    // Act
    const scenario = failureTagScenario(withPrompt('x [emulate:failed] [emulate:nonsense]'));

    // Assert
    expect(scenario).toEqual({ rejectSubmit: expect.stringContaining('Unknown emulator tag [emulate:nonsense]') });
    for (const tag of FAILURE_TAGS) expect(scenario?.rejectSubmit).toContain(`[emulate:${tag}]`);
  });

  it('combines tags: a slow job that fails', () => {
    expect(failureTagScenario(withPrompt('[emulate:slow] x [emulate:failed]'))).toEqual({
      slowdown: SLOW_JOB,
      fail: FAILURE_TAG_MESSAGES.failed,
    });
  });

  it("lets a caller's own scenario win, and falls back to the tags when it has none", () => {
    // Arrange
    const hook = withFailureTags((request) =>
      request.prompt === 'mine [emulate:nonsense]' ? { fail: 'mine' } : undefined,
    );

    // Act / Assert
    expect(hook(withPrompt('mine [emulate:nonsense]'))).toEqual({ fail: 'mine' });
    expect(hook(withPrompt('theirs [emulate:expired]'))).toEqual({ expireImmediately: true });
    expect(withFailureTags(undefined)(withPrompt('[emulate:expired]'))).toEqual({ expireImmediately: true });
  });
});

describe('Local: emulator slow jobs, timing', () => {
  const job = (timing: { latencyMs: number; queuedMs: number }): Job => ({
    requestId: '00000000-0000-4000-8000-000000000000',
    body: {},
    params: {} as Job['params'],
    scenario: { slowdown: SLOW_JOB },
    submittedAt: 0,
    ...timing,
    renderedAt: 500,
    statusReads: 0,
    resultReads: 0,
    videoReads: 0,
    statusRequests: 0,
    resultRequests: 0,
  });

  it('stretches the latency tenfold, to at least a minute, and keeps the normal QUEUED time', () => {
    // Act / Assert
    expect(scenarioTiming(4000, { slowdown: SLOW_JOB })).toEqual({ latencyMs: 60_000, queuedMs: 800 });
    expect(scenarioTiming(20_000, { slowdown: SLOW_JOB })).toEqual({ latencyMs: 200_000, queuedMs: 4000 });
    expect(scenarioTiming(4000, {})).toEqual({ latencyMs: 4000, queuedMs: 800 });
  });

  it('is PROCESSING from when a normal job would be until its stretched latency, then COMPLETED', () => {
    // Arrange: drawn 4 s, rendered after 0.5 s.
    const slow = job(scenarioTiming(4000, { slowdown: SLOW_JOB }));

    // Act / Assert
    expect(jobStatus(slow, 700)).toBe('QUEUED');
    expect(jobStatus(slow, 900)).toBe('PROCESSING');
    expect(jobStatus(slow, 4000)).toBe('PROCESSING');
    expect(jobStatus(slow, 59_999)).toBe('PROCESSING');
    expect(jobStatus(slow, 60_000)).toBe('COMPLETED');
  });
});

describe('Local: emulator failure tags over HTTP', () => {
  const API_KEY = 'tags-key';
  const statusAnswer = z.looseObject({ status: z.string(), error: z.string().optional() });
  const errorAnswer = z.object({ error: z.string() });
  let dir: string;
  let emulator: SegmindEmulator;
  // Renders wait on this gate, so that no job completes (or fails on a frame) while a test looks at it.
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });

  const submit = (prompt: string) =>
    fetch(`${emulator.url}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt,
        first_frame_url: 'https://frames.test/a.png',
        last_frame_url: 'https://frames.test/b.png',
      }),
    });
  const status = async (prompt: string) => {
    const submitted = await submit(prompt);
    expect(submitted.status).toBe(200);
    const { status_url } = z.object({ status_url: z.url() }).parse(await submitted.json());
    return () => fetch(status_url, { headers: { 'x-api-key': API_KEY } });
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emulator-tags-'));
    emulator = await startSegmindEmulator({
      apiKey: API_KEY,
      latencySeconds: 0.2,
      workDir: dir,
      fetchFrame: async () => {
        await gate;
        throw new Error('HTTP 404');
      },
      scenario: withFailureTags(undefined),
    });
  });

  afterAll(async () => {
    openGate();
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('[emulate:failed]: accepted, then FAILED as HTTP 422 with the message once its latency is over', async () => {
    // Act
    const read = await status('dawn [emulate:failed]');
    const early = await read();
    await sleep(300);
    const late = await read();

    // Assert
    expect(early.status).toBe(200);
    expect(late.status).toBe(422);
    expect(statusAnswer.parse(await late.json())).toMatchObject({
      status: 'FAILED',
      error: FAILURE_TAG_MESSAGES.failed,
    });
  });

  it('[emulate:expired]: accepted, then the record answers 404', async () => {
    // Act
    const read = await status('dawn [emulate:expired]');
    const answer = await read();

    // Assert
    expect(answer.status).toBe(404);
  });

  it('[emulate:slow]: PROCESSING long past the configured latency', async () => {
    // Act
    const read = await status('dawn [emulate:slow]');
    await sleep(400);
    const answer = await read();

    // Assert: 0.2 s configured, stretched to the one-minute floor.
    expect(statusAnswer.parse(await answer.json()).status).toBe('PROCESSING');
    expect(emulator.jobTimings().at(-1)?.latencySeconds).toBe(SLOW_JOB.minSeconds);
  });

  it('[emulate:rejected] and an unknown tag: every submit answers 400 with the reason, nothing billed', async () => {
    // Arrange
    const billed = emulator.submissions();

    // Act
    const rejected = [await submit('dawn [emulate:rejected]'), await submit('dawn [emulate:rejected]')];
    const unknown = await submit('dawn [emulate:nonsense]');

    // Assert
    for (const answer of rejected) {
      expect(answer.status).toBe(400);
      expect(errorAnswer.parse(await answer.json()).error).toBe(FAILURE_TAG_MESSAGES.rejected);
    }
    expect(unknown.status).toBe(400);
    expect(errorAnswer.parse(await unknown.json()).error).toMatch(
      /^Unknown emulator tag \[emulate:nonsense\] in prompt; known tags: \[emulate:failed\], /,
    );
    expect(emulator.submissions()).toBe(billed);
  });
});
