import { describe, expect, it } from 'vitest';
import {
  allowedOutputHosts,
  defaultSegmindOutputHosts,
  isAllowedHost,
  isAllowedVideoUrl,
} from '../../../lambdas/core/outputHosts';

const SEGMIND = 'https://api.segmind.com';
const LOCAL = 'http://127.0.0.1:4010';

describe('Core: output hosts', () => {
  describe('allowedOutputHosts', () => {
    it("defaults to Segmind's hosts plus the base URL's host", () => {
      expect(allowedOutputHosts(undefined, SEGMIND)).toEqual([...defaultSegmindOutputHosts, 'api.segmind.com']);
    });

    it('treats an empty configured list as the default', () => {
      expect(allowedOutputHosts([], SEGMIND)).toEqual(allowedOutputHosts(undefined, SEGMIND));
    });

    it('replaces the defaults with a configured list, keeps the base host (with its port), lower-cases all', () => {
      expect(allowedOutputHosts(['CDN.Example.com', '*.Videos.Example.net'], LOCAL)).toEqual([
        'cdn.example.com',
        '*.videos.example.net',
        '127.0.0.1:4010',
      ]);
    });
  });

  describe('isAllowedHost', () => {
    const allowed = allowedOutputHosts(undefined, LOCAL);

    it.each([
      'https://cdn.segmind.com/out/v.mp4',
      'https://a.b.segmind.com/out/v.mp4',
      'https://CDN.SEGMIND.COM/out/v.mp4',
      'https://segmind-inference-outputs.s3.amazonaws.com/x/v.mp4',
      'http://127.0.0.1:4010/files/v.mp4',
    ])('allows %s', (url) => {
      expect(isAllowedHost(new URL(url), allowed)).toBe(true);
    });

    it.each([
      ['the wildcard apex itself', 'https://segmind.com/v.mp4'],
      ['a look-alike domain', 'https://evilsegmind.com/v.mp4'],
      ['an allowed name as a subdomain of another domain', 'https://cdn.segmind.com.evil.net/v.mp4'],
      ['another bucket on s3.amazonaws.com', 'https://attacker.s3.amazonaws.com/v.mp4'],
      ["the base host's address on another port", 'http://127.0.0.1:4011/v.mp4'],
      ['a metadata address', 'http://169.254.169.254/latest/meta-data/'],
      ['localhost', 'http://localhost:4010/v.mp4'],
    ])('refuses %s', (_case, url) => {
      expect(isAllowedHost(new URL(url), allowed)).toBe(false);
    });
  });

  describe('isAllowedVideoUrl', () => {
    it.each([
      ['https on an allowed host', 'https://cdn.segmind.com/v.mp4', SEGMIND, true],
      ['https on the base host', 'https://api.segmind.com/files/v.mp4', SEGMIND, true],
      ['http on an allowed host when the base is https', 'http://cdn.segmind.com/v.mp4', SEGMIND, false],
      ['http on the base host when the base is https', 'http://api.segmind.com/files/v.mp4', SEGMIND, false],
      ['http on the base host when the base is http', 'http://127.0.0.1:4010/files/v.mp4', LOCAL, true],
      ['http on another allowed host when the base is http', 'http://cdn.segmind.com/v.mp4', LOCAL, false],
      ['http on the base address but another port', 'http://127.0.0.1:4011/v.mp4', LOCAL, false],
      ['https on the base host:port when the base is http', 'https://127.0.0.1:4010/v.mp4', LOCAL, true],
      ['another scheme on an allowed host', 'ftp://cdn.segmind.com/v.mp4', SEGMIND, false],
      ['https on a host not allowed', 'https://example.org/v.mp4', SEGMIND, false],
    ])('%s → %s', (_case, url, base, expected) => {
      // Arrange
      const allowed = allowedOutputHosts(undefined, base);

      // Act / Assert
      expect(isAllowedVideoUrl(new URL(url), allowed, base)).toBe(expected);
    });
  });
});
