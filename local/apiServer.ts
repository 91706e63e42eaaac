import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorView } from '../lambdas/core/apiViews';
import { type ApiErrorCode, statusOfApiError } from '../lambdas/core/contract/apiErrors';
import { runAuthorizer } from './apiAuthorizer';
import { type ApiRoute, matchRoute } from './apiRoutes';
import { invokeLambda, invokeStreamingLambda } from './lambdaRuntime';

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout for an answer it buffers. */
const BUFFERED_TIMEOUT_MS = 29_000;
/** Lambda's default timeout, for a streamed route whose function names none. */
const DEFAULT_FUNCTION_TIMEOUT_S = 3;

export interface LocalApiOptions {
  routes: readonly ApiRoute[];
  port?: number;
}

function sendJson(response: http.ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The server's own refusals, in the handlers' shape and with their code's status. */
function sendError(response: http.ServerResponse, code: ApiErrorCode, message: string) {
  sendJson(response, statusOfApiError(code), errorView(code, message));
}

function toEvent(
  request: http.IncomingMessage,
  url: URL,
  route: ApiRoute,
  params: Record<string, string>,
  body: Buffer,
  authorizer: Record<string, unknown> | undefined,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = { 'x-forwarded-proto': 'http' };
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }
  const query = [...url.searchParams.keys()];
  const requestTimeEpoch = Date.now();
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query.length ? Object.fromEntries(url.searchParams) : null,
    multiValueQueryStringParameters: query.length
      ? Object.fromEntries(query.map((key) => [key, url.searchParams.getAll(key)]))
      : null,
    pathParameters: Object.keys(params).length ? params : null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer,
      protocol: 'HTTP/1.1',
      httpMethod: route.method,
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch,
      resourceId: 'local',
      resourcePath: route.path,
      domainName: String(request.headers.host ?? '127.0.0.1'),
      identity: {
        apiKey: null,
        apiKeyId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: String(request.headers['user-agent'] ?? ''),
        accessKey: null,
        accountId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
    },
  };
}

async function readBody(request: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The local API Gateway: matches the template's routes, runs their authorizer
 * as API Gateway would, turns requests into REST proxy events for the same handlers.
 */
export async function startLocalApi(options: LocalApiOptions) {
  const server = http.createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const method = request.method ?? 'GET';
      const match = matchRoute(options.routes, method, url.pathname);
      if (!match) return sendError(response, 'not_found', `No route ${method} ${url.pathname}`);
      if (match === 'method-not-allowed') {
        return sendError(response, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`);
      }
      const { route, params } = match;
      const authorized = route.authorizer
        ? await runAuthorizer(route.authorizer, request, route, url, params)
        : undefined;
      if (authorized && !authorized.allowed) return sendJson(response, authorized.status, authorized.body);
      if (!route.handler) return sendJson(response, 200, { status: 'ok' });
      const body = await readBody(request);
      if (body === 'too-large') {
        // The rest of the body is not read: the connection cannot carry another request.
        response.setHeader('connection', 'close');
        sendError(response, 'payload_too_large', 'The body exceeds 10 MB');
        request.socket.destroySoon?.();
        return;
      }
      const event = toEvent(request, url, route, params, body, authorized?.context);
      const functionName = route.functionName ?? route.handler;
      if (route.streaming) {
        // A streamed answer lasts as long as its function may run, not API Gateway's 29 s.
        const timeoutMs = (route.timeoutSeconds ?? DEFAULT_FUNCTION_TIMEOUT_S) * 1000;
        return await invokeStreamingLambda(route.handler, functionName, event, timeoutMs, response);
      }
      const result = (await invokeLambda(
        route.handler,
        functionName,
        event,
        BUFFERED_TIMEOUT_MS,
      )) as APIGatewayProxyResult;
      response.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
      response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    } catch {
      // API Gateway answers 502 when the integration itself fails.
      if (!response.headersSent) sendError(response, 'bad_gateway', 'Internal server error');
      else response.end();
    }
  });
  // A request Node cannot even parse (e.g. a control character in a header) gets a JSON 400 too.
  server.on('clientError', (_error, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = statusOfApiError('bad_request');
    const body = JSON.stringify(errorView('bad_request', 'The request is not valid HTTP'));
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
