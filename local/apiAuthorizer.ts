import type http from 'node:http';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { type ErrorBody, errorView } from '../lambdas/core/apiViews';
import { AUTH_REFUSALS } from '../lambdas/core/contract/names';
import type { ApiRoute, RouteAuthorizer } from './apiRoutes';
import { invokeLambda } from './lambdaRuntime';

export type AuthorizerOutcome =
  | { allowed: true; context: Record<string, unknown> & { principalId: string } }
  | { allowed: false; status: number; body: ErrorBody };

/** API Gateway's answer to a refused key, as its gateway responses shape it. */
const refusal = (which: keyof typeof AUTH_REFUSALS): AuthorizerOutcome => {
  const { status, code, message } = AUTH_REFUSALS[which];
  return { allowed: false, status, body: errorView(code, message) };
};

const requestEvent = (
  request: http.IncomingMessage,
  route: ApiRoute,
  url: URL,
  params: Record<string, string>,
): APIGatewayRequestAuthorizerEvent =>
  ({
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:us-east-1:000000000000:local/local/${route.method}${route.path}`,
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
    queryStringParameters: Object.fromEntries(url.searchParams),
    pathParameters: params,
  }) as unknown as APIGatewayRequestAuthorizerEvent;

/**
 * What API Gateway does for a route with a REQUEST authorizer: 401 without the
 * identity header (the authorizer is not called), the authorizer's own answer
 * otherwise — a Deny is 403, an Allow hands its context to the handler. The
 * local API calls it on every request: there is no cache, so a revoked key is
 * refused at once.
 */
export async function runAuthorizer(
  authorizer: RouteAuthorizer,
  request: http.IncomingMessage,
  route: ApiRoute,
  url: URL,
  params: Record<string, string>,
): Promise<AuthorizerOutcome> {
  const identity = request.headers[authorizer.identityHeader];
  if (typeof identity !== 'string' || identity === '') return refusal('missing');
  const result = (await invokeLambda(
    authorizer.handler,
    authorizer.functionName,
    requestEvent(request, route, url, params),
    10_000,
  )) as APIGatewayAuthorizerResult;
  const allowed = result.policyDocument.Statement.some(
    (statement) => 'Effect' in statement && statement.Effect === 'Allow',
  );
  if (!allowed) return refusal('refused');
  return { allowed: true, context: { ...(result.context ?? {}), principalId: result.principalId } };
}
