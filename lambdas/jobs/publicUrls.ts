import { lookup as dnsLookup } from 'node:dns/promises';
import { ValidationError } from '../core/errors';
import type { TransitionRequest } from '../core/schemas';
import { blockedRangeOf, checkCallbackUrl, ipLiteralOf } from '../core/urlGuard';

export type Resolve = (hostname: string) => Promise<readonly string[]>;

const resolveAll: Resolve = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** Names that reach cloud metadata services or the local machine without any DNS. */
const BLOCKED_NAMES =
  /^(localhost|metadata|metadata\.google\.internal|instance-data|instance-data\.ec2\.internal)$|\.localhost$/;

/**
 * Why a URL handed to someone else would reach a non-public address: a literal
 * private/loopback/link-local/CGNAT/metadata IP, a local name, or a name that
 * resolves to one. A name that does not resolve is let through — the upstream
 * (or the webhook delivery, which checks again at connect time) fails on it later.
 */
async function nonPublicReason(url: URL, resolve: Resolve): Promise<string | undefined> {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const literal = ipLiteralOf(host);
  if (literal !== undefined) {
    const range = blockedRangeOf(literal);
    return range ? `must not point at a non-public address (${range})` : undefined;
  }
  if (BLOCKED_NAMES.test(host)) return 'must not point at a local or metadata host name';
  const addresses = await resolve(host).catch(() => [] as readonly string[]);
  const blocked = addresses.map((address) => blockedRangeOf(address)).find(Boolean);
  return blocked ? `must not point at a host that resolves to a non-public address (${blocked})` : undefined;
}

/**
 * Checks every URL of a request that is fetched or handed on, before anything
 * is written or paid for. https frames go to the upstream, which fetches them:
 * they must be public. The callback must be https and public, unless the local
 * development switch allows private and plain-http receivers.
 */
export async function assertPublicUrls(
  request: Pick<TransitionRequest, 'first_frame_url' | 'last_frame_url' | 'callback_url'>,
  options: { allowPrivateCallbacks: boolean; resolve?: Resolve },
): Promise<void> {
  const resolve = options.resolve ?? resolveAll;
  const issues: { field: string; rule: string }[] = [];
  for (const field of ['first_frame_url', 'last_frame_url'] as const) {
    const value = request[field];
    if (value.startsWith('s3://')) continue;
    // Decided by the parsed URL: `HTTPS://`, a leading space or `https:\\` parse to https too.
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    if (url.protocol !== 'https:') continue;
    const reason = await nonPublicReason(url, resolve);
    if (reason) issues.push({ field, rule: reason });
  }
  if (request.callback_url !== undefined) {
    const checked = checkCallbackUrl(request.callback_url, { allowPrivate: options.allowPrivateCallbacks });
    if (!checked.ok) issues.push({ field: 'callback_url', rule: checked.reason });
    else if (!options.allowPrivateCallbacks) {
      const reason = await nonPublicReason(checked.url, resolve);
      if (reason) issues.push({ field: 'callback_url', rule: reason });
    }
  }
  if (issues.length) {
    throw ValidationError.fromIssues('request', issues);
  }
}
