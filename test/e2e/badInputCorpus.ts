/**
 * The bad-input corpus for `badInput.test.ts`: requests, frames and S3
 * manifests that break one rule each, with the answer each must get — the
 * status, the error code, and the field (or header, path or query parameter)
 * and rule the error must name.
 */

/** The API key the corpus calls with (the stack is started with it, as a key of TENANT). */
export const API_KEY = 'bad-input-key';
/** The tenant API_KEY belongs to: its uploads are under `uploads/bad-input/`. */
export const TENANT = 'bad-input';
/** Another tenant of the same stack, whose frames the corpus must not be able to use. */
export const OTHER_TENANT = 'bad-input-other';
/** The bucket of the local stack. */
export const BUCKET = 'framebridge-local';

/**
 * Objects that exist in the bucket but are not the tenant's to use as frames:
 * put there before the corpus runs (the test puts each one; any valid image will do).
 */
export const FOREIGN_OBJECTS = {
  /** Another tenant's upload. */
  otherTenant: `uploads/${OTHER_TENANT}/01JABCDEFGHJKMNPQRSTVWXYZ0/first.png`,
  /** A frame of the S3 intake. */
  inbox: 'inbox/frames/first.png',
  /** Another job's result. */
  jobResult: 'jobs/01JABCDEFGHJKMNPQRSTVWXYZ0/video.mp4',
  /** An upload from before uploads had tenants. */
  untenanted: 'uploads/01JABCDEFGHJKMNPQRSTVWXYZ0/first.png',
} as const;

/** What a refusal must say: the field it names and the rule (matched against the detail, else the message). */
export interface Refusal {
  status: number;
  code: string;
  field: string;
  rule: RegExp;
}

/** The s3:// URIs of two good frames uploaded before the corpus runs. */
export interface Frames {
  first: string;
  last: string;
}

export interface HttpCase extends Refusal {
  name: string;
  method: string;
  /** Sent verbatim (no client-side normalisation of `..` or percent-escapes). */
  path: string;
  /** The x-api-key to send; null sends none. @default API_KEY */
  apiKey?: string | null;
  /** @default application/json when a body is sent; null sends none */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** A JSON body, built from the good frames. */
  json?: (frames: Frames) => unknown;
  /** A body sent as it is. */
  raw?: (frames: Frames) => string | Uint8Array;
}

const TRANSITION = '/v2/pixverse-5-transition';

/** A request that would be accepted: each case breaks exactly one rule of it. */
export const goodTransition = (
  frames: Frames,
  prompt = 'A quiet street at dawn turns into the same street at night',
) => ({
  prompt,
  first_frame_url: frames.first,
  last_frame_url: frames.last,
  quality: '360p',
});

const invalid = (field: string, rule: RegExp): Refusal => ({ status: 400, code: 'invalid_request', field, rule });

/** POST /v2/pixverse-5-transition with the good request, `patch` applied and `omit` removed. */
function transition(
  name: string,
  patch: Record<string, unknown> | ((frames: Frames) => Record<string, unknown>),
  refusal: Refusal,
  omit: readonly string[] = [],
): HttpCase {
  return {
    name,
    method: 'POST',
    path: TRANSITION,
    json: (frames) => {
      const body: Record<string, unknown> = {
        ...goodTransition(frames),
        ...(typeof patch === 'function' ? patch(frames) : patch),
      };
      for (const field of omit) delete body[field];
      return body;
    },
    ...refusal,
  };
}

const FRAME_RULE = /must be an https:\/\/ URL or an s3:\/\/bucket\/key URI/;
const LONG_URL = `https://example.com/${'a'.repeat(2030)}.png`;

/** Every rule of DESIGN's parameter table, broken one at a time. */
export const parameterCases: HttpCase[] = [
  transition('prompt: missing', {}, invalid('prompt', /is required/), ['prompt']),
  transition('prompt: empty', { prompt: '' }, invalid('prompt', /must not be empty/)),
  transition('prompt: 2049 characters', { prompt: 'p'.repeat(2049) }, invalid('prompt', /at most 2048 characters/)),
  transition('prompt: a number', { prompt: 42 }, invalid('prompt', /must be a string/)),
  transition('prompt: null', { prompt: null }, invalid('prompt', /must be a string/)),
  transition('prompt: an array of strings', { prompt: ['a', 'b'] }, invalid('prompt', /must be a string/)),
  transition('prompt: 1 MB', { prompt: 'p'.repeat(1024 * 1024) }, invalid('prompt', /at most 2048 characters/)),
  transition('first_frame_url: missing', {}, invalid('first_frame_url', /is required/), ['first_frame_url']),
  transition('last_frame_url: missing', {}, invalid('last_frame_url', /is required/), ['last_frame_url']),
  transition('first_frame_url: empty', { first_frame_url: '' }, invalid('first_frame_url', FRAME_RULE)),
  transition('first_frame_url: a number', { first_frame_url: 7 }, invalid('first_frame_url', /must be a string/)),
  transition(
    'first_frame_url: http://',
    { first_frame_url: 'http://example.com/first.png' },
    invalid('first_frame_url', FRAME_RULE),
  ),
  transition(
    'last_frame_url: http://',
    { last_frame_url: 'http://example.com/last.png' },
    invalid('last_frame_url', FRAME_RULE),
  ),
  transition(
    'first_frame_url: ftp://',
    { first_frame_url: 'ftp://example.com/first.png' },
    invalid('first_frame_url', FRAME_RULE),
  ),
  transition(
    'last_frame_url: javascript:',
    { last_frame_url: 'javascript:alert(1)' },
    invalid('last_frame_url', FRAME_RULE),
  ),
  transition(
    'first_frame_url: data:',
    { first_frame_url: 'data:image/png;base64,iVBORw0KGgo=' },
    invalid('first_frame_url', FRAME_RULE),
  ),
  transition(
    'last_frame_url: file://',
    { last_frame_url: 'file:///etc/passwd' },
    invalid('last_frame_url', FRAME_RULE),
  ),
  transition(
    'first_frame_url: relative path',
    { first_frame_url: 'frames/first.png' },
    invalid('first_frame_url', FRAME_RULE),
  ),
  transition(
    'last_frame_url: absolute path',
    { last_frame_url: '/etc/last.png' },
    invalid('last_frame_url', FRAME_RULE),
  ),
  transition(
    'first_frame_url: https with credentials',
    { first_frame_url: 'https://user:secret@example.com/first.png' },
    invalid('first_frame_url', FRAME_RULE),
  ),
  transition(
    'first_frame_url: 2049 characters',
    { first_frame_url: LONG_URL },
    invalid('first_frame_url', /at most 2048 characters/),
  ),
  transition(
    'last_frame_url: 2049 characters',
    { last_frame_url: LONG_URL },
    invalid('last_frame_url', /at most 2048 characters/),
  ),
  transition(
    'last_frame_url: s3:// without a key',
    { last_frame_url: `s3://${BUCKET}` },
    invalid('last_frame_url', FRAME_RULE),
  ),
  transition(
    'first_frame_url: s3:// with an upper-case bucket',
    { first_frame_url: 's3://FrameBridge/uploads/first.png' },
    invalid('first_frame_url', FRAME_RULE),
  ),
  transition('duration: 6', { duration: 6 }, invalid('duration', /must be 5 or 8/)),
  transition('duration: "5" (a string)', { duration: '5' }, invalid('duration', /must be 5 or 8/)),
  transition('duration: 5.5', { duration: 5.5 }, invalid('duration', /must be 5 or 8/)),
  transition('duration: null', { duration: null }, invalid('duration', /must be 5 or 8/)),
  transition(
    'duration: 8 with 1080p',
    { duration: 8, quality: '1080p' },
    invalid('duration', /must be 5 when quality is 1080p/),
  ),
  transition('quality: 4k', { quality: '4k' }, invalid('quality', /must be one of 360p, 540p, 720p, 1080p/)),
  transition('quality: 1080P (upper case)', { quality: '1080P' }, invalid('quality', /must be one of/)),
  transition('quality: 720 (a number)', { quality: 720 }, invalid('quality', /must be one of/)),
  transition('motion_mode: fast', { motion_mode: 'fast' }, invalid('motion_mode', /must be "normal"/)),
  transition('motion_mode: true', { motion_mode: true }, invalid('motion_mode', /must be "normal"/)),
  transition('seed: 0', { seed: 0 }, invalid('seed', /between 1 and 999999/)),
  transition('seed: 1000000', { seed: 1_000_000 }, invalid('seed', /between 1 and 999999/)),
  transition('seed: -5', { seed: -5 }, invalid('seed', /between 1 and 999999/)),
  transition('seed: 1.5', { seed: 1.5 }, invalid('seed', /must be an integer/)),
  transition('seed: "1" (a string)', { seed: '1' }, invalid('seed', /must be an integer/)),
  transition(
    'sound_effect_switch: "true" (a string)',
    { sound_effect_switch: 'true' },
    invalid('sound_effect_switch', /must be true or false/),
  ),
  transition('sound_effect_switch: 1', { sound_effect_switch: 1 }, invalid('sound_effect_switch', /true or false/)),
  transition(
    'sound_effect_content: 2049 characters',
    { sound_effect_content: 's'.repeat(2049) },
    invalid('sound_effect_content', /at most 2048 characters/),
  ),
  transition(
    'sound_effect_content: a number',
    { sound_effect_content: 3 },
    invalid('sound_effect_content', /must be a string/),
  ),
  transition(
    'lip_sync_switch: "false" (a string)',
    { lip_sync_switch: 'false' },
    invalid('lip_sync_switch', /must be true or false/),
  ),
  transition(
    'lip_sync_tts_content: a number',
    { lip_sync_tts_content: 7 },
    invalid('lip_sync_tts_content', /must be a string/),
  ),
  transition(
    'lip_sync_tts_content: 2049 characters',
    { lip_sync_tts_content: 't'.repeat(2049) },
    invalid('lip_sync_tts_content', /at most 2048 characters/),
  ),
  ...[
    ['3 (a number)', 3, /must be a string/],
    ['"0"', '0', /must be "auto", "1"–"14" or a voice name/],
    ['"15"', '15', /must be "auto", "1"–"14" or a voice name/],
    ['"" (empty)', '', /must be "auto", "1"–"14" or a voice name/],
    ['"Bob" (unknown voice)', 'Bob', /must be "auto", "1"–"14" or a voice name/],
    ['"constructor"', 'constructor', /must be "auto", "1"–"14" or a voice name/],
    ['"__proto__"', '__proto__', /must be "auto", "1"–"14" or a voice name/],
    ['"toString"', 'toString', /must be "auto", "1"–"14" or a voice name/],
  ].map(([label, value, rule]) =>
    transition(
      `lip_sync_tts_speaker_id: ${String(label)}`,
      { lip_sync_tts_speaker_id: value },
      invalid('lip_sync_tts_speaker_id', rule as RegExp),
    ),
  ),
  transition(
    'callback_url: http:// (private callbacks off)',
    { callback_url: 'http://example.com/hook' },
    invalid('callback_url', /must be an https:\/\/ URL/),
  ),
  transition(
    'callback_url: http://127.0.0.1 (private callbacks off)',
    { callback_url: 'http://127.0.0.1:9/hook' },
    invalid('callback_url', /must be an https:\/\/ URL/),
  ),
  transition(
    'callback_url: ftp://',
    { callback_url: 'ftp://example.com/hook' },
    invalid('callback_url', /must be an https:\/\/ URL/),
  ),
  transition(
    'callback_url: not a URL',
    { callback_url: 'call me maybe' },
    invalid('callback_url', /must be an https:\/\/ URL/),
  ),
  transition(
    'callback_url: with credentials',
    { callback_url: 'https://user:secret@example.com/hook' },
    invalid('callback_url', /must not carry credentials/),
  ),
  transition(
    'callback_url: 2049 characters',
    { callback_url: `https://example.com/${'h'.repeat(2029)}` },
    invalid('callback_url', /at most 2048 characters/),
  ),
  transition('callback_url: a number', { callback_url: 12 }, invalid('callback_url', /must be a string/)),
  transition(
    'unknown field: webhook_url',
    { webhook_url: 'https://example.com/' },
    invalid('webhook_url', /is not a known field/),
  ),
  transition('unknown field: Prompt (wrong case)', { Prompt: 'x' }, invalid('Prompt', /is not a known field/)),
  transition('unknown field: nested options', { options: { fast: true } }, invalid('options', /is not a known field/)),
];

/** Bodies that are not a request object at all, or are not JSON, or not sent as JSON. */
export const bodyCases: HttpCase[] = [
  ...(
    [
      ['an array', []],
      ['a string', 'make me a video'],
      ['null', null],
      ['a number', 42],
      ['true', true],
    ] as const
  ).map(
    ([label, value]): HttpCase => ({
      name: `body: ${label}`,
      method: 'POST',
      path: TRANSITION,
      json: () => value,
      ...invalid('body', /must be a JSON object/),
    }),
  ),
  {
    name: 'body: {} (nothing given)',
    method: 'POST',
    path: TRANSITION,
    json: () => ({}),
    ...invalid('prompt', /is required/),
  },
  {
    name: 'body: __proto__ member',
    method: 'POST',
    path: TRANSITION,
    raw: (frames) => `{"__proto__":{"admin":true},${JSON.stringify(goodTransition(frames)).slice(1)}`,
    ...invalid('__proto__', /is not a known field/),
  },
  {
    name: 'body: seed 1e400 (Infinity once parsed)',
    method: 'POST',
    path: TRANSITION,
    raw: (frames) => `{"seed":1e400,${JSON.stringify(goodTransition(frames)).slice(1)}`,
    ...invalid('seed', /must be an integer/),
  },
  {
    name: 'body: prompt nested 100000 arrays deep',
    method: 'POST',
    path: TRANSITION,
    raw: (frames) =>
      `{"prompt":${'['.repeat(100_000)}${']'.repeat(100_000)},${JSON.stringify(goodTransition(frames))
        .slice(1)
        .replace(/"prompt":"[^"]*",/, '')}`,
    ...invalid('prompt', /must be a string/),
  },
  ...(
    [
      ['cut off', '{"prompt": "a street",'],
      ['trailing comma', '{"prompt": "a street",}'],
      ['single quotes', "{'prompt': 'a street'}"],
      ['NaN', '{"seed": NaN}'],
      ['byte order mark', '\uFEFF{"prompt": "a street"}'],
      ['empty', ''],
    ] as const
  ).map(
    ([label, text]): HttpCase => ({
      name: `malformed JSON: ${label}`,
      method: 'POST',
      path: TRANSITION,
      raw: () => text,
      status: 400,
      code: 'invalid_json',
      field: 'body',
      rule: label === 'empty' ? /is empty; send a JSON object/ : /is not valid JSON/,
    }),
  ),
  ...(
    [
      ['missing', null],
      ['text/plain', 'text/plain'],
      ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
      ['multipart/form-data', 'multipart/form-data; boundary=x'],
      ['application/xml', 'application/xml'],
      ['application/jsonx (only a prefix of application/json)', 'application/jsonx'],
      ['application/json5', 'application/json5'],
      ['application/json-patch+json', 'application/json-patch+json'],
    ] as const
  ).map(
    ([label, contentType]): HttpCase => ({
      name: `content-type: ${label}`,
      method: 'POST',
      path: TRANSITION,
      contentType,
      json: (frames) => goodTransition(frames),
      status: 415,
      code: 'unsupported_media_type',
      field: 'content-type',
      rule: /must be JSON \(content-type: application\/json\)/,
    }),
  ),
  {
    name: 'body: 11 MB (over the gateway limit)',
    method: 'POST',
    path: TRANSITION,
    raw: (frames) => JSON.stringify(goodTransition(frames, 'p'.repeat(11 * 1024 * 1024))),
    status: 413,
    code: 'payload_too_large',
    field: 'body',
    rule: /exceeds 10 MB/,
  },
];

const IDEMPOTENCY_RULE = /must be 1–255 printable ASCII characters/;

/** Idempotency-Key values that must be refused (with an otherwise good request). */
export const idempotencyKeyCases: HttpCase[] = (
  [
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a tab inside', 'key\twith-tab'],
    ['a non-ASCII character (é)', 'cl\u00e9'],
  ] as const
).map(([label, value]) => ({
  name: `Idempotency-Key: ${label}`,
  method: 'POST',
  path: TRANSITION,
  headers: { 'Idempotency-Key': value },
  json: (frames) => goodTransition(frames),
  ...invalid('Idempotency-Key', IDEMPOTENCY_RULE),
}));

/** The one rule every s3:// frame the tenant may not use is refused with, whatever the reason. */
export const NOT_YOURS_RULE = 'must be an s3:// URI of a frame this tenant uploaded (POST /v2/uploads)';
const NOT_YOURS = /^must be an s3:\/\/ URI of a frame this tenant uploaded \(POST \/v2\/uploads\)$/;

/**
 * s3:// frames the tenant may not use: another tenant's, outside its uploads,
 * in another bucket, or missing. Every one (all on first_frame_url) must get
 * exactly the same answer, byte for byte: nothing tells what the bucket holds.
 */
export const frameScopeCases: HttpCase[] = (
  [
    ["another tenant's upload (exists)", `s3://${BUCKET}/${FOREIGN_OBJECTS.otherTenant}`],
    ['a frame under inbox/ (exists)', `s3://${BUCKET}/${FOREIGN_OBJECTS.inbox}`],
    ["a job's result under jobs/ (exists)", `s3://${BUCKET}/${FOREIGN_OBJECTS.jobResult}`],
    ['an upload of no tenant (exists)', `s3://${BUCKET}/${FOREIGN_OBJECTS.untenanted}`],
    ["a missing object under the tenant's uploads", `s3://${BUCKET}/uploads/${TENANT}/does-not-exist.png`],
    ["a missing object under another tenant's uploads", `s3://${BUCKET}/uploads/${OTHER_TENANT}/nothing.png`],
    [
      "a .. path from the tenant's uploads to another's",
      `s3://${BUCKET}/uploads/${TENANT}/../${FOREIGN_OBJECTS.otherTenant.slice('uploads/'.length)}`,
    ],
    ['the same key in another bucket', 's3://someone-elses-bucket/uploads/bad-input/good/first.png'],
  ] as const
).map(([label, uri]) =>
  transition(`first_frame_url: ${label}`, { first_frame_url: uri }, invalid('first_frame_url', NOT_YOURS)),
);

/** Ids a client may put in `/v2/requests/{id}`: never a 5xx. */
const badIds: { label: string; segment: string; status: 400 | 404 }[] = [
  { label: '..%2F.. (traversal)', segment: '..%2F..', status: 400 },
  { label: '..%2F..%2Fhealthz', segment: '..%2F..%2Fhealthz', status: 400 },
  { label: '200 characters', segment: 'A'.repeat(200), status: 400 },
  { label: 'a space', segment: 'has%20space', status: 400 },
  { label: 'unicode (été)', segment: '%C3%A9t%C3%A9', status: 400 },
  { label: 'right-to-left override', segment: '%E2%80%AEdi', status: 400 },
  { label: 'a NUL byte', segment: 'id%00', status: 400 },
  { label: 'a dot', segment: 'report.json', status: 400 },
  { label: 'an escaped percent', segment: '%25', status: 400 },
  { label: 'a broken percent-escape (%E0%A4%A)', segment: '%E0%A4%A', status: 400 },
  { label: 'a lone percent sign', segment: '%', status: 400 },
  { label: 'an invalid escape (abc%zz)', segment: 'abc%zz', status: 400 },
  { label: 'a well-formed ULID nobody owns', segment: '01ARZ3NDEKTSV4RRFFQ69G5FAV', status: 404 },
  { label: '128 characters nobody owns', segment: 'A'.repeat(128), status: 404 },
  { label: 'an idem- id nobody owns', segment: `idem-${'0'.repeat(40)}`, status: 404 },
];

const idRoutes = [
  { method: 'GET', path: (id: string) => `/v2/requests/${id}/status` },
  { method: 'GET', path: (id: string) => `/v2/requests/${id}` },
  { method: 'DELETE', path: (id: string) => `/v2/requests/${id}` },
];

export const pathCases: HttpCase[] = [
  ...idRoutes.flatMap((route) =>
    badIds.map(
      ({ label, segment, status }): HttpCase => ({
        name: `${route.method} ${route.path('{id}')} with id ${label}`,
        method: route.method,
        path: route.path(segment),
        status,
        ...(status === 400
          ? { code: 'invalid_request', field: 'id', rule: /must be a request id \(letters, digits, - and _\)/ }
          : { code: 'not_found', field: 'id', rule: /^No request with id / }),
      }),
    ),
  ),
  ...['/v2/requestz', '/v2/requests/abc/status/extra', `${TRANSITION}/extra`, '/v1/requests'].map(
    (path): HttpCase => ({
      name: `GET ${path} (no such route)`,
      method: 'GET',
      path,
      status: 404,
      code: 'not_found',
      field: path,
      rule: /^No route GET /,
    }),
  ),
];

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const CURSOR_RULE = /must be a next_cursor value returned by this API/;
const LIMIT_RULE = /must be a whole number from 1 to 100/;

export const listQueryCases: HttpCase[] = (
  [
    ['limit=0', 'limit', LIMIT_RULE],
    ['limit=101', 'limit', LIMIT_RULE],
    ['limit=abc', 'limit', LIMIT_RULE],
    ['limit=-1', 'limit', LIMIT_RULE],
    ['limit=1.5', 'limit', LIMIT_RULE],
    ['limit=1e2', 'limit', LIMIT_RULE],
    ['limit=', 'limit', LIMIT_RULE],
    ['status=bogus', 'status', /must be one of QUEUED, PROCESSING, COMPLETED, FAILED/],
    ['status=completed', 'status', /must be one of QUEUED, PROCESSING, COMPLETED, FAILED/],
    ['cursor=garbage!', 'cursor', CURSOR_RULE],
    ['cursor=', 'cursor', CURSOR_RULE],
    [`cursor=${'A'.repeat(2000)}`, 'cursor', CURSOR_RULE],
    [`cursor=${cursorOf({ id: 'x' })}`, 'cursor', CURSOR_RULE],
    [`cursor=${cursorOf(['not', 'an', 'object'])}`, 'cursor', CURSOR_RULE],
    [
      `cursor=${cursorOf({ id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', owner: 'key-someone-else', createdAt: '2024-01-01T00:00:00.000Z' })}`,
      'cursor',
      CURSOR_RULE,
    ],
    ['foo=bar', 'foo', /is not a known field/],
  ] as const
).map(([query, field, rule]) => ({
  name: `GET /v2/requests?${query.length > 60 ? `${query.slice(0, 40)}… (${query.length} chars)` : query}`,
  method: 'GET',
  path: `/v2/requests?${query}`,
  ...invalid(field, rule),
}));

const UPLOADS = '/v2/uploads';
const CONTENT_TYPE_RULE = /must be one of image\/png, image\/jpeg, image\/webp/;
const FILENAME_RULE = /must start with a letter or digit and hold only letters, digits/;

const CONTENT_LENGTH_RULE = /must be the image's size in bytes, a whole number from 1 to 20971520 \(20 MB\)/;
const MB20 = 20 * 1024 * 1024;

/** POST /v2/uploads with `body`; an object body gets a good content_length unless it sets its own (or omits it). */
const upload = (name: string, body: unknown, refusal: Refusal, omit: readonly string[] = []): HttpCase => ({
  name: `POST /v2/uploads: ${name}`,
  method: 'POST',
  path: UPLOADS,
  json: () => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
    const withLength: Record<string, unknown> = { content_length: 1024, ...body };
    for (const field of omit) delete withLength[field];
    return withLength;
  },
  ...refusal,
});

export const uploadCases: HttpCase[] = [
  upload('content_type image/gif', { content_type: 'image/gif' }, invalid('content_type', CONTENT_TYPE_RULE)),
  upload('content_type text/html', { content_type: 'text/html' }, invalid('content_type', CONTENT_TYPE_RULE)),
  upload('content_type image/svg+xml', { content_type: 'image/svg+xml' }, invalid('content_type', CONTENT_TYPE_RULE)),
  upload('content_type missing', { filename: 'a.png' }, invalid('content_type', /is required/)),
  upload('content_type a number', { content_type: 1 }, invalid('content_type', CONTENT_TYPE_RULE)),
  ...['../evil.png', 'a/../../b.png', 'uploads/x.png', '.hidden.png', 'a b.png', '\u00e9t\u00e9.png', ''].map(
    (filename) =>
      upload(
        `filename ${JSON.stringify(filename)}`,
        { content_type: 'image/png', filename },
        invalid('filename', FILENAME_RULE),
      ),
  ),
  upload(
    'filename "a..png"',
    { content_type: 'image/png', filename: 'a..png' },
    invalid('filename', /must not contain "\.\."/),
  ),
  upload(
    'filename of 129 characters',
    { content_type: 'image/png', filename: `${'f'.repeat(125)}.png` },
    invalid('filename', /at most 128 characters/),
  ),
  upload('filename a number', { content_type: 'image/png', filename: 7 }, invalid('filename', /must be a string/)),
  upload(
    'unknown field bucket',
    { content_type: 'image/png', bucket: 'other' },
    invalid('bucket', /is not a known field/),
  ),
  upload('unknown field key', { content_type: 'image/png', key: 'jobs/x' }, invalid('key', /is not a known field/)),
  upload('content_length missing', { content_type: 'image/png' }, invalid('content_length', /is required/), [
    'content_length',
  ]),
  upload(
    'content_length 0',
    { content_type: 'image/png', content_length: 0 },
    invalid('content_length', CONTENT_LENGTH_RULE),
  ),
  upload(
    'content_length 20 MB + 1 byte',
    { content_type: 'image/png', content_length: MB20 + 1 },
    invalid('content_length', CONTENT_LENGTH_RULE),
  ),
  upload(
    'content_length 5 GB',
    { content_type: 'image/png', content_length: 5 * 1024 ** 3 },
    invalid('content_length', CONTENT_LENGTH_RULE),
  ),
  upload(
    'content_length -1',
    { content_type: 'image/png', content_length: -1 },
    invalid('content_length', CONTENT_LENGTH_RULE),
  ),
  upload(
    'content_length 1.5',
    { content_type: 'image/png', content_length: 1.5 },
    invalid('content_length', CONTENT_LENGTH_RULE),
  ),
  upload(
    'content_length "1024" (a string)',
    { content_type: 'image/png', content_length: '1024' },
    invalid('content_length', CONTENT_LENGTH_RULE),
  ),
  upload('body an array', [{ content_type: 'image/png' }], invalid('body', /must be a JSON object/)),
  upload('body null', null, invalid('body', /must be a JSON object/)),
  {
    name: 'POST /v2/uploads: no content-type',
    method: 'POST',
    path: UPLOADS,
    contentType: null,
    json: () => ({ content_type: 'image/png' }),
    status: 415,
    code: 'unsupported_media_type',
    field: 'content-type',
    rule: /must be JSON/,
  },
  {
    name: 'POST /v2/uploads: malformed JSON',
    method: 'POST',
    path: UPLOADS,
    raw: () => '{"content_type":',
    status: 400,
    code: 'invalid_json',
    field: 'body',
    rule: /is not valid JSON/,
  },
];

/**
 * A presigned upload used other than as it was signed: the S3 server itself
 * must refuse the PUT (403, S3's `SignatureDoesNotMatch`), whatever the API
 * said when it signed it, and store nothing.
 */
export interface PresignedUploadCase {
  name: string;
  /** The body of POST /v2/uploads (accepted: 201). */
  request: { content_type: string; content_length: number };
  /** The PUT to the presigned URL: this content type, this body (its length computed by the client). */
  put: { contentType: string; body: () => Uint8Array };
  s3Status: 403;
  s3Code: 'SignatureDoesNotMatch';
}

/** A PNG signature then zeros: S3 looks only at the size and the type. */
const pngOfSize = (bytes: number) => {
  const body = new Uint8Array(bytes);
  body.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return body;
};

const s3Refuses = { s3Status: 403, s3Code: 'SignatureDoesNotMatch' } as const;

export const presignedUploadCases: PresignedUploadCase[] = [
  {
    name: '20 MB + 1 byte on a URL signed for 20 MB',
    request: { content_type: 'image/png', content_length: MB20 },
    put: { contentType: 'image/png', body: () => pngOfSize(MB20 + 1) },
    ...s3Refuses,
  },
  {
    name: '20 MB + 1 byte on a URL signed for 1 KB',
    request: { content_type: 'image/png', content_length: 1024 },
    put: { contentType: 'image/png', body: () => pngOfSize(MB20 + 1) },
    ...s3Refuses,
  },
  {
    name: '1 KB - 1 byte on a URL signed for 1 KB',
    request: { content_type: 'image/png', content_length: 1024 },
    put: { contentType: 'image/png', body: () => pngOfSize(1023) },
    ...s3Refuses,
  },
  ...['image/jpeg', 'image/svg+xml', 'text/html', 'application/octet-stream'].map(
    (contentType): PresignedUploadCase => ({
      name: `a PNG upload sent as ${contentType}`,
      request: { content_type: 'image/png', content_length: 1024 },
      put: { contentType, body: () => pngOfSize(1024) },
      ...s3Refuses,
    }),
  ),
];

const UNAUTHORIZED = { status: 401, code: 'unauthorized', field: 'x-api-key', rule: /An x-api-key header is required/ };
const FORBIDDEN = { status: 403, code: 'forbidden', field: 'x-api-key', rule: /The x-api-key is unknown or revoked/ };

const keyedRoutes: { method: string; path: string; json?: (frames: Frames) => unknown }[] = [
  { method: 'POST', path: TRANSITION, json: (frames) => goodTransition(frames) },
  { method: 'GET', path: '/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/status' },
  { method: 'GET', path: '/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV' },
  { method: 'DELETE', path: '/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV' },
  { method: 'GET', path: '/v2/requests' },
  { method: 'POST', path: UPLOADS, json: () => ({ content_type: 'image/png' }) },
];

export const authCases: HttpCase[] = [
  ...keyedRoutes.map(
    (route): HttpCase => ({
      name: `${route.method} ${route.path} without x-api-key`,
      ...route,
      apiKey: null,
      ...UNAUTHORIZED,
    }),
  ),
  ...(
    [
      ['an unknown key', 'not-a-key'],
      ['an empty key', ''],
      ['the key in upper case', API_KEY.toUpperCase()],
      ['the key with a trailing character', `${API_KEY}x`],
    ] as const
  ).flatMap(([label, apiKey]) =>
    [keyedRoutes[0], keyedRoutes[4]].flatMap((route) =>
      route
        ? [
            {
              name: `${route.method} ${route.path} with ${label}`,
              ...route,
              apiKey,
              // API Gateway treats an empty identity header as a missing one.
              ...(apiKey === '' ? UNAUTHORIZED : FORBIDDEN),
            },
          ]
        : [],
    ),
  ),
];

export const methodCases: HttpCase[] = [
  ['PUT', TRANSITION],
  ['GET', TRANSITION],
  ['PATCH', '/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV'],
  ['POST', '/v2/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/status'],
  ['DELETE', '/v2/requests'],
  ['GET', UPLOADS],
  ['POST', '/healthz'],
  ['DELETE', '/openapi.json'],
].map(([method = '', path = '']) => ({
  name: `${method} ${path}`,
  method,
  path,
  status: 405,
  code: 'method_not_allowed',
  field: method,
  rule: new RegExp(`^${method} is not allowed on ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
}));

/**
 * Names resolved by the test's DNS stub (the `.test` TLD never resolves for
 * real): hosts whose *address* is non-public while the name looks harmless.
 */
export const fakeDnsAnswers: Record<string, readonly string[]> = {
  'loopback.framebridge.test': ['127.0.0.1'],
  'metadata.framebridge.test': ['169.254.169.254'],
  'ula.framebridge.test': ['fd00::1'],
  'mixed.framebridge.test': ['93.184.215.14', '10.1.2.3'],
};

/** Hosts that reach the machine, its network or a metadata service, and the range each must be named by. */
export const nonPublicHosts: { host: string; rule: RegExp }[] = [
  { host: '127.0.0.1', rule: /non-public address \(loopback\)/ },
  { host: '127.0.0.1:8443', rule: /non-public address \(loopback\)/ },
  { host: '10.0.0.5', rule: /non-public address \(private\)/ },
  { host: '172.16.0.1', rule: /non-public address \(private\)/ },
  { host: '192.168.1.1', rule: /non-public address \(private\)/ },
  { host: '169.254.169.254', rule: /non-public address \(link-local \(cloud metadata\)\)/ },
  { host: '100.64.0.1', rule: /non-public address \(carrier-grade NAT\)/ },
  { host: '0.0.0.0', rule: /non-public address \(unspecified/ },
  { host: '[::1]', rule: /non-public address \(loopback\)/ },
  { host: '[fe80::1]', rule: /non-public address \(link-local\)/ },
  { host: '[fd00::1]', rule: /non-public address \(unique local/ },
  { host: '[fd00:ec2::254]', rule: /non-public address \(unique local/ },
  { host: '[::ffff:127.0.0.1]', rule: /non-public address \(IPv4-mapped loopback\)/ },
  { host: '[::ffff:169.254.169.254]', rule: /non-public address \(IPv4-mapped link-local/ },
  { host: '2130706433', rule: /non-public address \(loopback\)/ },
  { host: '0x7f000001', rule: /non-public address \(loopback\)/ },
  { host: '0177.0.0.1', rule: /non-public address \(loopback\)/ },
  { host: '127.1', rule: /non-public address \(loopback\)/ },
  { host: 'localhost', rule: /local or metadata host name|non-public address \(loopback name\)/ },
  { host: 'LOCALHOST.', rule: /local or metadata host name|non-public address \(loopback name\)/ },
  { host: 'api.localhost', rule: /local or metadata host name|non-public address \(loopback name\)/ },
  { host: 'metadata.google.internal', rule: /local or metadata host name/ },
  { host: 'instance-data', rule: /local or metadata host name/ },
  { host: 'loopback.framebridge.test', rule: /resolves to a non-public address \(loopback\)/ },
  { host: 'metadata.framebridge.test', rule: /resolves to a non-public address \(link-local \(cloud metadata\)\)/ },
  { host: 'ula.framebridge.test', rule: /resolves to a non-public address \(unique local/ },
  { host: 'mixed.framebridge.test', rule: /resolves to a non-public address \(private\)/ },
];

const URL_FIELDS = [
  { field: 'first_frame_url', url: (host: string) => `https://${host}/frames/first.png` },
  { field: 'last_frame_url', url: (host: string) => `https://${host}/frames/last.png` },
  { field: 'callback_url', url: (host: string) => `https://${host}/hooks/framebridge` },
] as const;

/** Every non-public host in every URL field a request hands on or calls. */
export const nonPublicUrlCases: HttpCase[] = [
  ...URL_FIELDS.flatMap(({ field, url }) =>
    nonPublicHosts.map(({ host, rule }) =>
      transition(`${field}: ${url(host)}`, { [field]: url(host) }, invalid(field, rule)),
    ),
  ),
  // Spellings a URL parser turns into https: the check must see the URL as it will be used.
  ...[
    'HTTPS://127.0.0.1/x.png',
    ' https://169.254.169.254/latest/meta-data/x.png',
    'https:/10.0.0.1/x.png',
    'https:\\\\192.168.1.1\\x.png',
    'ht\ttps://[::1]/x.png',
  ].map((spelling) =>
    transition(
      `first_frame_url: ${JSON.stringify(spelling)} (parses to a non-public https URL)`,
      { first_frame_url: spelling },
      invalid('first_frame_url', /non-public/),
    ),
  ),
];

/** Bad objects uploaded to the bucket and named as an s3:// frame. */
export interface FrameFileCase {
  name: string;
  /** Key under `uploads/bad-input/`. */
  key: string;
  bytes: () => Uint8Array;
  contentType: string;
  field: 'first_frame_url' | 'last_frame_url';
  rule: RegExp;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A PNG whose IHDR claims `width`×`height` (8-bit RGB), with a one-row IDAT and an IEND: valid up to its pixel data. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk('IEND', new Uint8Array()),
  ]);
}

/** A baseline JPEG header (SOI, APP0 JFIF, SOF0) declaring `width`×`height`, then EOI. */
export function jpegClaiming(width: number, height: number): Buffer {
  const app0 = [
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
  ];
  const sof0 = [0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03];
  const components = [0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01];
  return Buffer.from([0xff, 0xd8, ...app0, ...sof0, ...components, 0xff, 0xd9]);
}

/** A WebP (VP8X) whose canvas is `width`×`height`. */
export function webpClaiming(width: number, height: number): Buffer {
  const vp8x = Buffer.alloc(10);
  vp8x.writeUIntLE(width - 1, 4, 3);
  vp8x.writeUIntLE(height - 1, 7, 3);
  const chunk = Buffer.concat([Buffer.from('VP8X', 'latin1'), Buffer.from([10, 0, 0, 0]), vp8x]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(4 + chunk.length);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, Buffer.from('WEBP', 'latin1'), chunk]);
}

const text = (value: string) => new TextEncoder().encode(value);
const SIDE_RULE = /must be at most 10000 pixels a side/;
const FORMAT_RULE = /must be a PNG, JPEG or WebP image/;

export const frameFileCases: FrameFileCase[] = [
  {
    name: 'a text file',
    key: 'notes.txt',
    bytes: () => text('These are my notes, not a picture.\n'),
    contentType: 'text/plain',
    field: 'first_frame_url',
    rule: FORMAT_RULE,
  },
  {
    name: 'an HTML page named .png',
    key: 'page.png',
    bytes: () => text('<!doctype html><html><body><img src="x.png"></body></html>\n'),
    contentType: 'image/png',
    field: 'last_frame_url',
    rule: FORMAT_RULE,
  },
  {
    name: 'an SVG',
    key: 'vector.svg',
    bytes: () => text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
    contentType: 'image/svg+xml',
    field: 'first_frame_url',
    rule: FORMAT_RULE,
  },
  {
    name: 'a GIF',
    key: 'anim.gif',
    bytes: () => Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'),
    contentType: 'image/gif',
    field: 'last_frame_url',
    rule: FORMAT_RULE,
  },
  {
    name: 'an empty object',
    key: 'empty.png',
    bytes: () => new Uint8Array(),
    contentType: 'image/png',
    field: 'first_frame_url',
    rule: /must not be an empty object/,
  },
  {
    name: 'a PNG cut off inside its IHDR',
    key: 'truncated.png',
    bytes: () => pngClaiming(640, 360).subarray(0, 20),
    contentType: 'image/png',
    field: 'first_frame_url',
    rule: /must be a complete PNG image/,
  },
  {
    name: 'a PNG cut off after its header and pixel data (no IEND)',
    key: 'cut-after-header.png',
    bytes: () => {
      const whole = pngClaiming(640, 360);
      return whole.subarray(0, whole.length - 12);
    },
    contentType: 'image/png',
    field: 'last_frame_url',
    rule: /must be a complete PNG image \(it is cut off\)/,
  },
  {
    name: 'a PNG without an IHDR first',
    key: 'no-ihdr.png',
    bytes: () => Buffer.concat([pngClaiming(640, 360).subarray(0, 8), pngChunk('tEXt', text('Comment\0hello'))]),
    contentType: 'image/png',
    field: 'last_frame_url',
    rule: /must be a valid PNG image \(it does not start with IHDR\)/,
  },
  {
    name: 'a PNG claiming 0 px height',
    key: 'zero.png',
    bytes: () => pngClaiming(640, 0),
    contentType: 'image/png',
    field: 'first_frame_url',
    rule: /must be a valid PNG image \(it declares a zero width or height\)/,
  },
  {
    name: 'a PNG claiming 20000 px width',
    key: 'wide.png',
    bytes: () => pngClaiming(20_000, 360),
    contentType: 'image/png',
    field: 'first_frame_url',
    rule: SIDE_RULE,
  },
  {
    name: 'a PNG claiming 20000 px height',
    key: 'tall.png',
    bytes: () => pngClaiming(360, 20_000),
    contentType: 'image/png',
    field: 'last_frame_url',
    rule: SIDE_RULE,
  },
  {
    name: 'a JPEG claiming 12000 px width',
    key: 'wide.jpg',
    bytes: () => jpegClaiming(12_000, 400),
    contentType: 'image/jpeg',
    field: 'first_frame_url',
    rule: SIDE_RULE,
  },
  {
    name: 'a WebP claiming 16000 px height',
    key: 'tall.webp',
    bytes: () => webpClaiming(400, 16_000),
    contentType: 'image/webp',
    field: 'last_frame_url',
    rule: SIDE_RULE,
  },
  {
    name: 'a 20 MB + 1 byte PNG',
    key: 'huge.png',
    bytes: () => {
      const bytes = Buffer.alloc(20 * 1024 * 1024 + 1);
      pngClaiming(640, 360).copy(bytes);
      return bytes;
    },
    contentType: 'image/png',
    field: 'last_frame_url',
    rule: /must be at most 20 MB/,
  },
];

/** An S3 manifest dropped in `inbox/bad-input/<name>.json`, and what its `outbox/…error.json` must say. */
export interface ManifestCase {
  name: string;
  /** The file name, without `.json`. */
  file: string;
  content: () => string | Uint8Array;
  code: 'invalid_json' | 'invalid_manifest' | 'frame_not_found' | 'manifest_too_large';
  /** The field the details must name; undefined when the whole document is wrong. */
  field?: string;
  rule: RegExp;
}

/** Frames the manifests may name, put under `inbox/frames/` before they run. */
export const inboxFrames: Record<string, () => Uint8Array> = {
  'notes.txt': () => text('not a picture'),
  'wide.png': () => pngClaiming(20_000, 360),
};

const manifestOf =
  (fields: Record<string, unknown>, omit: readonly string[] = []) =>
  () => {
    const document: Record<string, unknown> = {
      prompt: 'A quiet street at dawn turns into the same street at night',
      first_frame_url: 'frames/first.png',
      last_frame_url: 'frames/last.png',
      quality: '360p',
      ...fields,
    };
    for (const field of omit) delete document[field];
    return JSON.stringify(document);
  };

const manifest = (
  file: string,
  name: string,
  fields: Record<string, unknown>,
  expected: Omit<ManifestCase, 'name' | 'file' | 'content'>,
  omit: readonly string[] = [],
): ManifestCase => ({ name, file, content: manifestOf(fields, omit), ...expected });

export const manifestCases: ManifestCase[] = [
  {
    name: 'invalid JSON',
    file: 'cut-off',
    content: () => '{"prompt": "a street",',
    code: 'invalid_json',
    rule: /not valid UTF-8 JSON/,
  },
  {
    name: 'an empty file',
    file: 'empty',
    content: () => new Uint8Array(),
    code: 'invalid_json',
    rule: /not valid UTF-8 JSON/,
  },
  {
    name: 'bytes that are not UTF-8',
    file: 'latin1',
    content: () => Uint8Array.from([0x7b, 0x22, 0x70, 0xe9, 0x22, 0x3a, 0x31, 0x7d]),
    code: 'invalid_json',
    rule: /not valid UTF-8 JSON/,
  },
  {
    name: 'a JSON array',
    file: 'array',
    content: () => '[]',
    code: 'invalid_manifest',
    field: 'body',
    rule: /must be a JSON object/,
  },
  {
    name: 'JSON null',
    file: 'null',
    content: () => 'null',
    code: 'invalid_manifest',
    field: 'body',
    rule: /must be a JSON object/,
  },
  manifest('no-prompt', 'prompt missing', {}, { code: 'invalid_manifest', field: 'prompt', rule: /is required/ }, [
    'prompt',
  ]),
  manifest(
    'seed-zero',
    'seed 0',
    { seed: 0 },
    { code: 'invalid_manifest', field: 'seed', rule: /between 1 and 999999/ },
  ),
  manifest(
    '8s-1080p',
    'duration 8 with 1080p',
    { duration: 8, quality: '1080p' },
    { code: 'invalid_manifest', field: 'duration', rule: /must be 5 when quality is 1080p/ },
  ),
  manifest(
    'unknown-field',
    'an unknown field',
    { notify_me: true },
    { code: 'invalid_manifest', field: 'notify_me', rule: /is not a known field/ },
  ),
  manifest(
    'missing-frame',
    'a frame that is not in inbox/',
    { first_frame_url: 'frames/nope.png' },
    { code: 'frame_not_found', field: 'first_frame_url', rule: /inbox\/frames\/nope\.png, which does not exist/ },
  ),
  manifest(
    'javascript-frame',
    'a javascript: frame (read as a key, not found)',
    { last_frame_url: 'javascript:alert(1)' },
    { code: 'frame_not_found', field: 'last_frame_url', rule: /which does not exist/ },
  ),
  manifest(
    'traversal',
    'a frame path with ..',
    { first_frame_url: '../outbox/secret.png' },
    { code: 'invalid_manifest', field: 'first_frame_url', rule: /no leading '\/', no empty, '\.' or '\.\.' segments/ },
  ),
  manifest(
    'absolute',
    'a frame path with a leading /',
    { last_frame_url: '/frames/last.png' },
    { code: 'invalid_manifest', field: 'last_frame_url', rule: /no leading '\/'/ },
  ),
  manifest(
    'other-bucket',
    'an s3:// frame in another bucket',
    { first_frame_url: 's3://someone-elses-bucket/inbox/frames/first.png' },
    { code: 'invalid_manifest', field: 'first_frame_url', rule: new RegExp(`must be under s3://${BUCKET}/inbox/`) },
  ),
  manifest(
    'outside-inbox',
    'an s3:// frame outside inbox/',
    { last_frame_url: `s3://${BUCKET}/uploads/bad-input/wide.png` },
    { code: 'invalid_manifest', field: 'last_frame_url', rule: /the intake reads frames from inbox\/ only/ },
  ),
  manifest(
    'http-frame',
    'an http:// frame',
    { first_frame_url: 'http://example.com/first.png' },
    { code: 'invalid_manifest', field: 'first_frame_url', rule: FRAME_RULE },
  ),
  ...(
    [
      ['loopback-frame', 'first_frame_url', '127.0.0.1', /non-public address \(loopback\)/],
      ['metadata-frame', 'last_frame_url', '169.254.169.254', /link-local \(cloud metadata\)/],
      ['ipv6-loopback-frame', 'first_frame_url', '[::1]', /non-public address \(loopback\)/],
      ['metadata-name-frame', 'last_frame_url', 'metadata.google.internal', /local or metadata host name/],
      ['rebinding-name-frame', 'first_frame_url', 'loopback.framebridge.test', /resolves to a non-public address/],
    ] as const
  ).map(([file, field, host, rule]) =>
    manifest(
      file,
      `${field} https://${host}/…`,
      { [field]: `https://${host}/frame.png` },
      { code: 'invalid_manifest', field, rule },
    ),
  ),
  manifest(
    'http-callback',
    'callback_url http://',
    { callback_url: 'http://example.com/hook' },
    { code: 'invalid_manifest', field: 'callback_url', rule: /must be an https:\/\/ URL/ },
  ),
  manifest(
    'private-callback',
    'callback_url https://10.0.0.1',
    { callback_url: 'https://10.0.0.1/hook' },
    { code: 'invalid_manifest', field: 'callback_url', rule: /non-public address \(private\)/ },
  ),
  manifest(
    'ula-callback',
    'callback_url https://[fd00::1]',
    { callback_url: 'https://[fd00::1]/hook' },
    { code: 'invalid_manifest', field: 'callback_url', rule: /non-public address \(unique local/ },
  ),
  manifest(
    'text-frame',
    'a text file as a frame',
    { first_frame_url: 'frames/notes.txt' },
    { code: 'invalid_manifest', field: 'first_frame_url', rule: FORMAT_RULE },
  ),
  manifest(
    'wide-frame',
    'a PNG claiming 20000 px width as a frame',
    { last_frame_url: 'frames/wide.png' },
    { code: 'invalid_manifest', field: 'last_frame_url', rule: SIDE_RULE },
  ),
  manifest(
    'too-large',
    'a manifest over 256 kB',
    { sound_effect_content: 'x'.repeat(300 * 1024) },
    { code: 'manifest_too_large', rule: /at most 262144 bytes are accepted/ },
  ),
];
