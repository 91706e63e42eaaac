import * as z from 'zod/mini';
import './zodMini';
import { requestIdSchema } from './apiViews';
import { ENV } from './contract/env';
import { listQuerySchema } from './cursor';
import { IDEMPOTENCY_HEADER, idempotencyKeySchema, REPLAYED_HEADER } from './idempotency';
import { ACTIVE_LIMIT_RETRY_AFTER_SECONDS, TENANT_LIMIT_CODE } from './spendLimits';
import { LAST_EVENT_ID_RULE } from './sse';
import { DEFAULT_SYNC_WAIT_MS } from './streamLimits';
import { UPLOAD_URL_TTL_SECONDS } from './uploads';

/* The paths of the OpenAPI document: one function per route, from the same zod schemas the handlers parse. */

export type JsonSchema = Record<string, unknown>;
export type Operation = Record<string, unknown>;

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const schemaOf = (schema: z.core.$ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io });
  return rest;
};

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

/** Answers every route can give, referenced by status code. */
export const sharedResponses = {
  BadRequest: errorResponse(
    'The request breaks a rule (`invalid_request`, `invalid_json`): `details` names each field and rule',
  ),
  Unauthorized: errorResponse('No `x-api-key` header (`unauthorized`)'),
  Forbidden: errorResponse('An unknown or revoked `x-api-key` (`forbidden`)'),
  NotFound: errorResponse(
    'No request with this id for this API key’s tenant (`not_found`): another tenant’s requests are not visible',
  ),
  PayloadTooLarge: errorResponse('The body is over 10 MB (`payload_too_large`)'),
  UnsupportedMediaType: errorResponse('The body is not application/json (`unsupported_media_type`)'),
  Throttled: errorResponse('Over the API’s request rate (`throttled`); retry with backoff'),
  InternalError: errorResponse('Something failed on our side (`internal_error`); the message carries no internals'),
};
const respond = (name: keyof typeof sharedResponses) => ({ $ref: `#/components/responses/${name}` });

const keyed = {
  401: respond('Unauthorized'),
  403: respond('Forbidden'),
  429: respond('Throttled'),
  500: respond('InternalError'),
};
/** What a route that takes a JSON body adds. */
const withBody = { 413: respond('PayloadTooLarge'), 415: respond('UnsupportedMediaType') };

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

export function buildPaths(): Record<string, Record<string, Operation>> {
  return {
    '/v2/pixverse-5-transition': submitPath(),
    '/v2/requests': listPath(),
    '/v2/requests/{id}': requestPath(),
    '/v2/requests/{id}/status': statusPath(),
    '/v2/requests/{id}/events': eventsPath(),
    '/v2/uploads': uploadPath(),
    '/v1/pixverse-5-transition': syncPath(),
    ...publicPaths(),
  };
}

/** POST /v2/pixverse-5-transition */
function submitPath(): Record<string, Operation> {
  return {
    post: {
      operationId: 'createTransition',
      summary: 'Submit a transition (Segmind v2 compatible)',
      description:
        'Validates the request (and checks s3:// frames) before anything is paid for, records the job and starts it. Poll status_url.',
      parameters: [idempotencyParameter()],
      requestBody: { required: true, content: json(ref('TransitionRequest')) },
      responses: {
        202: {
          description: 'Accepted; a replayed idempotent submit answers exactly as the original did',
          headers: replayedHeader,
          content: json(ref('Submitted')),
        },
        400: respond('BadRequest'),
        ...keyed,
        409: errorResponse('The Idempotency-Key was used before with a different body (`idempotency_conflict`)'),
        ...withBody,
        429: tenantLimitResponse(),
      },
    },
  };
}

const idempotencyParameter = () => ({
  name: IDEMPOTENCY_HEADER,
  in: 'header',
  required: false,
  description: z.globalRegistry.get(idempotencyKeySchema)?.description,
  schema: schemaOf(idempotencyKeySchema, 'input'),
});

const replayedHeader = {
  [REPLAYED_HEADER]: {
    description: 'true when this answer replays an earlier submit with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
};

/** 429: a spend limit of the tenant is reached; a replayed idempotent submit is never refused. */
function tenantLimitResponse(): Operation {
  return {
    description: `The tenant is at a spend limit (\`${TENANT_LIMIT_CODE}\`): \`details\` names it (\`maxActiveJobs\`: its active jobs; \`maxJobsPerDay\`: its jobs this UTC day). Nothing was stored, started or paid for. Or over the API's request rate (\`throttled\`, no Retry-After).`,
    headers: {
      'Retry-After': {
        description: `Seconds to wait before retrying: ${ACTIVE_LIMIT_RETRY_AFTER_SECONDS} for the active-jobs cap, until the next 00:00 UTC for the daily quota`,
        schema: { type: 'integer', minimum: 1 },
      },
    },
    content: json(ref('Error')),
  };
}

/** GET /v2/requests */
function listPath(): Record<string, Operation> {
  return {
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
  };
}

/** GET and DELETE /v2/requests/{id} */
function requestPath(): Record<string, Operation> {
  return {
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
        409: errorResponse('The request already finished (COMPLETED or FAILED, cancelled included): `conflict`'),
      },
    },
  };
}

/** GET /v2/requests/{id}/status */
function statusPath(): Record<string, Operation> {
  return {
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
  };
}

/** GET /v2/requests/{id}/events */
function eventsPath(): Record<string, Operation> {
  const lastEventId = { type: 'string', pattern: '^[0-9]{1,16}$' };
  return {
    get: {
      operationId: 'streamEvents',
      summary: 'Live progress as server-sent events',
      description: [
        'One `status` event per change of (status, phase): `id: <n>`, `event: status`, `data:` the GET /v2/requests/{id}/status body.',
        'The first event is the current state. A comment `: heartbeat` is sent every 15 s while nothing changes.',
        'The stream closes right after the terminal event (COMPLETED or FAILED). It may also close earlier, at its own time limit (about 15 minutes), without a terminal event: reconnect with Last-Event-ID.',
        'Event ids are decimal, strictly increasing, and the same for every stream of the job: with Last-Event-ID (or `last_event_id`) the stream skips the state the client already has.',
        'A client that already has the terminal event gets 204 (EventSource stops reconnecting).',
      ].join(' '),
      parameters: [
        idParameter,
        {
          name: 'Last-Event-ID',
          in: 'header',
          required: false,
          description: `The id of the last event received; it ${LAST_EVENT_ID_RULE}`,
          schema: lastEventId,
        },
        {
          name: 'last_event_id',
          in: 'query',
          required: false,
          description: 'As Last-Event-ID, for clients that cannot set headers; the header wins',
          schema: lastEventId,
        },
      ],
      responses: {
        200: {
          description: 'The event stream (API Gateway response streaming)',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        204: { description: 'The job is finished and the client already has its terminal event' },
        400: respond('BadRequest'),
        ...keyed,
        404: respond('NotFound'),
      },
    },
  };
}

/** POST /v1/pixverse-5-transition */
function syncPath(): Record<string, Operation> {
  return {
    post: {
      operationId: 'syncTransition',
      summary: 'Submit and wait: answers the MP4 itself (Segmind v1 style)',
      description: [
        'The same body, Idempotency-Key and refusals as POST /v2/pixverse-5-transition; then waits for the job and streams the video.',
        `It waits at most ${DEFAULT_SYNC_WAIT_MS / 1000} s by default (\`${ENV.syncWait}\`), below API Gateway's 5-minute idle timeout of a stream that has sent nothing.`,
        'A job still running then, or a video too large to stream in the time left, answers 202 with the v2 submit body: continue with status_url. The job runs on either way.',
      ].join(' '),
      parameters: [idempotencyParameter()],
      requestBody: { required: true, content: json(ref('TransitionRequest')) },
      responses: {
        200: {
          description: 'The finished video, streamed',
          headers: {
            'x-request-id': { description: 'The job’s request_id', schema: schemaOf(requestIdSchema, 'input') },
            ...replayedHeader,
          },
          content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } },
        },
        202: {
          description: 'Not finished within the wait (or too large to stream): poll status_url',
          headers: replayedHeader,
          content: json(ref('Submitted')),
        },
        400: respond('BadRequest'),
        ...keyed,
        409: errorResponse('The Idempotency-Key was used before with a different body (`idempotency_conflict`)'),
        ...withBody,
        422: {
          description: 'The job FAILED: the GET /v2/requests/{id}/status body, with error and error_code',
          content: json(ref('Status')),
        },
        429: tenantLimitResponse(),
      },
    },
  };
}

/** POST /v2/uploads */
function uploadPath(): Record<string, Operation> {
  return {
    post: {
      operationId: 'createUpload',
      summary: 'A presigned PUT URL for one frame',
      description: `PUT the image to upload_url within ${UPLOAD_URL_TTL_SECONDS / 60} minutes with the given headers, then pass s3_uri as first_frame_url or last_frame_url.`,
      requestBody: { required: true, content: json(ref('UploadRequest')) },
      responses: {
        201: { description: 'Where to PUT the frame', content: json(ref('Upload')) },
        400: respond('BadRequest'),
        ...keyed,
        ...withBody,
      },
    },
  };
}

/** The routes anyone may call: the playground, this document and liveness. */
function publicPaths(): Record<string, Record<string, Operation>> {
  return {
    '/': {
      get: {
        operationId: 'getPlayground',
        summary: 'The playground: a page to try the API in a browser (it asks for a key)',
        security: [],
        responses: { 200: { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
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
