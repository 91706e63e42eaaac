import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { operations } from './operations';
import type { StateMachineRegistry } from './registry';

/**
 * A small server speaking the Step Functions JSON protocol (awsJson1_0), so the
 * API handlers use the real @aws-sdk/client-sfn unchanged and the AWS CLI can
 * look at local executions (operations.ts lists what it serves).
 */

/** Errors the operations throw under AWS's own error names, answered as the service does: 400 `{__type, message}`. */
const CLIENT_ERRORS = new Set([
  'ExecutionAlreadyExists',
  'ExecutionDoesNotExist',
  'ExecutionNotRedrivable',
  'InvalidExecutionInput',
  'StateMachineDoesNotExist',
  'InvalidArn',
  'InvalidToken',
]);

function errorType(error: unknown): { status: number; type: string; message: string } {
  if (error instanceof z.ZodError) {
    const problems = error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`);
    return { status: 400, type: 'ValidationException', message: problems.join('; ') };
  }
  if (error instanceof SyntaxError) return { status: 400, type: 'SerializationException', message: error.message };
  if (error instanceof Error && CLIENT_ERRORS.has(error.name)) {
    return { status: 400, type: error.name, message: error.message };
  }
  return { status: 500, type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) };
}

export async function startStepFunctionsEndpoint(sfn: StateMachineRegistry, port = 0) {
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const name = target.replace(/^AWSStepFunctions\./, '');
    const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
    const send = (status: number, body: unknown, type?: string) => {
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      response.end(JSON.stringify(body));
    };
    if (!operation) {
      send(
        400,
        { __type: 'UnknownOperationException', message: `Unsupported operation ${target}` },
        'UnknownOperationException',
      );
      return;
    }
    try {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      send(200, (await operation(sfn, body)) ?? {});
    } catch (error) {
      const { status, type, message } = errorType(error);
      send(status, { __type: type, message }, type);
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
