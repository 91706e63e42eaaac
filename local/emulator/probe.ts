import * as z from 'zod';
import { resolveFfmpeg, resolveFfprobe } from './ffmpeg';
import { runTool } from './run-tool';

const probeSchema = z.object({
  streams: z.array(
    z.object({
      codec_type: z.string(),
      codec_name: z.string(),
      width: z.number().optional(),
      height: z.number().optional(),
      nb_frames: z.coerce.number().optional(),
      r_frame_rate: z.string().optional(),
      duration: z.coerce.number().optional(),
    }),
  ),
  format: z.object({
    duration: z.coerce.number(),
    size: z.coerce.number(),
    tags: z.record(z.string(), z.string()).optional(),
  }),
});

export interface VideoFacts {
  durationSeconds: number;
  sizeBytes: number;
  tags: Record<string, string>;
  video: { codec: string; width: number; height: number; frames: number; fps: number };
  audio?: { codec: string; durationSeconds: number };
}

function parseRate(rate: string | undefined): number {
  const [num, den] = (rate ?? '0/1').split('/').map(Number);
  return num && den ? num / den : 0;
}

/** The ffprobe-level facts of a video file (what a test or a size/format check needs). */
export async function probeVideo(path: string): Promise<VideoFacts> {
  const { stdout } = await runTool(resolveFfprobe(), [
    '-v',
    'error',
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    path,
  ]);
  const probe = probeSchema.parse(JSON.parse(stdout.toString('utf8')));
  const video = probe.streams.find((stream) => stream.codec_type === 'video');
  if (!video) throw new Error(`${path} has no video stream`);
  const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
  return {
    durationSeconds: probe.format.duration,
    sizeBytes: probe.format.size,
    tags: probe.format.tags ?? {},
    video: {
      codec: video.codec_name,
      width: video.width ?? 0,
      height: video.height ?? 0,
      frames: video.nb_frames ?? 0,
      fps: parseRate(video.r_frame_rate),
    },
    audio: audio && { codec: audio.codec_name, durationSeconds: audio.duration ?? 0 },
  };
}

/**
 * The average colour of the centre quarter of one frame (0-based index), as 0–255 RGB.
 * The centre keeps letterbox bars out of the average.
 */
export async function frameColour(path: string, frameIndex: number): Promise<{ r: number; g: number; b: number }> {
  const { path: ffmpeg } = await resolveFfmpeg();
  const { stdout: raw } = await runTool(ffmpeg, [
    '-v',
    'error',
    '-i',
    path,
    '-vf',
    `select=eq(n\\,${frameIndex}),crop=iw/4:ih/4,scale=1:1`,
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  const [r, g, b] = raw;
  if (r === undefined || g === undefined || b === undefined) {
    throw new Error(`${path} has no frame ${frameIndex}`);
  }
  return { r, g, b };
}
