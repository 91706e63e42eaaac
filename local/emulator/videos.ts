import { createHash } from 'node:crypto';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFrame, FrameError } from './frames';
import { errorMessage } from './http';
import type { Job } from './jobs';
import { createLimiter } from './limiter';
import { renderTransition } from './renderer';

/** Two renders at once keep a two-core machine busy without starving either. */
const RENDER_CONCURRENCY = 2;

export interface VideoStudioOptions {
  framesDir: string;
  videosDir: string;
  fetchFrame: (url: string) => Promise<Buffer>;
  /** Aborting kills renders in flight. */
  signal: AbortSignal;
}

export interface VideoStudio {
  /** Where a job's finished video is kept. */
  videoPath(id: string): string;
  /** Downloads the job's frames and renders its video; records `renderedAt`, or `error` on failure. */
  produce(job: Job): Promise<void>;
}

/** Fetches frames and renders each job's video with ffmpeg, a few renders at a time. */
export function createVideoStudio(options: VideoStudioOptions): VideoStudio {
  const { framesDir, videosDir, fetchFrame, signal } = options;
  const renderSlot = createLimiter(RENDER_CONCURRENCY);
  /**
   * Renders are deterministic (same frames and parameters → same bytes), so one
   * render serves every job that asks for the same thing: load tests measure the
   * pipeline, not ffmpeg.
   */
  const renders = new Map<string, Promise<string>>();
  const videoPath = (id: string) => join(videosDir, `${id}.mp4`);

  async function fetchFrameFile(job: Job, which: 'first' | 'last'): Promise<{ path: string; bytes: Buffer }> {
    const field = `${which}_frame_url` as const;
    let bytes: Buffer;
    try {
      bytes = await fetchFrame(job.params[field]);
    } catch (error) {
      throw new FrameError(`Could not download ${field}: ${errorMessage(error)}`, { cause: error });
    }
    const format = checkFrame(bytes, field);
    const path = join(framesDir, `${job.requestId}-${which}.${format}`);
    await writeFile(path, bytes);
    return { path, bytes };
  }

  async function produce(job: Job): Promise<void> {
    try {
      const [first, last] = await Promise.all([fetchFrameFile(job, 'first'), fetchFrameFile(job, 'last')]);
      const { duration, quality, seed, sound_effect_switch: sound } = job.params;
      const key = createHash('sha256')
        .update(first.bytes)
        .update(last.bytes)
        .update(JSON.stringify([duration, quality, seed, sound]))
        .digest('hex');
      let rendered = renders.get(key);
      if (!rendered) {
        const outPath = videoPath(job.requestId);
        rendered = renderSlot(() =>
          renderTransition({
            firstFramePath: first.path,
            lastFramePath: last.path,
            outPath,
            durationSeconds: duration,
            quality,
            seed,
            sound,
            signal,
          }),
        ).then(() => outPath);
        renders.set(key, rendered);
        rendered.catch(() => renders.delete(key));
      }
      const source = await rendered;
      if (source !== videoPath(job.requestId)) await copyFile(source, videoPath(job.requestId));
      job.renderedAt = Date.now();
    } catch (error) {
      job.error = error instanceof FrameError ? error.message : `Video rendering failed: ${errorMessage(error)}`;
    }
  }

  return { videoPath, produce };
}
