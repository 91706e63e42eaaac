import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, type ListCursor, parseListQuery } from '../../../lambdas/core/cursor';
import { ValidationError } from '../../../lambdas/core/errors';

const OWNER = 'key-owner-1';
const cursor: ListCursor = { id: '01JABCDEFGHJKMNPQRSTVWXYZ0', owner: OWNER, createdAt: '2025-01-01T10:00:00.000Z' };

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('Core: list cursor', () => {
  it('round-trips a key through an opaque, URL-safe string', () => {
    const encoded = encodeCursor(cursor);

    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(encoded).not.toContain(OWNER);
    expect(decodeCursor(encoded, OWNER)).toEqual(cursor);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['base64url of something that is not JSON', b64('{{{')],
    ['a JSON array', b64('[1,2]')],
    ['a key missing createdAt', b64(JSON.stringify({ id: 'x', owner: OWNER }))],
    ['a key with an extra attribute', b64(JSON.stringify({ ...cursor, status: 'FAILED' }))],
    ['a key whose createdAt is not a timestamp', b64(JSON.stringify({ ...cursor, createdAt: 'yesterday' }))],
    ['a key of another owner', encodeCursor({ ...cursor, owner: 'key-owner-2' })],
    ['an empty string', ''],
    ['a very long string', 'A'.repeat(2000)],
  ])('refuses %s with a 400 naming cursor', (_case, raw) => {
    expect(issuesOf(() => decodeCursor(raw, OWNER))).toEqual([
      { field: 'cursor', rule: 'must be a next_cursor value returned by this API' },
    ]);
  });

  it('refuses a cursor whose one character was changed', () => {
    const encoded = encodeCursor(cursor);
    const tampered = `${encoded.slice(0, 5)}${encoded[5] === 'A' ? 'B' : 'A'}${encoded.slice(6)}`;

    expect(() => decodeCursor(tampered, OWNER)).toThrow(ValidationError);
  });
});

describe('Core: list query', () => {
  it('defaults to 20 requests of any status from the newest', () => {
    expect(parseListQuery(null)).toEqual({ limit: 20 });
  });

  it('reads limit, status and cursor', () => {
    expect(parseListQuery({ limit: '100', status: 'FAILED', cursor: 'abc' })).toEqual({
      limit: 100,
      status: 'FAILED',
      cursor: 'abc',
    });
  });

  it.each([
    ['0', 'limit'],
    ['101', 'limit'],
    ['-1', 'limit'],
    ['2.5', 'limit'],
    ['ten', 'limit'],
    ['', 'limit'],
  ])('refuses limit=%j naming the field', (limit, field) => {
    expect(issuesOf(() => parseListQuery({ limit }))).toEqual([
      { field, rule: 'must be a whole number from 1 to 100' },
    ]);
  });

  it('refuses an unknown status and an unknown parameter by name', () => {
    expect(issuesOf(() => parseListQuery({ status: 'RUNNING', sort: 'asc' }))).toEqual(
      expect.arrayContaining([
        { field: 'status', rule: 'must be one of QUEUED, PROCESSING, COMPLETED, FAILED' },
        { field: 'sort', rule: 'is not a known field' },
      ]),
    );
  });
});
