import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { invalidMessage, ValidationError } from './errors';
import { withMeta } from './zodMini';

/** The request header a client sets to make a submit safe to retry. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** The answer header that marks a replayed submit. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * The Idempotency-Key was already used by this owner with a different request.
 * The API answers 409 `idempotency_conflict`; other callers match on `name`.
 */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  constructor(readonly existingJobId: string) {
    super(
      `This ${IDEMPOTENCY_HEADER} was already used for request ${existingJobId} with a different body; ` +
        'send the same body to get that request again, or use a new key for a new request',
    );
  }
}

/** What the Idempotency-Key header may hold (also its schema in the OpenAPI document). */
export const idempotencyKeySchema = withMeta(z.string().check(z.regex(/^[\x20-\x7e]{1,255}$/)), {
  description:
    'Any 1–255 printable ASCII characters, unique per request (a UUID is fine). Repeating a submit with the same key and body answers the original request; with a different body, 409.',
});

/** The header's value checked: 1–255 printable ASCII characters, else a 400 naming the header. */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!idempotencyKeySchema.safeParse(value).success) {
    const rule = 'must be 1–255 printable ASCII characters';
    throw new ValidationError(invalidMessage('request', [{ field: `${IDEMPOTENCY_HEADER} header`, rule }]), [
      { field: IDEMPOTENCY_HEADER, rule },
    ]);
  }
  return value;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * The job id of an idempotent submit: the same owner and key always give the
 * same id, so the conditional put on `id` decides which of two racing requests
 * creates the job, and the execution (named after the job) can start only once.
 * 160 bits of sha256 in hex: 45 characters, a valid execution name (≤ 80, `[0-9a-z-]`).
 * The NUL separator keeps (`ab`, `c`) and (`a`, `bc`) apart.
 */
export function idempotentJobId(owner: string, key: string): string {
  return `idem-${sha256(`${owner}\0${key}`).toString('hex').slice(0, 40)}`;
}

/** JSON with object keys sorted at every level and `undefined` members left out: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const members = Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`);
  return `{${members.join(',')}}`;
}

/**
 * sha256 (hex) of the canonical JSON of a parsed request. Parsed means defaults
 * applied, so `{duration: 5}` and no duration at all are the same request.
 */
export function requestHash(parsedRequest: unknown): string {
  return createHash('sha256').update(canonicalJson(parsedRequest), 'utf8').digest('hex');
}
