import * as z from 'zod/mini';
import { ValidationError } from './errors';
import { jobStatuses } from './job';
import { parseOrThrow } from './schemas';
import { withMeta } from './zodMini';

/**
 * Where a page of `GET /v2/requests` ended: the `byOwner` index key of the last
 * item read (the table key `id` plus the index key `owner`, `createdAt`).
 */
export const listCursorSchema = z.strictObject({
  id: z.string().check(z.minLength(1)).check(z.maxLength(128)),
  owner: z.string().check(z.minLength(1)).check(z.maxLength(256)),
  createdAt: z.iso.datetime(),
});
export type ListCursor = z.infer<typeof listCursorSchema>;

/** Opaque to clients: base64url of the JSON of the key. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

const invalidCursor = () =>
  ValidationError.fromIssues('request', [
    { field: 'cursor', rule: 'must be a next_cursor value returned by this API' },
  ]);

/**
 * Reads a cursor back, refusing anything this API did not hand to this owner:
 * garbage, a tampered key, or another owner's cursor (which DynamoDB would
 * reject anyway, as a start key outside the queried partition).
 */
export function decodeCursor(raw: string, owner: string): ListCursor {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(raw)) throw invalidCursor();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const parsed = listCursorSchema.safeParse(json);
  if (!parsed.success || parsed.data.owner !== owner) throw invalidCursor();
  return parsed.data;
}

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

/** The query string of `GET /v2/requests`; unknown parameters are refused by name. */
export const listQuerySchema = z.strictObject(
  {
    limit: withMeta(
      z._default(
        z.pipe(
          z.pipe(
            z.string().check(z.regex(/^[0-9]{1,3}$/, { error: `must be a whole number from 1 to ${MAX_LIST_LIMIT}` })),
            z.transform(Number),
          ),
          z
            .int()
            .check(z.gte(1, { error: `must be a whole number from 1 to ${MAX_LIST_LIMIT}` }))
            .check(z.lte(MAX_LIST_LIMIT, { error: `must be a whole number from 1 to ${MAX_LIST_LIMIT}` })),
        ),
        DEFAULT_LIST_LIMIT,
      ),
      { description: `Page size, 1–${MAX_LIST_LIMIT} (default ${DEFAULT_LIST_LIMIT})` },
    ),
    status: withMeta(z.optional(z.enum(jobStatuses, { error: `must be one of ${jobStatuses.join(', ')}` })), {
      description: 'Only requests with this status',
    }),
    cursor: withMeta(z.optional(z.string()), {
      description: 'The next_cursor of the previous page; omit for the first (newest) page',
    }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a query string') },
);
export type ListQuery = z.output<typeof listQuerySchema>;

export function parseListQuery(query: Record<string, string | undefined> | null): ListQuery {
  return parseOrThrow(listQuerySchema, query ?? {}, 'query');
}
