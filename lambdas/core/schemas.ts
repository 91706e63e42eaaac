import * as z from 'zod/mini';
import './zodMini';
import { ValidationError } from './errors';

/** Output height per quality; width follows 16:9. */
export const qualityHeights = { '360p': 360, '540p': 540, '720p': 720, '1080p': 1080 } as const;
export type Quality = keyof typeof qualityHeights;
export const qualities = Object.keys(qualityHeights) as [Quality, ...Quality[]];

/** Pixverse's lip-sync voices (speaker id → name), from its TTS speaker list. */
export const lipSyncVoices = {
  '1': 'Emily',
  '2': 'James',
  '3': 'Isabella',
  '4': 'Liam',
  '5': 'Chloe',
  '6': 'Adrian',
  '7': 'Harper',
  '8': 'Ava',
  '9': 'Sophia',
  '10': 'Julia',
  '11': 'Mason',
  '12': 'Jack',
  '13': 'Oliver',
  '14': 'Ethan',
} as const;

const speakerIdByName = new Map(Object.entries(lipSyncVoices).map(([id, name]) => [name.toLowerCase(), id]));

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = S3_URI.exec(uri);
  return match?.[1] && match[2] ? { bucket: match[1], key: match[2] } : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname.length > 0 && !url.username && !url.password;
  } catch {
    return false;
  }
}

// The URL that is checked is the one handed on: `HTTPS://…` or ` https://…` become their parsed form.
const frameUrl = z.pipe(
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .check(z.maxLength(2048, { error: 'must be at most 2048 characters' }))
    .check(
      z.refine((value) => isHttpsUrl(value) || parseS3Uri(value) !== undefined, {
        error: 'must be an https:// URL or an s3://bucket/key URI',
      }),
    ),
  z.transform((value) => (parseS3Uri(value) ? value : new URL(value).href)),
);

/**
 * The fields Segmind receives, under its names: `toSegmindBody` sends exactly
 * these keys, so a field added here is sent upstream and nothing else changes.
 */
const segmindRequestShape = {
  prompt: z
    .string({ error: 'is required and must be a string' })
    .check(z.minLength(1, { error: 'must not be empty' }))
    .check(z.maxLength(2048, { error: 'must be at most 2048 characters' })),
  first_frame_url: frameUrl,
  last_frame_url: frameUrl,
  duration: z._default(z.union([z.literal(5), z.literal(8)], { error: 'must be 5 or 8 (seconds)' }), 5),
  quality: z._default(z.enum(qualities, { error: `must be one of ${qualities.join(', ')}` }), '540p'),
  motion_mode: z._default(z.literal('normal', { error: 'must be "normal"' }), 'normal'),
  seed: z._default(
    z
      .number({ error: 'must be an integer' })
      .check(z.int({ error: 'must be an integer' }))
      .check(z.gte(1, { error: 'must be between 1 and 999999' }))
      .check(z.lte(999999, { error: 'must be between 1 and 999999' })),
    12345,
  ),
  sound_effect_switch: z._default(z.boolean({ error: 'must be true or false' }), true),
  sound_effect_content: z.optional(
    z.string({ error: 'must be a string' }).check(z.maxLength(2048, { error: 'must be at most 2048 characters' })),
  ),
  lip_sync_switch: z._default(z.boolean({ error: 'must be true or false' }), false),
  lip_sync_tts_content: z.optional(
    z.string({ error: 'must be a string' }).check(z.maxLength(2048, { error: 'must be at most 2048 characters' })),
  ),
  lip_sync_tts_speaker_id: z.optional(
    z.pipe(
      z.string({ error: 'must be a string' }),
      z.transform((value, ctx) => {
        const trimmed = value.trim();
        if (trimmed.toLowerCase() === 'auto') return 'auto';
        if (Object.hasOwn(lipSyncVoices, trimmed)) return trimmed;
        const byName = speakerIdByName.get(trimmed.toLowerCase());
        if (byName) return byName;
        ctx.issues.push({
          code: 'custom',
          message: 'must be "auto", "1"–"14" or a voice name (Emily … Ethan)',
          input: value,
        });
        return z.NEVER;
      }),
    ),
  ),
};

/** Our extensions: validated and stored with the job, never sent to Segmind. */
const framebridgeRequestShape = {
  // Syntax only: https-only and public-only are checked when a job is created,
  // where the local development switch for private receivers is known.
  callback_url: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(z.maxLength(2048, { error: 'must be at most 2048 characters' }))
      .check(z.refine(isHttpUrl, { error: 'must be an https:// URL' })),
  ),
};

/**
 * The public request body: Segmind's fields plus ours. Strict: unknown fields are
 * rejected by name. Defaults are applied here so the stored job is explicit.
 */
export const transitionRequestSchema = z
  .strictObject(
    { ...segmindRequestShape, ...framebridgeRequestShape },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a JSON object') },
  )
  .check(
    z.superRefine((request, ctx) => {
      if (request.duration === 8 && request.quality === '1080p') {
        ctx.addIssue({
          code: 'custom',
          path: ['duration'],
          message: 'must be 5 when quality is 1080p (8 s is not available at 1080p)',
        });
      }
    }),
  );

export type TransitionRequestInput = z.input<typeof transitionRequestSchema>;
export type TransitionRequest = z.output<typeof transitionRequestSchema>;

type SegmindField = keyof typeof segmindRequestShape;
/** What Segmind receives for a request (before s3:// frames are presigned). */
export type SegmindBody = Pick<TransitionRequest, SegmindField>;

const segmindFields = Object.keys(segmindRequestShape) as SegmindField[];

/** The Segmind fields of a request, each one present; our extensions stay behind. */
export function toSegmindBody(request: TransitionRequest): SegmindBody {
  const body: Partial<Record<SegmindField, unknown>> = {};
  for (const field of segmindFields) {
    if (request[field] !== undefined) body[field] = request[field];
  }
  // Every required Segmind field is present in a parsed request.
  return body as SegmindBody;
}

/** One readable message per issue: "field: rule". Unknown fields are named. */
export function describeIssues(error: z.core.$ZodError): { field: string; rule: string }[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: key, rule: 'is not a known field' }));
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return [{ field, rule: issue.message }];
  });
}

/** Parses with `schema` or throws a ValidationError naming every field and rule. */
export function parseOrThrow<S extends z.core.$ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  throw ValidationError.fromIssues(what, describeIssues(result.error));
}

export function parseTransitionRequest(body: unknown): TransitionRequest {
  return parseOrThrow(transitionRequestSchema, body, 'request');
}
