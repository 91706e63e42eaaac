import { Duration } from 'aws-cdk-lib';
import type { FunctionName } from '../../lambdas/core/contract/env';

/** API Gateway answers 504 after 29 s; a handler must not outlive its request. */
const READ_TIMEOUT = Duration.seconds(10);

export type ApiFunctionName =
  | 'createTransition'
  | 'getStatus'
  | 'getResult'
  | 'cancelRequest'
  | 'listRequests'
  | 'createUpload'
  | 'getOpenApi';

/** One route of the REST API, served by one function. */
export interface ApiRoute {
  readonly functionName: ApiFunctionName & FunctionName;
  /** The construct id of the function. */
  readonly functionId: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Resource path from the API root, e.g. `v2/requests/{id}/status`. */
  readonly path: string;
  readonly description: string;
  readonly timeout: Duration;
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
}

const idParameter = { 'method.request.path.id': true };

/** The paid route: throttled on its own, beyond the stage's limits. */
export const SUBMIT_PATH = 'v2/pixverse-5-transition';

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
];
