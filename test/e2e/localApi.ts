import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');

/** A JSON answer of the local API. */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * JSON calls to a local API with one default key, and frame uploads through
 * `/v2/uploads` (a presigned PUT into the local S3): what the e2e tests of the
 * newer routes arrange their jobs with.
 */
export function localApi(baseUrl: () => string, defaultKey: string) {
  async function api(
    route: string,
    options: { method?: string; key?: string; body?: unknown } = {},
  ): Promise<JsonAnswer> {
    const response = await fetch(route.startsWith('http') ? route : `${baseUrl()}${route}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        'x-api-key': options.key ?? defaultKey,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  /** Uploads one of the example frames; answers its `s3://` URI. */
  async function uploadFrame(file: string): Promise<string> {
    const bytes = await readFile(path.join(frames, file));
    const answer = await api('/v2/uploads', { body: { content_type: 'image/png', content_length: bytes.length } });
    const upload = answer.body as { upload_url: string; headers: Record<string, string>; s3_uri: string };
    const put = await fetch(upload.upload_url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(bytes) });
    expect(put.status).toBe(200);
    return upload.s3_uri;
  }

  return { api, uploadFrame };
}
