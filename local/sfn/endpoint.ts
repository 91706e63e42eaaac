import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import type { Execution, ExecutionStatus } from './executions';
import type { StateMachineRegistry } from './registry';

/**
 * A small server speaking the Step Functions JSON protocol (awsJson1_0), so the
 * API handlers use the real @aws-sdk/client-sfn unchanged and the AWS CLI can
 * look at local executions.
 */

const seconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

function summary(execution: Execution) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    stopDate: seconds(execution.stopDate),
  };
}

const executionArnInput = z.object({ executionArn: z.string() });

const operations: Record<string, (sfn: StateMachineRegistry, body: unknown) => Promise<unknown> | unknown> = {
  StartExecution: (sfn, body) => {
    const input = z
      .object({ stateMachineArn: z.string(), name: z.string().optional(), input: z.string().optional() })
      .parse(body);
    const execution = sfn
      .machine(input.stateMachineArn)
      .start(input.stateMachineArn, input.name ?? crypto.randomUUID(), input.input ?? '{}');
    return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
  },
  DescribeExecution: (sfn, body) => {
    const { executionArn } = executionArnInput.parse(body);
    const execution = sfn.machineOfExecution(executionArn).describe(executionArn);
    return {
      ...summary(execution),
      input: execution.input,
      output: execution.output,
      error: execution.error,
      cause: execution.cause,
    };
  },
  StopExecution: async (sfn, body) => {
    const input = executionArnInput.extend({ error: z.string().optional(), cause: z.string().optional() }).parse(body);
    const execution = await sfn
      .machineOfExecution(input.executionArn)
      .stop(input.executionArn, { error: input.error, cause: input.cause });
    return { stopDate: seconds(execution.stopDate ?? new Date()) };
  },
  ListExecutions: (sfn, body) => {
    const input = z
      .object({
        stateMachineArn: z.string(),
        statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']).optional(),
        maxResults: z.number().int().min(0).max(1000).optional(),
        nextToken: z.string().optional(),
      })
      .parse(body);
    const all = sfn
      .machine(input.stateMachineArn)
      .list(input.stateMachineArn, input.statusFilter as ExecutionStatus | undefined);
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const size = input.maxResults || 100;
    const page = all.slice(start, start + size);
    const nextToken = start + size < all.length ? String(start + size) : undefined;
    return { executions: page.map(summary), nextToken };
  },
  GetExecutionHistory: (sfn, body) => {
    const input = executionArnInput.extend({ reverseOrder: z.boolean().optional() }).parse(body);
    const events = sfn
      .machineOfExecution(input.executionArn)
      .describe(input.executionArn)
      .history.map((event) => ({
        id: event.id,
        previousEventId: event.previousEventId,
        timestamp: seconds(event.timestamp),
        type: event.type,
        ...(event.stateName ? { stateEnteredEventDetails: { name: event.stateName } } : {}),
      }));
    return { events: input.reverseOrder ? events.reverse() : events };
  },
};

function errorType(error: unknown): { status: number; type: string; message: string } {
  if (error instanceof z.ZodError) return { status: 400, type: 'ValidationException', message: error.message };
  if (
    error instanceof Error &&
    /^(ExecutionAlreadyExists|ExecutionDoesNotExist|StateMachineDoesNotExist)$/.test(error.name)
  ) {
    return { status: 400, type: error.name, message: error.message };
  }
  return { status: 500, type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) };
}

export async function startStepFunctionsEndpoint(sfn: StateMachineRegistry, port = 0) {
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = operations[target.replace(/^AWSStepFunctions\./, '')];
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
      send(200, await operation(sfn, body));
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
