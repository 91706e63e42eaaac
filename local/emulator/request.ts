import * as z from 'zod';

function isHttpUrl(value: string): boolean {
  try {
    const { protocol, hostname } = new URL(value);
    return (protocol === 'http:' || protocol === 'https:') && hostname.length > 0;
  } catch {
    return false;
  }
}

const requiredString = z.string({
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
});

const frameUrl = requiredString.refine(isHttpUrl, { error: 'must be an http(s) URL' });

/**
 * The submit body as the emulator reads it. Loose like Segmind: fields it does not use
 * (motion_mode, lip_sync_*, …) are accepted and ignored. Defaults are Segmind's.
 */
export const submitBodySchema = z.looseObject({
  prompt: requiredString.min(1, { error: 'must not be empty' }),
  first_frame_url: frameUrl,
  last_frame_url: frameUrl,
  duration: z.union([z.literal(5), z.literal(8)], { error: 'must be 5 or 8' }).default(5),
  quality: z
    .enum(['360p', '540p', '720p', '1080p'], { error: 'must be one of 360p, 540p, 720p, 1080p' })
    .default('540p'),
  seed: z.int({ error: 'must be an integer' }).default(12345),
  sound_effect_switch: z.boolean({ error: 'must be a boolean' }).default(true),
});

export type SubmitBody = z.infer<typeof submitBodySchema>;

/** Parses a submit body, or gives a Segmind-style message naming the first bad field. */
export function parseSubmitBody(body: unknown): { ok: true; value: SubmitBody } | { ok: false; error: string } {
  const result = submitBodySchema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  return { ok: false, error: field ? `${field} ${issue?.message}` : (issue?.message ?? 'invalid body') };
}

/**
 * Combinations Segmind accepts at submit but fails later, as the real API does for some
 * bad parameters: Pixverse has no 8-second 1080p.
 */
export function deferredRejection(body: SubmitBody): string | undefined {
  return body.duration === 8 && body.quality === '1080p'
    ? '1080p quality does not support 8 second duration'
    : undefined;
}
