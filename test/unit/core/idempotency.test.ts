import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import {
  canonicalJson,
  IdempotencyConflictError,
  idempotentJobId,
  parseIdempotencyKey,
  requestHash,
} from '../../../lambdas/core/idempotency';
import { parseTransitionRequest } from '../../../lambdas/core/schemas';

const body = {
  prompt: 'dawn to dusk',
  first_frame_url: 'https://cdn.example.com/a.png',
  last_frame_url: 'https://cdn.example.com/b.png',
};

describe('Core: idempotency', () => {
  describe('idempotentJobId', () => {
    it('derives the same id from the same owner and key, and a valid execution name', () => {
      const id = idempotentJobId('key-owner-1', 'order-42');

      expect(idempotentJobId('key-owner-1', 'order-42')).toBe(id);
      expect(id).toMatch(/^idem-[0-9a-f]{40}$/);
      expect(id.length).toBeLessThanOrEqual(80);
    });

    it('is sha256(owner NUL key), truncated to 160 bits', () => {
      const expected = createHash('sha256').update('owner-a\0k').digest('hex').slice(0, 40);

      expect(idempotentJobId('owner-a', 'k')).toBe(`idem-${expected}`);
    });

    it('gives another owner with the same key another id, and keeps (ab, c) apart from (a, bc)', () => {
      expect(idempotentJobId('owner-a', 'k')).not.toBe(idempotentJobId('owner-b', 'k'));
      expect(idempotentJobId('ab', 'c')).not.toBe(idempotentJobId('a', 'bc'));
    });

    it('fits any key of up to 255 characters into the same 45 characters', () => {
      expect(idempotentJobId('o', '~'.repeat(255))).toHaveLength(45);
    });
  });

  describe('parseIdempotencyKey', () => {
    it.each(['a', 'order-42', ' spaced key ', '~'.repeat(255), '550e8400-e29b-41d4-a716-446655440000'])(
      'accepts %j',
      (key) => {
        expect(parseIdempotencyKey(key)).toBe(key);
      },
    );

    it('answers undefined when the header is absent', () => {
      expect(parseIdempotencyKey(undefined)).toBeUndefined();
    });

    it.each([
      ['empty', ''],
      ['256 characters', 'k'.repeat(256)],
      ['a non-ASCII character', 'clé'],
      ['a tab', 'a\tb'],
      ['a newline', 'a\nb'],
      ['DEL', 'a\x7fb'],
    ])('refuses a key that is %s, naming the header', (_case, key) => {
      let thrown: unknown;
      try {
        parseIdempotencyKey(key);
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toBeInstanceOf(ValidationError);
      expect((thrown as ValidationError).message).toContain('Idempotency-Key');
      expect((thrown as ValidationError).issues).toEqual([
        { field: 'Idempotency-Key', rule: 'must be 1–255 printable ASCII characters' },
      ]);
    });
  });

  describe('canonicalJson', () => {
    it('sorts keys at every level and leaves undefined members out', () => {
      expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: null })).toBe(
        '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":null}',
      );
    });

    it('writes the same text for objects built in different orders', () => {
      expect(canonicalJson({ x: 'é', y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 'é' }));
    });

    it('escapes strings as JSON does', () => {
      expect(canonicalJson({ 'a"b': 'line\nbreak' })).toBe('{"a\\"b":"line\\nbreak"}');
    });

    it('refuses a value that has no JSON form', () => {
      expect(() => canonicalJson(() => 1)).toThrow(TypeError);
    });
  });

  describe('requestHash', () => {
    it('is the sha256 hex of the canonical JSON', () => {
      const parsed = parseTransitionRequest(body);

      expect(requestHash(parsed)).toBe(createHash('sha256').update(canonicalJson(parsed)).digest('hex'));
    });

    it('is the same for a body with defaults spelled out, in any key order', () => {
      const spelledOut = { duration: 5, seed: 12345, quality: '540p', ...body, motion_mode: 'normal' };

      expect(requestHash(parseTransitionRequest(spelledOut))).toBe(requestHash(parseTransitionRequest(body)));
    });

    it('differs when any field differs', () => {
      expect(requestHash(parseTransitionRequest({ ...body, seed: 7 }))).not.toBe(
        requestHash(parseTransitionRequest(body)),
      );
      expect(requestHash(parseTransitionRequest({ ...body, prompt: 'dawn to dusk ' }))).not.toBe(
        requestHash(parseTransitionRequest(body)),
      );
    });

    it('treats a lip-sync voice name and its speaker id as the same request (the parsed value is hashed)', () => {
      const byName = parseTransitionRequest({ ...body, lip_sync_tts_speaker_id: 'Emily' });
      const byId = parseTransitionRequest({ ...body, lip_sync_tts_speaker_id: '1' });

      expect(requestHash(byName)).toBe(requestHash(byId));
    });
  });

  it('names the existing request in a conflict, without the key', () => {
    const error = new IdempotencyConflictError('idem-abc');

    expect(error.name).toBe('IdempotencyConflictError');
    expect(error.message).toMatch(/already used for request idem-abc with a different body/);
  });
});
