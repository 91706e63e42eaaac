import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../local/emulator/ffmpeg';
import { probeVideo } from '../../local/emulator/probe';
import { runTool } from '../../local/emulator/run-tool';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..', '..');

describe('E2E: the framebridge CLI (npm start)', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-cli-'));
    const { path: ffmpeg } = await resolveFfmpeg();
    // Frames of another shape and format than the bundled examples: JPEG in, 4:3.
    for (const [name, colour] of [
      ['a.jpg', 'red'],
      ['b.jpg', 'blue'],
    ] as const) {
      await runTool(ffmpeg, [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `color=c=${colour}:s=640x480`,
        '-frames:v',
        '1',
        path.join(workDir, name),
      ]);
    }
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('honours --first --last --duration --quality --seed --no-sound --out and prints the job facts', async () => {
    const out = path.join(workDir, 'x.mp4');

    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'cli/framebridge.ts',
        'run',
        '--first',
        path.join(workDir, 'a.jpg'),
        '--last',
        path.join(workDir, 'b.jpg'),
        '--duration',
        '8',
        '--quality',
        '360p',
        '--seed',
        '7',
        '--no-sound',
        '--out',
        out,
      ],
      {
        cwd: repo,
        env: { ...process.env, FRAMEBRIDGE_DATA_DIR: path.join(workDir, 'data'), FRAMEBRIDGE_EMULATOR_LATENCY_S: '1' },
        timeout: 90_000,
      },
    );

    expect(stdout).toMatch(/Job id: +[0-9A-Z]{26}/);
    expect(stdout).toMatch(/S3 URI: +s3:\/\/framebridge-local\/jobs\/[0-9A-Z]{26}\/video\.mp4/);
    expect(stdout).toMatch(/Presigned URL: +http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Signature=/);
    const facts = await probeVideo(out);
    expect(facts.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(facts.durationSeconds).toBeCloseTo(8, 0);
    expect(facts.audio).toBeUndefined();
  }, 90_000);

  it('exits non-zero with the API message naming the field for a bad option', async () => {
    const failure = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'cli/framebridge.ts',
        'run',
        '--duration',
        '8',
        '--quality',
        '1080p',
        '--out',
        path.join(workDir, 'y.mp4'),
      ],
      { cwd: repo, env: { ...process.env, FRAMEBRIDGE_DATA_DIR: path.join(workDir, 'data2') }, timeout: 90_000 },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/HTTP 400.*duration/);
  }, 90_000);
});
