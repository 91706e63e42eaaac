import * as z from 'zod';
import {
  cancelledViewSchema,
  errorBodySchema,
  listViewSchema,
  requestIdSchema,
  resultViewSchema,
  statusViewSchema,
  submittedViewSchema,
  uploadViewSchema,
} from './apiViews';
import { listQuerySchema } from './cursor';
import { IDEMPOTENCY_HEADER, idempotencyKeySchema, REPLAYED_HEADER } from './idempotency';
import { transitionRequestSchema } from './schemas';
import { UPLOAD_URL_TTL_SECONDS, uploadRequestSchema } from './uploads';

/*
 * The OpenAPI 3.1 document of the API, generated from the zod schemas the
 * handlers parse requests with (io: 'input': what a client may send, defaults
 * optional) and type their answers with (io: 'output'). A test checks its
 * paths and methods against the routes the CDK app really deploys.
 */

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Each schema as a component; `$schema`/`$id` belong to standalone documents, not to components. */
function components(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` }).schemas;
  return Object.fromEntries(
    Object.entries(generated).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema]),
  );
}

/** What JSON Schema cannot say about a field: a refinement or a transform. */
const transitionFieldNotes: Record<string, string> = {
  first_frame_url:
    'The first frame: an https:// URL, or s3://<framebridge bucket>/<key> (see POST /v2/uploads). An s3:// frame must exist and be a PNG, JPEG or WebP of at most 20 MB and 10000 px a side.',
  last_frame_url: 'The last frame; the same rules as first_frame_url.',
  duration: 'Seconds; 8 is not available at 1080p.',
  lip_sync_tts_speaker_id: '"auto", "1"–"14", or a voice name (Emily … Ethan).',
  callback_url: 'https:// URL to POST a signed (Standard Webhooks) event to when the job ends.',
};

function withFieldNotes(schema: JsonSchema | undefined, notes: Record<string, string>): JsonSchema {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  return {
    ...schema,
    properties: Object.fromEntries(
      Object.entries(properties).map(([name, property]) => [
        name,
        notes[name] ? { ...property, description: notes[name] } : property,
      ]),
    ),
  };
}

function buildComponents() {
  const inputs = components(
    { TransitionRequest: transitionRequestSchema, UploadRequest: uploadRequestSchema },
    'input',
  );
  const outputs = components(
    {
      Submitted: submittedViewSchema,
      Status: statusViewSchema,
      Cancelled: cancelledViewSchema,
      RequestList: listViewSchema,
      Result: resultViewSchema,
      Upload: uploadViewSchema,
      Error: errorBodySchema,
    },
    'output',
  );
  return { ...inputs, ...outputs, TransitionRequest: withFieldNotes(inputs.TransitionRequest, transitionFieldNotes) };
}

const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io });
  return rest;
};

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

/** Answers every route can give, referenced by status code. */
const sharedResponses = {
  BadRequest: errorResponse('The request breaks a rule: `error.details` names each field and rule'),
  Unauthorized: errorResponse('The API key could not be attributed to an owner'),
  Forbidden: errorResponse('No x-api-key header, or a key that is not valid'),
  NotFound: errorResponse('No request with this id for this API key (another key’s requests are not visible)'),
  UnsupportedMediaType: errorResponse('The body is not application/json'),
  InternalError: errorResponse('Something failed on our side; the message carries no internals'),
};
const respond = (name: keyof typeof sharedResponses) => ({ $ref: `#/components/responses/${name}` });

const keyed = { 401: respond('Unauthorized'), 403: respond('Forbidden'), 500: respond('InternalError') };

const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The request_id the submit answered',
  schema: schemaOf(requestIdSchema, 'input'),
};

function listParameters() {
  return Object.entries(listQuerySchema.shape).map(([name, schema]) => {
    const { description, ...rest } = schemaOf(schema, 'output');
    return { name, in: 'query', required: false, description, schema: rest };
  });
}

function buildPaths(): Record<string, Record<string, Operation>> {
  return {
    '/v2/pixverse-5-transition': {
      post: {
        operationId: 'createTransition',
        summary: 'Submit a transition (Segmind v2 compatible)',
        description:
          'Validates the request (and checks s3:// frames) before anything is paid for, records the job and starts it. Poll status_url.',
        parameters: [
          {
            name: IDEMPOTENCY_HEADER,
            in: 'header',
            required: false,
            description: idempotencyKeySchema.meta()?.description,
            schema: schemaOf(idempotencyKeySchema, 'input'),
          },
        ],
        requestBody: { required: true, content: json(ref('TransitionRequest')) },
        responses: {
          202: {
            description: 'Accepted; a replayed idempotent submit answers exactly as the original did',
            headers: {
              [REPLAYED_HEADER]: {
                description: 'true when this answer replays an earlier submit with the same Idempotency-Key',
                schema: { type: 'string', enum: ['true'] },
              },
            },
            content: json(ref('Submitted')),
          },
          400: respond('BadRequest'),
          ...keyed,
          409: errorResponse('The Idempotency-Key was used before with a different body (`idempotency_conflict`)'),
          415: respond('UnsupportedMediaType'),
        },
      },
    },
    '/v2/requests': {
      get: {
        operationId: 'listRequests',
        summary: 'The caller’s requests, newest first, a page at a time',
        parameters: listParameters(),
        responses: {
          200: { description: 'One page', content: json(ref('RequestList')) },
          400: respond('BadRequest'),
          ...keyed,
        },
      },
    },
    '/v2/requests/{id}': {
      get: {
        operationId: 'getResult',
        summary: 'The result: a freshly presigned video URL once COMPLETED',
        parameters: [idParameter],
        responses: {
          200: { description: 'Completed (with output) or still running (output null)', content: json(ref('Result')) },
          400: respond('BadRequest'),
          ...keyed,
          404: respond('NotFound'),
          422: { description: 'The request FAILED; error and error_code say why', content: json(ref('Result')) },
        },
      },
      delete: {
        operationId: 'cancelRequest',
        summary: 'Cancel a queued or running request',
        description:
          'Stops the job; it ends FAILED with error_code cancelled. Segmind has no cancel: an upstream job already submitted runs on and may still be billed, which `note` says.',
        parameters: [idParameter],
        responses: {
          200: { description: 'Cancelled', content: json(ref('Cancelled')) },
          400: respond('BadRequest'),
          ...keyed,
          404: respond('NotFound'),
          409: errorResponse('The request already finished (COMPLETED or FAILED, cancelled included)'),
        },
      },
    },
    '/v2/requests/{id}/status': {
      get: {
        operationId: 'getStatus',
        summary: 'Status and progress (Segmind v2 compatible)',
        parameters: [idParameter],
        responses: {
          200: { description: 'QUEUED, PROCESSING or COMPLETED', content: json(ref('Status')) },
          400: respond('BadRequest'),
          ...keyed,
          404: respond('NotFound'),
          422: { description: 'The request FAILED; error and error_code say why', content: json(ref('Status')) },
        },
      },
    },
    '/v2/uploads': {
      post: {
        operationId: 'createUpload',
        summary: 'A presigned PUT URL for one frame',
        description: `PUT the image to upload_url within ${UPLOAD_URL_TTL_SECONDS / 60} minutes with the given headers, then pass s3_uri as first_frame_url or last_frame_url.`,
        requestBody: { required: true, content: json(ref('UploadRequest')) },
        responses: {
          201: { description: 'Where to PUT the frame', content: json(ref('Upload')) },
          400: respond('BadRequest'),
          ...keyed,
          415: respond('UnsupportedMediaType'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        security: [],
        responses: { 200: { description: 'The OpenAPI 3.1 document', content: json({ type: 'object' }) } },
      },
    },
    '/healthz': {
      get: {
        operationId: 'healthz',
        summary: 'Liveness',
        security: [],
        responses: {
          200: {
            description: 'The API is up',
            content: json({ type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }),
          },
        },
      },
    },
  };
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers?: { url: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

/** The document; `serverUrl` is the base URL the API was called on, when known. */
export function openApiDocument(options: { serverUrl?: string; version?: string } = {}): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'framebridge',
      version: options.version ?? '1',
      description:
        'AI video transitions (Pixverse 5 Transition via Segmind), Segmind v2 compatible: two stills and a prompt in, an MP4 in your S3 out. Each API key is an owner and sees only its own requests. Errors are `{error:{code,message,details?}}`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ apiKey: [] }],
    paths: buildPaths(),
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: buildComponents(),
      responses: sharedResponses,
    },
  };
}
