/**
 * Every code an error answer of the HTTP API can carry — from a handler, the
 * local API server or API Gateway's own responses — with its HTTP status and
 * what it means. The handlers, the local server, the gateway's response
 * templates and the OpenAPI enum all take their codes from here.
 *
 * A FAILED job's 422 is not an error answer: its `error_code` is a job failure
 * code (`errorRegistry.ts`).
 */
export const API_ERROR_CODES = {
  invalid_request: {
    status: 400,
    meaning: 'A field, query parameter, path id or header breaks a rule; `details` names each field and rule',
  },
  invalid_json: { status: 400, meaning: 'The body is empty or not JSON' },
  bad_request: {
    status: 400,
    meaning:
      "Refused before any handler ran: not valid HTTP, or one of API Gateway's other refusals (with API Gateway's own 4xx status)",
  },
  unauthorized: { status: 401, meaning: 'No `x-api-key` header, or an empty one' },
  forbidden: { status: 403, meaning: 'An unknown or revoked `x-api-key`' },
  not_found: { status: 404, meaning: "No such request for this API key's tenant, or no such route" },
  method_not_allowed: {
    status: 405,
    meaning: 'A known path with a method it does not serve (the local API; API Gateway answers `not_found`)',
  },
  conflict: { status: 409, meaning: 'A cancel of a request that already finished (COMPLETED or FAILED)' },
  idempotency_conflict: { status: 409, meaning: 'The `Idempotency-Key` was used before with a different body' },
  payload_too_large: { status: 413, meaning: 'The body is over 10 MB' },
  unsupported_media_type: { status: 415, meaning: 'The body is not sent as `content-type: application/json`' },
  tenant_limit_exceeded: {
    status: 429,
    meaning:
      "The tenant's active-job cap or daily quota is reached; `Retry-After` says when to try again and `details` names the limit",
  },
  throttled: { status: 429, meaning: "Over the API's request rate (API Gateway's stage or submit-route throttling)" },
  internal_error: {
    status: 500,
    meaning: "Something failed on framebridge's side (or API Gateway's); the body carries no internals",
  },
  bad_gateway: { status: 502, meaning: "The route's function crashed or gave no usable answer" },
  gateway_timeout: { status: 504, meaning: "The route's function did not answer in time (API Gateway waits 29 s)" },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** The codes as a non-empty list, for enums (`z.enum`, OpenAPI). */
export const apiErrorCodes = Object.keys(API_ERROR_CODES) as [ApiErrorCode, ...ApiErrorCode[]];

/** The HTTP status an error answer with this code has. */
export const statusOfApiError = (code: ApiErrorCode): number => API_ERROR_CODES[code].status;
