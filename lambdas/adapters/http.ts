import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import '../core/zodMini';
import { errorView, requestIdSchema } from '../core/apiViews';
import { type ApiErrorCode, statusOfApiError } from '../core/contract/apiErrors';
import { AUTH_REFUSALS } from '../core/contract/names';
import { type FieldIssue, ValidationError } from '../core/errors';
import { IdempotencyConflictError } from '../core/idempotency';
import { TenantLimitError } from '../core/spendLimits';
import type { Caller } from '../core/tenants';
import { logger } from './logger';

/** An error whose code and message are meant for the client; its HTTP status is its code's. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
  get statusCode(): number {
    return statusOfApiError(this.code);
  }
}

/** A JSON answer that no cache keeps. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** An error body with its code's status. */
function errorAnswer(
  code: ApiErrorCode,
  message: string,
  details?: readonly FieldIssue[],
  headers?: Record<string, string>,
): APIGatewayProxyResult {
  return json(statusOfApiError(code), errorView(code, message, details), headers);
}

/**
 * Any failure as an answer in Segmind's shape, `{error, error_code, details}`.
 * Only our typed errors say what went wrong; anything else is a 500 whose body
 * carries no internals (they are logged).
 */
function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof HttpError) return errorAnswer(error.code, error.message, error.details);
  if (error instanceof ValidationError) return errorAnswer('invalid_request', error.message, error.issues);
  if (error instanceof IdempotencyConflictError) return errorAnswer('idempotency_conflict', error.message);
  if (error instanceof TenantLimitError) {
    return errorAnswer(error.code, error.message, [error.issue], {
      'retry-after': String(error.refusal.retryAfterSeconds),
    });
  }
  logger.error('request failed', { error });
  return errorAnswer('internal_error', 'Internal server error');
}

/** What the API's authorizer tells the handlers about the caller (API Gateway passes its context as strings). */
const authorizerContextSchema = z.object({
  tenantId: z.string().check(z.minLength(1)),
  keyId: z.string().check(z.minLength(1)),
  maxActiveJobs: z.optional(z.coerce.number().check(z.int()).check(z.positive())),
  maxJobsPerDay: z.optional(z.coerce.number().check(z.int()).check(z.positive())),
});

/** The tenant and key behind a request, which the authorizer resolved from its `x-api-key`. */
export function callerOf(event: APIGatewayProxyEvent): Caller {
  const parsed = authorizerContextSchema.safeParse(event.requestContext.authorizer ?? {});
  if (!parsed.success) {
    throw new HttpError(AUTH_REFUSALS.missing.code, AUTH_REFUSALS.missing.message);
  }
  const { tenantId, keyId, maxActiveJobs, maxJobsPerDay } = parsed.data;
  return { tenantId, keyId, limits: { maxActiveJobs, maxJobsPerDay } };
}

/** The tenant a request acts for: it owns the jobs the request creates and sees. */
export function ownerOf(event: APIGatewayProxyEvent): string {
  return callerOf(event).tenantId;
}

/** A request header by name, in any case; undefined when absent. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted)?.[1] ?? undefined;
}

/**
 * Absolute base URL of this API as the client called it, including the stage
 * prefix when the default execute-api domain is used (`/prod`).
 */
export function publicBaseUrl(event: APIGatewayProxyEvent): string {
  const proto = header(event, 'x-forwarded-proto') ?? 'https';
  const host = header(event, 'host') ?? event.requestContext.domainName ?? 'localhost';
  const fullPath = event.requestContext.path ?? event.path;
  const prefix = fullPath.endsWith(event.path) ? fullPath.slice(0, fullPath.length - event.path.length) : '';
  return `${proto}://${host}${prefix}`;
}

/** Middleware first, handler last; every failure becomes a JSON error answer. */
export function httpHandler(route: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger))
    .use({
      onError: (request) => {
        request.response = errorResponse(request.error);
      },
    })
    .handler(route);
}

/** Parses a JSON body, answering 415/400 with a clear message when it is not one. */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  const contentType = header(event, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HttpError('unsupported_media_type', 'The body must be JSON (content-type: application/json)');
  }
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (!raw) throw new HttpError('invalid_json', 'The body is empty; send a JSON object');
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new HttpError('invalid_json', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The `{id}` path parameter, refused with a 400 unless it is a well-formed request id. */
export function pathId(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id;
  if (!id || !requestIdSchema.safeParse(id).success) {
    throw ValidationError.fromIssues('request', [
      { field: 'id', rule: 'must be a request id (letters, digits, - and _)' },
    ]);
  }
  return id;
}
