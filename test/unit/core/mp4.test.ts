import { describe, expect, it } from 'vitest';
import { looksLikeMp4, MP4_SNIFF_BYTES } from '../../../lambdas/core/mp4';

const ftypHead = (size: number[], type = 'ftyp', brand = 'mp42') =>
  Buffer.concat([Buffer.from(size), Buffer.from(type, 'latin1'), Buffer.from(brand, 'latin1'), Buffer.alloc(16)]);

describe('Core: looksLikeMp4', () => {
  it.each<[string, Buffer]>([
    ['an ftyp box of 24 bytes (mp42)', ftypHead([0, 0, 0, 0x18])],
    ['an ftyp box of 32 bytes (isom)', ftypHead([0, 0, 0, 0x20], 'ftyp', 'isom')],
    ['an ftyp box with a 64-bit size (size field 1)', ftypHead([0, 0, 0, 1])],
    ['exactly the sniffed bytes', ftypHead([0, 0, 0, 0x18]).subarray(0, MP4_SNIFF_BYTES)],
  ])('accepts %s', (_case, head) => {
    expect(looksLikeMp4(head)).toBe(true);
  });

  it.each<[string, Uint8Array]>([
    ['an HTML error page', Buffer.from('<!DOCTYPE html><html><body>Forbidden</body></html>')],
    ['JSON', Buffer.from('{"error":"expired"}   ')],
    ['a PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])],
    ['a box that is not ftyp first', ftypHead([0, 0, 0, 0x18], 'moov')],
    ['an ftyp box with an impossible size of 4', ftypHead([0, 0, 0, 4])],
    ['an ftyp box with size 0', ftypHead([0, 0, 0, 0])],
    ['fewer than 12 bytes', ftypHead([0, 0, 0, 0x18]).subarray(0, MP4_SNIFF_BYTES - 1)],
    ['nothing', new Uint8Array()],
  ])('refuses %s', (_case, head) => {
    expect(looksLikeMp4(head)).toBe(false);
  });
});
