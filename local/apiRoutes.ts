import { HANDLER_METADATA_KEY } from '../lambdas/core/contract';

/**
 * The REST API's routes, read from the synthesized template (API Gateway
 * resources and methods), so the local server serves exactly what CDK deploys.
 */

export interface ApiRoute {
  method: string;
  /** e.g. `/v2/requests/{id}/status` */
  path: string;
  /** The handler module, or undefined for a mock integration. */
  handler?: string;
  functionName?: string;
  /** The REQUEST authorizer that guards the route, if any. */
  authorizer?: RouteAuthorizer;
  /** Whether API Gateway streams the function's answer (`responseTransferMode: STREAM`). */
  streaming?: boolean;
  /** The function's timeout: how long a streamed answer may last. */
  timeoutSeconds?: number;
}

export interface RouteAuthorizer {
  /** The authorizer function's handler module. */
  handler: string;
  functionName: string;
  /** The request header its identity source names (lower case); without it API Gateway answers 401. */
  identityHeader: string;
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

function findGetAttTarget(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.map(findGetAttTarget).find(Boolean);
  if (value && typeof value === 'object') {
    const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
    return Object.values(value).map(findGetAttTarget).find(Boolean);
  }
  return undefined;
}

function refOf(value: unknown): string | undefined {
  return value && typeof value === 'object' && 'Ref' in value ? String((value as { Ref: unknown }).Ref) : undefined;
}

/** The CUSTOM authorizer a method names, resolved to its function's handler module. */
function authorizerOf(resources: Resources, method: Record<string, unknown>): RouteAuthorizer | undefined {
  if (method.AuthorizationType !== 'CUSTOM') return undefined;
  const authorizer = resources[refOf(method.AuthorizerId) ?? ''];
  const functionId = findGetAttTarget(authorizer?.Properties?.AuthorizerUri);
  const handler = functionId ? resources[functionId]?.Metadata?.[HANDLER_METADATA_KEY] : undefined;
  const identity = String(authorizer?.Properties?.IdentitySource ?? '');
  const header = /^method\.request\.header\.(.+)$/.exec(identity)?.[1];
  if (!functionId || typeof handler !== 'string' || !header) {
    throw new Error(
      `The template's authorizer ${refOf(method.AuthorizerId)} is not a header REQUEST authorizer the local API can run`,
    );
  }
  return { handler, functionName: functionId, identityHeader: header.toLowerCase() };
}

export function apiRoutesFromTemplate(template: { Resources: Resources }): ApiRoute[] {
  const resources = template.Resources;
  const pathOf = (resourceRef: string | undefined): string => {
    const resource = resourceRef ? resources[resourceRef] : undefined;
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(refOf(resource.Properties?.ParentId))}/${String(resource.Properties?.PathPart)}`;
  };
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::ApiGateway::Method')
    .map((method) => {
      const props = method.Properties ?? {};
      const integration = (props.Integration ?? {}) as Record<string, unknown>;
      const functionId = integration.Type === 'AWS_PROXY' ? findGetAttTarget(integration.Uri) : undefined;
      const fn = functionId ? resources[functionId] : undefined;
      const handler = fn?.Metadata?.[HANDLER_METADATA_KEY];
      const timeout = fn?.Properties?.Timeout;
      return {
        method: String(props.HttpMethod),
        // The root resource has no path part of its own: `GET /`.
        path: pathOf(refOf(props.ResourceId)) || '/',
        authorizer: authorizerOf(resources, props),
        handler: typeof handler === 'string' ? handler : undefined,
        functionName: functionId,
        streaming: integration.ResponseTransferMode === 'STREAM',
        timeoutSeconds: typeof timeout === 'number' ? timeout : undefined,
      };
    })
    .filter((route) => route.method !== 'OPTIONS');
}

/** API Gateway passes a segment it cannot percent-decode through as sent; the handler then refuses it. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Matches `/v2/requests/abc/status` against `/v2/requests/{id}/status`. */
export function matchRoute(routes: readonly ApiRoute[], method: string, path: string) {
  const segments = path.split('/').filter(Boolean);
  let pathMatched = false;
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, index) => {
      const segment = segments[index] ?? '';
      if (part.startsWith('{') && part.endsWith('}')) {
        params[part.slice(1, -1)] = decodePathSegment(segment);
        return segment.length > 0;
      }
      return part === segment;
    });
    if (!matches) continue;
    pathMatched = true;
    if (route.method === method || route.method === 'ANY') return { route, params };
  }
  return pathMatched ? 'method-not-allowed' : undefined;
}
