import * as z from 'zod/mini';
import './zodMini';
import {
  cancelledViewSchema,
  errorBodySchema,
  listViewSchema,
  resultViewSchema,
  statusViewSchema,
  submittedViewSchema,
  uploadViewSchema,
} from './apiViews';
import { buildPaths, type JsonSchema, type Operation, sharedResponses } from './openapiPaths';
import { transitionRequestSchema } from './schemas';
import { uploadRequestSchema } from './uploads';

/*
 * The OpenAPI 3.1 document of the API, generated from the zod schemas the
 * handlers parse requests with (io: 'input': what a client may send, defaults
 * optional) and type their answers with (io: 'output'). A test checks its
 * paths and methods against the routes the CDK app really deploys.
 */

/** Each schema as a component; `$schema`/`$id` belong to standalone documents, not to components. */
function components(schemas: Record<string, z.core.$ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
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
        "AI video transitions (Pixverse 5 Transition via Segmind), Segmind v2 compatible: two stills and a prompt in, an MP4 in your S3 out. Each API key is an owner and sees only its own requests. Every 4xx and 5xx is an Error in Segmind's shape: `{error, error_code, details}`, `error` being the message as a string. A FAILED request is served as 422 with its status body, as Segmind does.",
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
