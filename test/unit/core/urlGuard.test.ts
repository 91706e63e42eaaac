import { describe, expect, it } from 'vitest';
import { blockedRangeOf, checkCallbackUrl, ipLiteralOf, parseIpv4, parseIpv6 } from '../../../lambdas/core/urlGuard';

describe('Function: blockedRangeOf (IPv4)', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['169.254.0.1', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.192', 'IETF protocol assignments'],
    ['192.0.2.10', 'documentation'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved (and broadcast)'],
  ])('refuses %s (%s)', (address, label) => {
    expect(blockedRangeOf(address)).toContain(label);
  });

  it.each([
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.1.1',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
  ])('allows the public address %s', (address) => {
    expect(blockedRangeOf(address)).toBeUndefined();
  });
});

describe('Function: blockedRangeOf (IPv6)', () => {
  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['::ffff:10.1.2.3', 'IPv4-mapped private'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::8.8.8.8', 'IPv4-compatible'],
    ['64:ff9b::10.0.0.1', 'NAT64 private'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 link-local'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['100::1', 'discard-only'],
    ['2001::1', 'Teredo'],
    ['2001:2::1', 'benchmarking'],
    ['2001:db8::1', 'documentation'],
    ['2002:7f00:1::1', '6to4 loopback'],
    ['2002:c0a8:101::', '6to4 private'],
    ['3fff::1', 'documentation'],
    ['fc00::1', 'unique local'],
    ['fd00:ec2::254', 'unique local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
  ])('refuses %s (%s)', (address, label) => {
    expect(blockedRangeOf(address)).toContain(label);
  });

  it.each([
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001:81d::200e',
    '::ffff:8.8.8.8',
    '::ffff:1.1.1.1',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:200::1',
    '2400:cb00::1',
  ])('allows the public address %s', (address) => {
    expect(blockedRangeOf(address)).toBeUndefined();
  });
});

describe('Function: blockedRangeOf (not an address)', () => {
  it.each(['', 'localhost', 'example.com', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', ':::', 'g::1'])(
    'fails closed on %j',
    (text) => {
      expect(blockedRangeOf(text)).toBe('not an IP address');
    },
  );
});

describe('Function: parseIpv4 / parseIpv6', () => {
  it('reads dotted quads strictly', () => {
    expect(parseIpv4('192.168.1.1')).toBe(0xc0a80101);
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('0x7f.0.0.1')).toBeUndefined();
    expect(parseIpv4('127.1')).toBeUndefined();
  });

  it('reads compressed, full, zoned and dotted-tail IPv6', () => {
    expect(parseIpv6('::')).toBe(0n);
    expect(parseIpv6('::1')).toBe(1n);
    expect(parseIpv6('1::')).toBe(1n << 112n);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toBe(0x00010002000300040005000600070008n);
    expect(parseIpv6('::ffff:1.2.3.4')).toBe(0xffff01020304n);
    expect(parseIpv6('fe80::1%en0')).toBe((0xfe80n << 112n) | 1n);
  });

  it.each([
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '1.2.3.4::',
    '::1.2.3',
    '12345::',
    'example.com',
    '1:2:3:4:5:6:7::8',
  ])('rejects the malformed IPv6 %j', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });

  it('recognises IP literals in URL host form', () => {
    expect(ipLiteralOf('[::1]')).toBe('::1');
    expect(ipLiteralOf('203.0.113.9')).toBe('203.0.113.9');
    expect(ipLiteralOf('hooks.example.com')).toBeUndefined();
  });
});

describe('Function: checkCallbackUrl', () => {
  const production = { allowPrivate: false };
  const local = { allowPrivate: true };

  it('accepts a public https URL', () => {
    const check = checkCallbackUrl('https://hooks.example.com:8443/framebridge?tenant=1', production);

    expect(check).toMatchObject({ ok: true });
    expect(check.ok && check.url.pathname).toBe('/framebridge');
  });

  it.each([
    ['http://hooks.example.com/', 'must be an https:// URL'],
    ['ftp://hooks.example.com/', 'must be an https:// URL'],
    ['not a url', 'is not an absolute URL'],
    ['https://user:pass@hooks.example.com/', 'must not carry credentials'],
    ['https://127.0.0.1/', 'loopback'],
    ['https://0x7f000001/', 'loopback'],
    ['https://2130706433/', 'loopback'],
    ['https://[::1]:8443/', 'loopback'],
    ['https://[::ffff:169.254.169.254]/', 'link-local'],
    ['https://169.254.169.254/latest/meta-data/', 'link-local (cloud metadata)'],
    ['https://10.0.0.8/', 'private'],
    ['https://localhost/', 'loopback name'],
    ['https://LOCALHOST./', 'loopback name'],
    ['https://api.localhost/', 'loopback name'],
  ])('refuses %s (%s)', (url, reason) => {
    const check = checkCallbackUrl(url, production);

    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toContain(reason);
  });

  it('allows plain http and private hosts only when private callbacks are allowed', () => {
    expect(checkCallbackUrl('http://127.0.0.1:9000/hook', local)).toMatchObject({ ok: true });
    expect(checkCallbackUrl('https://10.0.0.8/hook', local)).toMatchObject({ ok: true });
    expect(checkCallbackUrl('ftp://127.0.0.1/', local)).toMatchObject({ ok: false, reason: 'must be an http(s) URL' });
    expect(checkCallbackUrl('http://u:p@127.0.0.1/', local)).toMatchObject({ ok: false });
  });
});
