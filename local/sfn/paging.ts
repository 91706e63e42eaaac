import * as z from 'zod';

/**
 * Paging as the Step Functions list operations do it: at most `maxResults`
 * items (0 or absent: 100, as AWS), and an opaque `nextToken` that only the
 * same listing accepts back (anything else: InvalidToken).
 *
 * The token names the last item returned rather than an offset, so a listing
 * that grows while it is paged (a running execution's history, new executions
 * at the head of a list) neither repeats nor skips an item.
 */

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidToken';
}

export const DEFAULT_PAGE_SIZE = 100;

const tokenSchema = z.object({ listing: z.string(), after: z.string() });

export interface PageRequest {
  maxResults?: number;
  nextToken?: string;
}

const encode = (listing: string, after: string) =>
  Buffer.from(JSON.stringify({ listing, after }), 'utf8').toString('base64url');

function decode(token: string, listing: string): string {
  let parsed: z.infer<typeof tokenSchema> | undefined;
  try {
    parsed = tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    parsed = undefined;
  }
  // A token of another listing (another execution, another order) is as invalid as garbage.
  if (!parsed || parsed.listing !== listing) throw new InvalidTokenError(`Invalid Token: '${token}'`);
  return parsed.after;
}

/**
 * One page of `items` (already in the listing's order), each item known by
 * `keyOf`; `listing` names the listing and its order.
 */
export function pageOf<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  request: PageRequest,
  listing: string,
): { page: T[]; nextToken?: string } {
  let start = 0;
  if (request.nextToken) {
    const after = decode(request.nextToken, listing);
    const index = items.findIndex((item) => keyOf(item) === after);
    if (index < 0) throw new InvalidTokenError(`Invalid Token: '${request.nextToken}'`);
    start = index + 1;
  }
  const size = request.maxResults || DEFAULT_PAGE_SIZE;
  const page = items.slice(start, start + size);
  const last = page.at(-1);
  const more = start + size < items.length;
  return { page, nextToken: more && last !== undefined ? encode(listing, keyOf(last)) : undefined };
}
