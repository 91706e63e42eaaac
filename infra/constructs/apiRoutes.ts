import { Duration } from 'aws-cdk-lib';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { FunctionName } from '../../lambdas/core/contract/env';
import { playgroundCommandHooks } from '../../lambdas/playground/pageBundling';

/** API Gateway answers 504 after 29 s; a handler must not outlive its request. */
const READ_TIMEOUT = Duration.seconds(10);
/** The longest a streamed answer lasts: API Gateway's streaming limit, and Lambda's. */
const STREAM_TIMEOUT = Duration.minutes(15);

export type ApiFunctionName =
  | 'createTransition'
  | 'getStatus'
  | 'getResult'
  | 'cancelRequest'
  | 'listRequests'
  | 'createUpload'
  | 'getOpenApi'
  | 'streamEvents'
  | 'syncTransition'
  | 'getPlayground';

/** One route of the REST API, served by one function. */
export interface ApiRoute {
  readonly functionName: ApiFunctionName & FunctionName;
  /** The construct id of the function. */
  readonly functionId: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Resource path from the API root, e.g. `v2/requests/{id}/status`; `''` is the root itself (`GET /`). */
  readonly path: string;
  readonly description: string;
  readonly timeout: Duration;
  /** Extra bundling steps for the route's function (the playground builds its page script beside the handler). */
  readonly commandHooks?: ICommandHooks;
  /** Whether the route needs an `x-api-key` (resolved by the authorizer); false only for routes that describe the API itself. */
  readonly apiKeyRequired: boolean;
  /**
   * Concurrency reserved for (and capping) the route's function.
   * @default - none
   */
  readonly reservedConcurrency?: number;
  /** The JSON body model (an object) the gateway requires. */
  readonly bodyModel?: 'TransitionRequest' | 'UploadRequest';
  /** Declared request parameters (`true` = required); the handler validates their values. */
  readonly parameters?: Readonly<Record<string, boolean>>;
  /**
   * Whether API Gateway streams the function's answer (`responseTransferMode: STREAM`,
   * a handler wrapped by `awslambda.streamifyResponse`); its integration may then
   * last as long as the function's timeout, up to API Gateway's 15 minutes.
   * @default false
   */
  readonly streaming?: boolean;
}

const idParameter = { 'method.request.path.id': true };

/** The paid routes: throttled on their own, beyond the stage's limits. */
export const SUBMIT_PATH = 'v2/pixverse-5-transition';
export const SYNC_SUBMIT_PATH = 'v1/pixverse-5-transition';

/** Every Lambda-backed route; the construct builds resources, methods and functions from it. */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    functionName: 'createTransition',
    functionId: 'CreateTransitionFunction',
    method: 'POST',
    path: SUBMIT_PATH,
    description: 'POST /v2/pixverse-5-transition: validates, records and starts a job',
    timeout: Duration.seconds(25),
    apiKeyRequired: true,
    bodyModel: 'TransitionRequest',
  },
  {
    functionName: 'listRequests',
    functionId: 'ListRequestsFunction',
    method: 'GET',
    path: 'v2/requests',
    description: "GET /v2/requests: the caller's requests, newest first, paginated",
    timeout: READ_TIMEOUT,
    apiKeyRequired: true,
    // Optional: declared for the record; the handler validates their values.
    parameters: {
      'method.request.querystring.limit': false,
      'method.request.querystring.status': false,
      'method.request.querystring.cursor': false,
    },
  },
  {
    functionName: 'getResult',
    functionId: 'GetResultFunction',
    method: 'GET',
    path: 'v2/requests/{id}',
    description: 'GET /v2/requests/{id}: the result with a freshly presigned video URL',
    timeout: READ_TIMEOUT,
    apiKeyRequired: true,
    parameters: idParameter,
  },
  {
    functionName: 'cancelRequest',
    functionId: 'CancelRequestFunction',
    method: 'DELETE',
    path: 'v2/requests/{id}',
    description: 'DELETE /v2/requests/{id}: stops the execution and records the job cancelled',
    timeout: READ_TIMEOUT,
    apiKeyRequired: true,
    parameters: idParameter,
  },
  {
    functionName: 'getStatus',
    functionId: 'GetStatusFunction',
    method: 'GET',
    path: 'v2/requests/{id}/status',
    description: 'GET /v2/requests/{id}/status',
    timeout: READ_TIMEOUT,
    apiKeyRequired: true,
    parameters: idParameter,
  },
  {
    functionName: 'createUpload',
    functionId: 'CreateUploadFunction',
    method: 'POST',
    path: 'v2/uploads',
    description: 'POST /v2/uploads: a presigned PUT URL for a frame under uploads/',
    timeout: READ_TIMEOUT,
    apiKeyRequired: true,
    bodyModel: 'UploadRequest',
  },
  {
    // Public, like the documentation of the API it describes.
    functionName: 'getOpenApi',
    functionId: 'GetOpenApiFunction',
    method: 'GET',
    path: 'openapi.json',
    description: 'GET /openapi.json: the OpenAPI 3.1 document, generated from the zod schemas',
    timeout: READ_TIMEOUT,
    apiKeyRequired: false,
    // Public, so capped: anonymous callers cannot take the concurrency the workflow needs.
    reservedConcurrency: 2,
  },
  {
    functionName: 'streamEvents',
    functionId: 'StreamEventsFunction',
    method: 'GET',
    path: 'v2/requests/{id}/events',
    description:
      'GET /v2/requests/{id}/events: server-sent events, one per status or phase change (response streaming)',
    // Until the terminal event or the time limit; a client reconnects with Last-Event-ID.
    timeout: STREAM_TIMEOUT,
    apiKeyRequired: true,
    streaming: true,
    parameters: { ...idParameter, 'method.request.querystring.last_event_id': false },
  },
  {
    functionName: 'syncTransition',
    functionId: 'SyncTransitionFunction',
    method: 'POST',
    path: SYNC_SUBMIT_PATH,
    description:
      'POST /v1/pixverse-5-transition: submits like v2, waits and answers the MP4 bytes (response streaming)',
    // Waits at most FRAMEBRIDGE_SYNC_WAIT_S (4.5 min by default), then streams the video in the time left.
    timeout: STREAM_TIMEOUT,
    apiKeyRequired: true,
    streaming: true,
    bodyModel: 'TransitionRequest',
  },
  {
    // Public: the page asks for the key itself and sends it with each API call.
    functionName: 'getPlayground',
    functionId: 'GetPlaygroundFunction',
    method: 'GET',
    path: '',
    description: 'GET /: the playground page',
    timeout: READ_TIMEOUT,
    commandHooks: playgroundCommandHooks,
    apiKeyRequired: false,
    reservedConcurrency: 2,
  },
];
