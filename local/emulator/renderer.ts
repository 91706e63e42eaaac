import { rename, rm } from 'node:fs/promises';
import { resolveFfmpeg } from './ffmpeg';
import { runTool } from './run-tool';

export type RenderQuality = '360p' | '540p' | '720p' | '1080p';

export interface RenderOptions {
  firstFramePath: string;
  lastFramePath: string;
  outPath: string;
  durationSeconds: 5 | 8;
  quality: RenderQuality;
  seed: number;
  sound: boolean;
  /** @default 24 */
  fps?: number;
  /** Aborting kills ffmpeg and rejects; no output file is left behind. */
  signal?: AbortSignal;
}

/** Output size per quality: 16:9 at the quality's height, as Pixverse renders. */
export const renderSizes: Record<RenderQuality, { width: number; height: number }> = {
  '360p': { width: 640, height: 360 },
  '540p': { width: 960, height: 540 },
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
};

const DEFAULT_FPS = 24;
const AUDIO_RATE = 48_000;
/** Audio fades in and out this long so the tone starts and stops without a click. */
const AUDIO_EDGE_SECONDS = 0.05;

/**
 * What the seed changes: how long each still is held (0.40–0.60 s) and the pitch of the tone
 * (220–659 Hz). The first and last frames stay exactly the input images whatever the seed.
 */
export function seedEffects(seed: number, fps: number): { holdFrames: number; toneHz: number } {
  const n = Math.abs(Math.trunc(seed));
  return {
    holdFrames: Math.round(fps * (0.4 + (n % 21) / 100)),
    toneHz: 220 + (n % 440),
  };
}

/** Fits an image inside the frame (even dimensions, as yuv420p needs) and letterboxes the rest. */
function fitAndPad(width: number, height: number): string {
  const ratio = `min(${width}/iw,${height}/ih)`;
  return [
    `scale=w='max(2,round(iw*${ratio}/2)*2)':h='max(2,round(ih*${ratio}/2)*2)'`,
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:black`,
    'setsar=1',
  ].join(',');
}

/**
 * The ffmpeg arguments for one transition. Always fade+overlay rather than `xfade`: it works on
 * every ffmpeg build (the npm one predates xfade) and gives the same picture everywhere.
 */
export function transitionArgs(options: RenderOptions, partialPath: string): string[] {
  const fps = options.fps ?? DEFAULT_FPS;
  const { width, height } = renderSizes[options.quality];
  const duration = options.durationSeconds;
  const frames = duration * fps;
  const { holdFrames, toneHz } = seedEffects(options.seed, fps);
  const fadeFrames = Math.max(1, frames - 2 * holdFrames);
  // Each still is decoded and scaled once, then repeated by `loop`: re-decoding a large photo
  // for every output frame would dominate the render time.
  const still = (input: number) =>
    `[${input}:v]${fitAndPad(width, height)},format=yuv420p,loop=loop=${frames - 1}:size=1:start=0,setpts=N`;
  const filters = [
    `${still(0)}[first]`,
    // yuv420p first drops any alpha of the image itself, so the last frame is the last image.
    `${still(1)},format=yuva420p,fade=t=in:s=${holdFrames}:n=${fadeFrames}:alpha=1[last]`,
    '[first][last]overlay=format=yuv420:eof_action=endall,format=yuv420p[video]',
  ];
  const audioInput: string[] = [];
  const audioOutput: string[] = [];
  if (options.sound) {
    const fadeOutAt = (duration - AUDIO_EDGE_SECONDS).toFixed(3);
    audioInput.push('-f', 'lavfi', '-i', `sine=frequency=${toneHz}:sample_rate=${AUDIO_RATE}:duration=${duration}`);
    filters.push(`[2:a]afade=t=in:d=${AUDIO_EDGE_SECONDS},afade=t=out:st=${fadeOutAt}:d=${AUDIO_EDGE_SECONDS}[audio]`);
    audioOutput.push('-map', '[audio]', '-c:a', 'aac', '-b:a', '128k', '-flags:a', '+bitexact');
  }
  // `-pattern_type none`: a `%` in a path is a file name, not an image-sequence pattern.
  const image = (path: string) => ['-f', 'image2', '-pattern_type', 'none', '-framerate', String(fps), '-i', path];
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    ...image(options.firstFramePath),
    ...image(options.lastFramePath),
    ...audioInput,
    '-filter_complex',
    filters.join(';'),
    '-map',
    '[video]',
    '-r',
    String(fps),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-threads',
    '2',
    '-flags:v',
    '+bitexact',
    ...audioOutput,
    // bitexact + no copied metadata: the same inputs and seed give the same bytes.
    '-fflags',
    '+bitexact',
    '-map_metadata',
    '-1',
    '-metadata',
    `comment=framebridge emulator seed=${options.seed}`,
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    partialPath,
  ];
}

function assertValid(options: RenderOptions): void {
  const fps = options.fps ?? DEFAULT_FPS;
  if (!Number.isInteger(fps) || fps < 1 || fps > 60) {
    throw new RangeError(`fps must be an integer from 1 to 60, got ${fps}`);
  }
  if (options.durationSeconds !== 5 && options.durationSeconds !== 8) {
    throw new RangeError(`durationSeconds must be 5 or 8, got ${options.durationSeconds}`);
  }
  if (!(options.quality in renderSizes)) {
    throw new RangeError(`quality must be one of ${Object.keys(renderSizes).join(', ')}, got ${options.quality}`);
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new RangeError(`seed must be an integer, got ${options.seed}`);
  }
}

/**
 * Renders a transition MP4 (H.264, yuv420p, optional AAC tone): the first image held, a
 * cross-fade, the last image held. Exactly `durationSeconds × fps` frames. The file appears at
 * `outPath` only when complete, so a reader never sees a half-written video.
 */
export async function renderTransition(options: RenderOptions): Promise<void> {
  assertValid(options);
  const { path: ffmpeg } = await resolveFfmpeg();
  const partialPath = `${options.outPath}.partial`;
  try {
    await runTool(ffmpeg, transitionArgs(options, partialPath), { signal: options.signal });
    await rename(partialPath, options.outPath);
  } catch (error) {
    await rm(partialPath, { force: true });
    throw error;
  }
}
