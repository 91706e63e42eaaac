import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { runTool } from './run-tool';

export interface FfmpegBinary {
  path: string;
  /** Whether this build has the `xfade` filter (FFmpeg ≥ 4.3; the npm-shipped 2018 build does not). */
  hasXfade: boolean;
}

const require = createRequire(import.meta.url);

/** An executable named `name` in a PATH directory, if any. */
function findOnPath(name: string): string | undefined {
  const file = process.platform === 'win32' ? `${name}.exe` : name;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, file);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

// The installer packages are required lazily: they throw on platforms they have no binary for,
// which must not matter when a system binary exists.
function installedFfmpeg(): string {
  const installer: typeof import('@ffmpeg-installer/ffmpeg') = require('@ffmpeg-installer/ffmpeg');
  return installer.path;
}

function installedFfprobe(): string {
  const installer: typeof import('@ffprobe-installer/ffprobe') = require('@ffprobe-installer/ffprobe');
  return installer.path;
}

let ffmpeg: Promise<FfmpegBinary> | undefined;
let ffprobe: string | undefined;

/** The ffmpeg to use: the system one on PATH (usually newer), else the one shipped on npm. Cached. */
export function resolveFfmpeg(): Promise<FfmpegBinary> {
  ffmpeg ??= (async () => {
    const path = findOnPath('ffmpeg') ?? installedFfmpeg();
    const { stdout } = await runTool(path, ['-hide_banner', '-filters']);
    return { path, hasXfade: /^\s*\S+\s+xfade\s/m.test(stdout.toString('utf8')) };
  })();
  // A failed probe is not cached, so a later call can try again.
  ffmpeg.catch(() => {
    ffmpeg = undefined;
  });
  return ffmpeg;
}

/** The ffprobe to use: the system one on PATH, else the one shipped on npm. Cached. */
export function resolveFfprobe(): string {
  ffprobe ??= findOnPath('ffprobe') ?? installedFfprobe();
  return ffprobe;
}
