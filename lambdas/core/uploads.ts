import * as z from 'zod';
import { parseOrThrow } from './schemas';

/** The frame formats the upstream accepts, by content type, with the extension a default name gets. */
export const frameContentTypes = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const;
export type FrameContentType = keyof typeof frameContentTypes;
const contentTypeNames = Object.keys(frameContentTypes) as [FrameContentType, ...FrameContentType[]];

/** Seconds a presigned upload URL stays valid. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;

/** The body of `POST /v2/uploads`. Strict: unknown fields are refused by name. */
export const uploadRequestSchema = z.strictObject(
  {
    content_type: z.enum(contentTypeNames, {
      error: (issue) => (issue.input === undefined ? 'is required' : `must be one of ${contentTypeNames.join(', ')}`),
    }),
    filename: z
      .string({ error: 'must be a string' })
      .max(128, { error: 'must be at most 128 characters' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
        error: 'must start with a letter or digit and hold only letters, digits, ".", "_" and "-"',
        abort: true,
      })
      .refine((name) => !name.includes('..'), { error: 'must not contain ".."' })
      .optional()
      .meta({ description: 'The object name under the upload prefix; default frame.<ext>' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a JSON object') },
);
export type UploadRequest = z.output<typeof uploadRequestSchema>;

export function parseUploadRequest(body: unknown): UploadRequest {
  return parseOrThrow(uploadRequestSchema, body, 'request');
}

/** `uploads/<id>/<filename or frame.<ext>>`: a fresh prefix per upload, so uploads never overwrite each other. */
export function uploadKey(uploadId: string, request: UploadRequest): string {
  return `uploads/${uploadId}/${request.filename ?? `frame.${frameContentTypes[request.content_type]}`}`;
}
