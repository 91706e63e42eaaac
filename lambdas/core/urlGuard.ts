/**
 * SSRF guard for callback URLs: which addresses a webhook may be sent to. Pure
 * range checks; `lambdas/webhooks/guardedPost.ts` applies them to every address
 * the host resolves to at connect time, so a DNS answer that changes between a
 * check and the connection (DNS rebinding) cannot reach a private address.
 */

interface Ipv4Range {
  readonly base: number;
  readonly prefix: number;
  readonly label: string;
}

interface Ipv6Range {
  readonly base: bigint;
  readonly prefix: number;
  readonly label: string;
  /** Where an embedded IPv4 address sits (bit offset from the left); that address is checked too. */
  readonly embeddedIpv4At?: number;
}

const ipv4Ranges: readonly Ipv4Range[] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (and broadcast)'],
].map(([base, prefix, label]) => ({
  base: parseIpv4(String(base)) ?? 0,
  prefix: Number(prefix),
  label: String(label),
}));

// Most specific first: the first match names the range.
const ipv6Ranges: readonly Ipv6Range[] = (
  [
    ['::', 128, 'unspecified'],
    ['::1', 128, 'loopback'],
    ['::ffff:0:0', 96, 'IPv4-mapped', 96],
    ['::', 96, 'IPv4-compatible (deprecated)'],
    ['64:ff9b:1::', 48, 'local-use NAT64'],
    ['64:ff9b::', 96, 'NAT64', 96],
    ['100::', 64, 'discard-only'],
    ['2001:db8::', 32, 'documentation'],
    ['2001::', 23, 'IETF protocol assignments (Teredo, benchmarking, ORCHID)'],
    ['2002::', 16, '6to4', 16],
    ['3fff::', 20, 'documentation'],
    ['fc00::', 7, 'unique local (private, AWS metadata fd00:ec2::254)'],
    ['fe80::', 10, 'link-local'],
    ['fec0::', 10, 'site-local (deprecated)'],
    ['ff00::', 8, 'multicast'],
  ] as const
).map(([base, prefix, label, embeddedIpv4At]) => ({
  base: parseIpv6(base) ?? 0n,
  prefix,
  label,
  embeddedIpv4At: embeddedIpv4At as number | undefined,
}));

/** Strict dotted-quad IPv4 (what DNS answers and the WHATWG URL parser produce) as an unsigned 32-bit number. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** An IPv6 address (optionally with a zone, `fe80::1%eth0`, or a trailing dotted quad) as a 128-bit number. */
export function parseIpv6(text: string): bigint | undefined {
  const address = text.replace(/%.*$/, '');
  if (!/^[0-9a-f:.]+$/i.test(address) || !address.includes(':')) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  // A trailing dotted quad stands for the last two groups; it may only end the address.
  const groupsOf = (half: string, dottedAllowed: boolean): number[] | undefined => {
    if (half === '') return [];
    const groups: number[] = [];
    const pieces = half.split(':');
    for (const [index, piece] of pieces.entries()) {
      if (piece.includes('.')) {
        const ipv4 = dottedAllowed && index === pieces.length - 1 ? parseIpv4(piece) : undefined;
        if (ipv4 === undefined) return undefined;
        groups.push(Math.floor(ipv4 / 65536), ipv4 % 65536);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(piece)) return undefined;
        groups.push(Number.parseInt(piece, 16));
      }
    }
    return groups;
  };
  const compressed = halves.length === 2;
  const head = groupsOf(halves[0] ?? '', !compressed);
  const tail = compressed ? groupsOf(halves[1] ?? '', true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<number>(compressed ? missing : 0).fill(0), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function ipv4Verdict(value: number): string | undefined {
  for (const range of ipv4Ranges) {
    const size = 2 ** (32 - range.prefix);
    if (Math.floor(value / size) === Math.floor(range.base / size)) return range.label;
  }
  return undefined;
}

function ipv6Verdict(value: bigint): string | undefined {
  for (const range of ipv6Ranges) {
    const shift = BigInt(128 - range.prefix);
    if (value >> shift !== range.base >> shift) continue;
    if (range.embeddedIpv4At === undefined) return range.label;
    const embedded = Number((value >> BigInt(128 - range.embeddedIpv4At - 32)) & 0xffffffffn);
    const inner = ipv4Verdict(embedded);
    return inner === undefined ? undefined : `${range.label} ${inner}`;
  }
  return undefined;
}

/**
 * The non-public range an IP address falls in — loopback, private, link-local
 * and cloud metadata, carrier-grade NAT, unspecified, multicast, reserved,
 * documentation; IPv4 embedded in IPv6 (mapped, NAT64, 6to4) is judged by its
 * IPv4 part — or undefined for a public unicast address. Anything that is not
 * an IP address is refused (fail closed).
 */
export function blockedRangeOf(address: string): string | undefined {
  const ipv4 = parseIpv4(address);
  if (ipv4 !== undefined) return ipv4Verdict(ipv4);
  const ipv6 = parseIpv6(address);
  if (ipv6 !== undefined) return ipv6Verdict(ipv6);
  return 'not an IP address';
}

/** True when the URL host is an IP literal (`203.0.113.9`, `[2001:db8::1]`). */
export function ipLiteralOf(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return parseIpv4(bare) !== undefined || parseIpv6(bare) !== undefined ? bare : undefined;
}

export interface CallbackUrlPolicy {
  /**
   * Local development only (`FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS=1`): plain http
   * and private, loopback or link-local hosts are allowed.
   */
  readonly allowPrivate: boolean;
}

export type CallbackUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * What can be judged from the URL alone: scheme (https; http only when private
 * callbacks are allowed), no credentials, and no literal non-public address or
 * `localhost` name. Host names are judged again on every connection, by address.
 */
export function checkCallbackUrl(raw: string, policy: CallbackUrlPolicy): CallbackUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not an absolute URL' };
  }
  const schemes = policy.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    return { ok: false, reason: policy.allowPrivate ? 'must be an http(s) URL' : 'must be an https:// URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  if (!url.hostname) return { ok: false, reason: 'has no host' };
  if (policy.allowPrivate) return { ok: true, url };
  const literal = ipLiteralOf(url.hostname);
  const range = literal === undefined ? undefined : blockedRangeOf(literal);
  if (range) return { ok: false, reason: `must not point at a non-public address (${range})` };
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, reason: 'must not point at a non-public address (loopback name)' };
  }
  return { ok: true, url };
}
