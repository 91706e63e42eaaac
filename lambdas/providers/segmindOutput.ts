import * as z from 'zod/mini';
import '../core/zodMini';
import { InvalidUpstreamOutputError } from '../core/errors';

/** Keys that may hold the video URL in an object `output`, most specific first. */
const URL_KEYS = ['video_url', 'url', 'output_url', 'video', 'output'] as const;

/**
 * How many containers (objects or arrays) we descend through: `{output: {url}}` and
 * `[{url}]` are found, anything deeper is not a shape Segmind sends.
 */
const MAX_CONTAINER_DEPTH = 2;

const httpUrl = z.url({ protocol: /^https?$/ });
const jsonObject = z.record(z.string(), z.unknown());

/**
 * Finds the video URL in Segmind's `output`, which is not a fixed shape: a URL string,
 * an object holding it (see URL_KEYS, one nested level), an array (first element), or a
 * JSON-encoded string of any of these. Returns the URL as sent (only trimmed) so that
 * signed query strings stay intact.
 */
export function parseVideoUrl(output: unknown): string {
  const url = findUrl(output, 0, false);
  if (url === undefined) {
    throw new InvalidUpstreamOutputError(
      `Segmind output holds no absolute http(s) video URL (expected a URL string, a JSON-encoded one, or an object with ${URL_KEYS.join('/')}); received ${summarizeForMessage(output)}`,
    );
  }
  return url;
}

function findUrl(value: unknown, depth: number, jsonDecoded: boolean): string | undefined {
  if (typeof value === 'string') {
    const candidate = value.trim();
    if (httpUrl.safeParse(candidate).success) return candidate;
    if (!jsonDecoded) {
      const decoded = decodeJson(candidate);
      if (decoded !== undefined) return findUrl(decoded, depth, true);
    }
    return undefined;
  }
  if (depth >= MAX_CONTAINER_DEPTH) return undefined;
  if (Array.isArray(value)) return findUrl(value[0], depth + 1, jsonDecoded);
  const object = jsonObject.safeParse(value);
  if (!object.success) return undefined;
  for (const key of URL_KEYS) {
    const url = findUrl(object.data[key], depth + 1, jsonDecoded);
    if (url !== undefined) return url;
  }
  return undefined;
}

/** JSON.parse that answers `undefined` for text that is not JSON. */
export function decodeJson(text: string): unknown {
  try {
    const decoded: unknown = JSON.parse(text);
    return decoded;
  } catch {
    return undefined;
  }
}

/** `type value` of something received, truncated, for error messages. */
export function summarizeForMessage(value: unknown, maxChars = 200): string {
  if (value === undefined || value === null) return String(value);
  const type = Array.isArray(value) ? 'array' : typeof value;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return `${type} ${truncate(text, maxChars)}`;
}

export function truncate(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}… (${text.length} chars)` : text;
}
