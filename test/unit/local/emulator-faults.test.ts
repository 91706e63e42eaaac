import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../../local/emulator/ffmpeg';
import { runTool } from '../../../local/emulator/run-tool';
import { type EmulatorScenario, type SegmindEmulator, startSegmindEmulator } from '../../../local/emulator/server';

const KEY = 'faults-key';
const scenarios: Record<string, EmulatorScenario> = {
  'submit 503 twice': { submitFaults: [{ status: 503 }, { status: 503 }] },
  'submit 429': {
    submitFaults: [{ status: 429, headers: { 'x-rate-limit-reset-at-utc': '2030-01-01T00:00:00Z' } }],
  },
  'accept then reset': { submitFaults: [{ kind: 'accept-then-reset' }] },
  'status 502 once': { statusFaults: [{ status: 502 }] },
  'video faults': { videoFaults: ['redirect', 'html', 'empty', 'server-error', 'truncate'] },
  'foreign video': { videoUrlOverride: 'https://videos.elsewhere.example/x.mp4' },
};

describe('Local: Segmind emulator fault injection', () => {
  let dir: string;
  let emulator: SegmindEmulator;
  let png: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emulator-faults-'));
    const { path: ffmpeg } = await resolveFfmpeg();
    await runTool(ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=red:s=64x48',
      '-frames:v',
      '1',
      join(dir, 'f.png'),
    ]);
    png = await readFile(join(dir, 'f.png'));
    emulator = await startSegmindEmulator({
      apiKey: KEY,
      latencySeconds: 0.3,
      workDir: dir,
      fetchFrame: async () => png,
      scenario: (request) => scenarios[String(request.prompt)],
    });
  });

  afterAll(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  const submit = (prompt: string) =>
    fetch(`${emulator.url}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({
        prompt,
        first_frame_url: 'https://f/a.png',
        last_frame_url: 'https://f/b.png',
        quality: '360p',
      }),
    });
  const waitCompleted = async (id: string) => {
    for (;;) {
      const answer = (await (
        await fetch(`${emulator.url}/v2/requests/${id}`, { headers: { 'x-api-key': KEY } })
      ).json()) as {
        status: string;
        output: string;
      };
      if (answer.status === 'COMPLETED') return answer.output;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('answers scripted submit faults in order, then accepts; only the accepted one is billed', async () => {
    const before = emulator.submissions();
    expect((await submit('submit 503 twice')).status).toBe(503);
    expect((await submit('submit 503 twice')).status).toBe(503);
    expect((await submit('submit 503 twice')).status).toBe(200);
    expect(emulator.submissions()).toBe(before + 1);
  });

  it('sends the 429 reset header it is told to', async () => {
    const answer = await submit('submit 429');
    expect(answer.status).toBe(429);
    expect(answer.headers.get('x-rate-limit-reset-at-utc')).toBe('2030-01-01T00:00:00Z');
  });

  it('accepts then drops the connection: the client sees a reset, the job is billed', async () => {
    const before = emulator.submissions();
    await expect(submit('accept then reset')).rejects.toThrow();
    expect(emulator.submissions()).toBe(before + 1);
  });

  it('fails a status poll as scripted, then answers normally', async () => {
    const { request_id: id } = (await (await submit('status 502 once')).json()) as { request_id: string };
    const status = () => fetch(`${emulator.url}/v2/requests/${id}/status`, { headers: { 'x-api-key': KEY } });
    expect((await status()).status).toBe(502);
    expect((await status()).status).toBe(200);
  });

  it('serves the video badly in each scripted way, then properly', async () => {
    const { request_id: id } = (await (await submit('video faults')).json()) as { request_id: string };
    const url = await waitCompleted(id);
    const redirect = await fetch(url, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect((await fetch(url)).headers.get('content-type')).toBe('text/html');
    expect((await (await fetch(url)).arrayBuffer()).byteLength).toBe(0);
    expect((await fetch(url)).status).toBe(503);
    await expect(fetch(url).then((answer) => answer.arrayBuffer())).rejects.toThrow();
    const good = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(good.subarray(4, 8).toString()).toBe('ftyp');
  });

  it('points the output at a foreign host when told to', async () => {
    const { request_id: id } = (await (await submit('foreign video')).json()) as { request_id: string };
    expect(await waitCompleted(id)).toBe('https://videos.elsewhere.example/x.mp4');
  });

  it('limits concurrent jobs with 429 and a reset time, and reports the peak', async () => {
    const limited = await startSegmindEmulator({
      apiKey: KEY,
      latencySeconds: 5,
      workDir: join(dir, 'limited'),
      fetchFrame: async () => png,
      maxConcurrentJobs: 2,
    });
    try {
      const body = (n: number) =>
        JSON.stringify({
          prompt: `concurrent ${n}`,
          first_frame_url: 'https://f/a.png',
          last_frame_url: 'https://f/b.png',
        });
      const answers = [];
      for (const n of [1, 2, 3]) {
        answers.push(
          await fetch(`${limited.url}/v2/pixverse-5-transition`, {
            method: 'POST',
            headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
            body: body(n),
          }),
        );
      }
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
      expect(Date.parse(answers[2]?.headers.get('x-rate-limit-reset-at-utc') ?? '')).toBeGreaterThan(Date.now());
      expect(limited.peakConcurrentJobs()).toBe(2);
      expect(limited.submissions()).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it('refuses connections for a while, then listens again on the same port', async () => {
    const refusing = emulator.refuseConnections(300);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(fetch(`${emulator.url}/v2/requests/x/status`)).rejects.toThrow();
    await refusing;
    expect((await fetch(`${emulator.url}/v2/requests/x/status`, { headers: { 'x-api-key': KEY } })).status).toBe(404);
  });
});
