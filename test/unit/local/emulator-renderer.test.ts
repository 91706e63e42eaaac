import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg, resolveFfprobe } from '../../../local/emulator/ffmpeg';
import { frameColour, probeVideo } from '../../../local/emulator/probe';
import { type RenderOptions, renderTransition } from '../../../local/emulator/renderer';
import { runTool, ToolExitError } from '../../../local/emulator/run-tool';

describe('Local: emulator renderer', () => {
  let dir: string;
  let ffmpeg: string;
  let portraitWebp: string;
  let wideJpeg: string;

  /** A solid-colour still in any format ffmpeg can write, chosen by the file extension. */
  async function still(name: string, colour: string, size: string): Promise<string> {
    const file = join(dir, name);
    await runTool(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `color=c=${colour}:s=${size}`,
      '-frames:v',
      '1',
      file,
    ]);
    return file;
  }

  /** Average colour of an 8×8 patch at the left edge, half-way down: inside the letterbox bar of a portrait image. */
  async function leftEdgeColour(file: string): Promise<number[]> {
    const { stdout } = await runTool(ffmpeg, [
      '-v',
      'error',
      '-i',
      file,
      '-vf',
      'crop=8:8:0:ih/2,scale=1:1',
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ]);
    return [...stdout];
  }

  const render = (overrides: Partial<RenderOptions> & { outPath: string }) =>
    renderTransition({
      firstFramePath: portraitWebp,
      lastFramePath: wideJpeg,
      durationSeconds: 5,
      quality: '360p',
      seed: 1,
      sound: true,
      ...overrides,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'renderer-test-'));
    ffmpeg = (await resolveFfmpeg()).path;
    portraitWebp = await still('portrait.webp', 'lime', '240x480');
    wideJpeg = await still('wide.jpg', 'yellow', '800x200');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds ffmpeg and ffprobe binaries and reports whether xfade exists', async () => {
    // Act
    const found = await resolveFfmpeg();

    // Assert
    await expect(access(found.path)).resolves.toBeUndefined();
    await expect(access(resolveFfprobe())).resolves.toBeUndefined();
    expect(typeof found.hasXfade).toBe('boolean');
    expect(await resolveFfmpeg()).toBe(found);
  });

  it('letterboxes WebP and JPEG stills of other shapes into the 16:9 frame', async () => {
    // Arrange
    const outPath = join(dir, 'letterbox.mp4');

    // Act
    await render({ outPath, sound: false });
    const facts = await probeVideo(outPath);
    const first = await frameColour(outPath, 0);
    const last = await frameColour(outPath, facts.video.frames - 1);

    // Assert
    expect(facts.video).toMatchObject({ codec: 'h264', width: 640, height: 360, frames: 120 });
    expect(facts.audio).toBeUndefined();
    expect(first.g).toBeGreaterThan(200);
    expect(first.r).toBeLessThan(60);
    expect(last.r).toBeGreaterThan(200);
    expect(last.g).toBeGreaterThan(200);
    expect(last.b).toBeLessThan(60);
    for (const channel of await leftEdgeColour(outPath)) expect(channel).toBeLessThan(20);
  }, 15_000);

  it('gives the same bytes for the same seed and different bytes for another seed', async () => {
    // Arrange
    const renderBytes = async (name: string, seed: number) => {
      const outPath = join(dir, name);
      await render({ outPath, seed });
      return readFile(outPath);
    };

    // Act
    const first = await renderBytes('seed-a1.mp4', 31337);
    const again = await renderBytes('seed-a2.mp4', 31337);
    const other = await renderBytes('seed-b.mp4', 31338);

    // Assert
    expect(first.equals(again)).toBe(true);
    expect(first.equals(other)).toBe(false);
  }, 15_000);

  it('adds an AAC track as long as the video when sound is on', async () => {
    // Arrange
    const outPath = join(dir, 'sound.mp4');

    // Act
    await render({ outPath, sound: true });
    const facts = await probeVideo(outPath);

    // Assert
    expect(facts.audio?.codec).toBe('aac');
    expect(Math.abs((facts.audio?.durationSeconds ?? 0) - 5)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(facts.durationSeconds - 5)).toBeLessThanOrEqual(0.2);
  }, 15_000);

  it("rejects with ffmpeg's reason and leaves no file when an input is not an image", async () => {
    // Arrange
    const notAnImage = join(dir, 'text.png');
    await writeFile(notAnImage, 'this is not a png');
    const outPath = join(dir, 'broken.mp4');

    // Act
    const rendering = render({ outPath, firstFramePath: notAnImage });

    // Assert
    await expect(rendering).rejects.toThrow(ToolExitError);
    await expect(rendering).rejects.toThrow(/exited with code/);
    await expect(access(outPath)).rejects.toThrow();
    await expect(access(`${outPath}.partial`)).rejects.toThrow();
  });

  it('refuses options it cannot render before starting ffmpeg', async () => {
    // Act & Assert
    await expect(render({ outPath: join(dir, 'x.mp4'), fps: 0 })).rejects.toThrow(/fps/);
    await expect(render({ outPath: join(dir, 'x.mp4'), seed: 1.5 })).rejects.toThrow(/seed/);
  });
});
