import { describe, expect, it } from 'vitest';
import {
  cancelledView,
  cancelledViewSchema,
  errorBodySchema,
  errorView,
  listView,
  listViewSchema,
  resultView,
  resultViewSchema,
  statusView,
  statusViewSchema,
  submittedView,
  submittedViewSchema,
  uploadView,
  uploadViewSchema,
} from '../../../lambdas/core/apiViews';
import { API_ERROR_CODES } from '../../../lambdas/core/contract/apiErrors';
import { type Job, jobStatuses } from '../../../lambdas/core/job';
import { openApiDocument } from '../../../lambdas/core/openapi';
import { parseTransitionRequest } from '../../../lambdas/core/schemas';

const doc = openApiDocument({ serverUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod' });
type Json = Record<string, unknown>;
const operation = (path: string, method: string) => (doc.paths[path]?.[method] ?? {}) as Json;
const responseCodes = (path: string, method: string) =>
  Object.keys((operation(path, method).responses ?? {}) as Json).sort();
const schemas = doc.components.schemas as Record<string, Json>;

/** Every `$ref` anywhere in the document. */
function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([key, value]) =>
      key === '$ref' && typeof value === 'string' ? [value] : refsIn(value),
    );
  }
  return [];
}

describe('Core: OpenAPI document', () => {
  it('is OpenAPI 3.1 with the server it was fetched from', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod' }]);
    expect(openApiDocument().servers).toBeUndefined();
  });

  it('describes the x-api-key scheme, required everywhere but /, /healthz and /openapi.json', () => {
    expect(doc.components.securitySchemes).toEqual({ apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } });
    expect(doc.security).toEqual([{ apiKey: [] }]);
    const publicOperations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(publicOperations.sort()).toEqual(['GET /', 'GET /healthz', 'GET /openapi.json']);
  });

  it('resolves every $ref to a component', () => {
    const refs = [...new Set(refsIn(doc))];

    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      const [, , section = '', name = ''] = ref.split('/');
      expect((doc.components[section] as Json | undefined)?.[name], ref).toBeDefined();
    }
  });

  it('documents each route with the answers it gives', () => {
    expect(responseCodes('/v2/pixverse-5-transition', 'post')).toEqual([
      '202',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '429',
      '500',
    ]);
    const read = ['200', '400', '401', '403', '404', '422', '429', '500'];
    expect(responseCodes('/v2/requests/{id}/status', 'get')).toEqual(read);
    expect(responseCodes('/v2/requests/{id}', 'get')).toEqual(read);
    expect(responseCodes('/v2/requests/{id}', 'delete')).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '429',
      '500',
    ]);
    expect(responseCodes('/v2/requests', 'get')).toEqual(['200', '400', '401', '403', '429', '500']);
    expect(responseCodes('/v2/uploads', 'post')).toEqual(['201', '400', '401', '403', '413', '415', '429', '500']);
    expect(responseCodes('/v2/requests/{id}/events', 'get')).toEqual([
      '200',
      '204',
      '400',
      '401',
      '403',
      '404',
      '429',
      '500',
    ]);
    expect(responseCodes('/v1/pixverse-5-transition', 'post')).toEqual([
      '200',
      '202',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '422',
      '429',
      '500',
    ]);
  });

  it('documents the streamed answers: the event stream, and the v1 MP4, its 202 and its 422', () => {
    const events = operation('/v2/requests/{id}/events', 'get');
    const sync = operation('/v1/pixverse-5-transition', 'post');
    const answers = sync.responses as Record<string, Json>;

    expect((events.responses as Record<string, Json>)['200']?.content).toEqual({
      'text/event-stream': { schema: { type: 'string' } },
    });
    expect(events.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path' }),
      expect.objectContaining({ name: 'Last-Event-ID', in: 'header', required: false }),
      expect.objectContaining({ name: 'last_event_id', in: 'query', required: false }),
    ]);
    expect(answers['200']?.content).toEqual({ 'video/mp4': { schema: { type: 'string', format: 'binary' } } });
    expect(answers['200']?.headers).toHaveProperty('x-request-id');
    expect(answers['202']?.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/Submitted' } },
    });
    expect(answers['422']?.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/Status' } },
    });
    expect(sync.requestBody).toEqual(operation('/v2/pixverse-5-transition', 'post').requestBody);
    expect(String(sync.description)).toContain('FRAMEBRIDGE_SYNC_WAIT_S');
  });

  it("describes every error answer with the Error schema, in Segmind's shape with error_code an enum of the contract's codes", () => {
    const errorAnswers = Object.values(doc.paths)
      .flatMap((methods) => Object.values(methods))
      .flatMap((op) => Object.entries(op.responses as Record<string, Json>))
      .filter(([status]) => Number(status) >= 400 && status !== '422')
      .map(([, answer]) => {
        const shared = /^#\/components\/responses\/(.+)$/.exec(String(answer.$ref ?? ''))?.[1];
        return shared ? ((doc.components.responses as Record<string, Json>)[shared] ?? {}) : answer;
      });

    expect(errorAnswers.length).toBeGreaterThan(30);
    for (const answer of errorAnswers) {
      expect(answer.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });
    }
    expect(schemas.Error).toMatchObject({
      type: 'object',
      required: ['error', 'error_code', 'details'],
      properties: {
        error: { type: 'string' },
        error_code: { type: 'string', enum: Object.keys(API_ERROR_CODES) },
        details: {
          type: 'array',
          items: { type: 'object', required: ['field', 'rule'], properties: { field: {}, rule: {} } },
        },
      },
    });
    expect(Object.keys(schemas.Error?.properties as Json)).toEqual(['error', 'error_code', 'details']);
    expect(schemas.Error?.properties).toMatchObject({
      error_code: { description: expect.stringContaining('`tenant_limit_exceeded` (429)') },
    });
  });

  it('takes the submit body from the zod schema as a client may send it (defaults optional, unknown fields refused)', () => {
    const request = schemas.TransitionRequest ?? {};

    expect(request.required).toEqual(['prompt', 'first_frame_url', 'last_frame_url']);
    expect(request.additionalProperties).toBe(false);
    expect(Object.keys(request.properties as Json)).toEqual(
      expect.arrayContaining(['prompt', 'duration', 'quality', 'seed', 'callback_url', 'lip_sync_tts_speaker_id']),
    );
    expect((request.properties as Record<string, Json>).seed).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 999999,
      default: 12345,
    });
    expect((request.properties as Record<string, Json>).first_frame_url?.description).toMatch(/s3:\/\//);
    expect(request).not.toHaveProperty('$schema');
  });

  it('documents the Idempotency-Key header on the submit and the replay header on its 202', () => {
    const submit = operation('/v2/pixverse-5-transition', 'post');
    const parameters = submit.parameters as Json[];

    expect(parameters).toEqual([
      expect.objectContaining({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: expect.objectContaining({ type: 'string', pattern: '^[\\x20-\\x7e]{1,255}$' }),
      }),
    ]);
    expect((submit.responses as Record<string, Json>)['202']?.headers).toHaveProperty('idempotent-replayed');
  });

  it('documents the list parameters with their limits', () => {
    const parameters = operation('/v2/requests', 'get').parameters as Json[];

    expect(parameters).toEqual([
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      }),
      expect.objectContaining({ name: 'status', in: 'query', schema: { type: 'string', enum: [...jobStatuses] } }),
      expect.objectContaining({ name: 'cursor', in: 'query', schema: { type: 'string' } }),
    ]);
    expect(schemas.RequestList).toMatchObject({
      properties: {
        requests: { type: 'array', items: { $ref: '#/components/schemas/Status' } },
        next_cursor: { type: ['string', 'null'] },
      },
    });
  });

  it('documents the id path parameter of every request route', () => {
    for (const [path, method] of [
      ['/v2/requests/{id}', 'get'],
      ['/v2/requests/{id}', 'delete'],
      ['/v2/requests/{id}/status', 'get'],
    ] as const) {
      expect(operation(path, method).parameters, `${method} ${path}`).toEqual([
        expect.objectContaining({ name: 'id', in: 'path', required: true }),
      ]);
    }
    expect((operation('/v2/requests/{id}/events', 'get').parameters as unknown[])[0]).toEqual(
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    );
  });

  it('documents the upload body and answer', () => {
    expect(schemas.UploadRequest).toMatchObject({
      required: ['content_type', 'content_length'],
      additionalProperties: false,
      properties: { content_type: { enum: ['image/png', 'image/jpeg', 'image/webp'] }, filename: { maxLength: 128 } },
    });
    expect(schemas.Upload?.required).toEqual(['upload_url', 'method', 'headers', 's3_uri', 'expires_at']);
  });

  it('documents the cancel answer as the status plus a note', () => {
    expect(schemas.Cancelled?.required).toEqual(expect.arrayContaining(['request_id', 'status', 'note']));
  });
});

describe('Core: the answers match the schemas the document is generated from', () => {
  const job = (fields: Partial<Job> = {}): Job => ({
    id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
    owner: 'key-owner-1',
    status: 'QUEUED',
    phase: 'queued',
    request: parseTransitionRequest({
      prompt: 'dawn to dusk',
      first_frame_url: 'https://cdn.example.com/a.png',
      last_frame_url: 'https://cdn.example.com/b.png',
    }),
    createdAt: '2025-01-01T10:00:00.000Z',
    updatedAt: '2025-01-01T10:00:01.000Z',
    expiresAt: 1_738_000_000,
    ...fields,
  });
  const completed = job({
    status: 'COMPLETED',
    phase: 'completed',
    completedAt: '2025-01-01T10:01:30.000Z',
    output: {
      s3Bucket: 'b',
      videoKey: 'jobs/x/video.mp4',
      resultKey: 'jobs/x/result.json',
      bytes: 10,
      contentType: 'video/mp4',
    },
    webhook: {
      id: 'msg_1',
      status: 'delivered',
      attempts: 1,
      lastStatus: 204,
      deliveredAt: '2025-01-01T10:01:31.000Z',
    },
  });
  const failed = job({ status: 'FAILED', phase: 'failed', error: { code: 'cancelled', message: 'Cancelled' } });
  const video = { url: 'https://b.s3.amazonaws.com/jobs/x/video.mp4?X-Amz-Signature=1', expiresAt: new Date(0) };

  /** Parsing strips keys a schema does not know: an answer equal to its parse has none. */
  it.each<[string, { parse: (value: unknown) => unknown }, unknown]>([
    ['submitted', submittedViewSchema, submittedView(job(), 'https://api.example.com/prod')],
    ['status (queued)', statusViewSchema, statusView(job())],
    ['status (completed, with a webhook)', statusViewSchema, statusView(completed)],
    ['status (failed)', statusViewSchema, statusView(failed)],
    ['cancelled', cancelledViewSchema, cancelledView(failed, 'Nothing had been submitted to Segmind.')],
    ['list', listViewSchema, listView([job(), completed, failed], 'abc')],
    ['result (completed)', resultViewSchema, resultView(completed, video)],
    ['result (running)', resultViewSchema, resultView(job({ status: 'PROCESSING', phase: 'generating' }), undefined)],
    ['result (failed)', resultViewSchema, resultView(failed, undefined)],
    [
      'error',
      errorBodySchema,
      errorView('invalid_request', 'Invalid request: seed must be between 1 and 999999', [
        { field: 'seed', rule: 'must be between 1 and 999999' },
      ]),
    ],
    ['error (no details)', errorBodySchema, errorView('not_found', 'No request with id x')],
    [
      'upload',
      uploadViewSchema,
      uploadView({
        url: 'https://b.s3.amazonaws.com/u',
        contentType: 'image/png',
        contentLength: 1024,
        bucket: 'b',
        key: 'uploads/x/frame.png',
        expiresAt: new Date(0),
      }),
    ],
  ])('%s', (_case, schema, view) => {
    expect(schema.parse(view)).toEqual(view);
  });
});
