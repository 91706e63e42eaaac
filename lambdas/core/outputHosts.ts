/**
 * Hosts a finished video may be fetched from. Anything else in `output` is
 * refused: a compromised or confused upstream must not make us fetch from our
 * own network. `*.example.com` matches subdomains only.
 */
export const defaultSegmindOutputHosts = [
  '*.segmind.com',
  'segmind-inference-outputs.s3.amazonaws.com',
  'segmind-inference-inputs.s3.amazonaws.com',
  'segmind-resources.s3.amazonaws.com',
] as const;

export function allowedOutputHosts(configured: readonly string[] | undefined, segmindBaseUrl: string): string[] {
  const baseHost = new URL(segmindBaseUrl).host;
  return [...(configured?.length ? configured : defaultSegmindOutputHosts), baseHost].map((host) => host.toLowerCase());
}

export function isAllowedHost(url: URL, allowed: readonly string[]): boolean {
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  return allowed.some((pattern) =>
    pattern.startsWith('*.') ? hostname.endsWith(pattern.slice(1)) : pattern === host || pattern === hostname,
  );
}

/**
 * https is required, except for the operator's own base URL host (a local
 * emulator or a test server may speak plain http).
 */
export function isAllowedVideoUrl(url: URL, allowed: readonly string[], segmindBaseUrl: string): boolean {
  if (!isAllowedHost(url, allowed)) return false;
  if (url.protocol === 'https:') return true;
  const base = new URL(segmindBaseUrl);
  return url.protocol === 'http:' && base.protocol === 'http:' && url.host === base.host;
}
