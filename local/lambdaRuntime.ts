import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { inInvocationScope } from './invocationStore';
import { installAwsLambdaGlobal, isStreamingHandler, LocalResponseStream } from './streamingResponse';

// Handler modules call `awslambda.streamifyResponse` as they load, as in Lambda.
installAwsLambdaGlobal();

/** Repository root: handler paths in the template's metadata are relative to it. */
export const repoRoot = path.resolve(import.meta.dirname, '..');

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const loaded = new Map<string, Promise<LambdaHandler>>();

/** Imports a handler module once, as Lambda does per cold start. */
export function loadHandler(handlerPath: string): Promise<LambdaHandler> {
  let handler = loaded.get(handlerPath);
  if (!handler) {
    handler = import(pathToFileURL(path.join(repoRoot, handlerPath)).href).then((module: { handler?: unknown }) => {
      if (typeof module.handler !== 'function') throw new Error(`${handlerPath} exports no handler`);
      return module.handler as LambdaHandler;
    });
    loaded.set(handlerPath, handler);
  }
  return handler;
}

export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * What Step Functions sees when a Lambda throws: the error's name as `Error`
 * and Lambda's JSON error document as `Cause`.
 */
export class LambdaFunctionError extends Error {
  constructor(error: unknown) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    super(JSON.stringify({ errorType: name, errorMessage: message }));
    this.name = name;
  }
}

/** What Lambda would bill a function for so far: its invocations and the time its handler ran. */
export interface LambdaUsage {
  invocations: number;
  /** Handler run time summed over the invocations, each rounded up to the ms as Lambda bills (module load not included). */
  billedMs: number;
}

const usage = new Map<string, LambdaUsage>();

/** Every function's usage in this process, by function name (the template's logical id); a copy. */
export function lambdaUsage(): Record<string, LambdaUsage> {
  return Object.fromEntries([...usage].map(([name, counts]) => [name, { ...counts }]));
}

function noteUsage(functionName: string, startedAt: number): void {
  const counts = usage.get(functionName) ?? { invocations: 0, billedMs: 0 };
  counts.invocations += 1;
  counts.billedMs += Math.max(1, Math.ceil(performance.now() - startedAt));
  usage.set(functionName, counts);
}

/** Invokes a handler in-process the way the Lambda service would. */
export async function invokeLambda(
  handlerPath: string,
  functionName: string,
  event: unknown,
  timeoutMs = 60_000,
): Promise<unknown> {
  const handler = await loadHandler(handlerPath);
  // A JSON round trip, as the real service does: no shared object references.
  const payload = JSON.parse(JSON.stringify(event ?? null));
  const startedAt = performance.now();
  try {
    const context = lambdaContext(functionName, timeoutMs);
    const result = await inInvocationScope(context.awsRequestId, () => handler(payload, context));
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  } catch (error) {
    throw new LambdaFunctionError(error);
  } finally {
    noteUsage(functionName, startedAt);
  }
}

/** Whether a handler module streams its response (`awslambda.streamifyResponse`). */
export async function isStreamingLambda(handlerPath: string): Promise<boolean> {
  return isStreamingHandler(await loadHandler(handlerPath));
}

/**
 * Invokes a streaming handler the way Lambda and API Gateway's STREAM mode
 * would: what it writes reaches `response` as it is written. The function's
 * timeout ends the response where it stands, as Lambda ends the stream; a
 * handler that fails before sending its head is the caller's 502. Resolves when
 * the response is done (or the client left).
 */
export async function invokeStreamingLambda(
  handlerPath: string,
  functionName: string,
  event: unknown,
  timeoutMs: number,
  response: http.ServerResponse,
): Promise<void> {
  const handler = await loadHandler(handlerPath);
  if (!isStreamingHandler(handler)) throw new Error(`${handlerPath} is not a streaming handler`);
  const payload = JSON.parse(JSON.stringify(event ?? null));
  const stream = new LocalResponseStream(response);
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const context = lambdaContext(functionName, timeoutMs);
  const run = inInvocationScope(context.awsRequestId, () => handler(payload, stream, context)).finally(() =>
    noteUsage(functionName, startedAt),
  );
  try {
    if ((await Promise.race([run, timedOut])) === 'timeout') {
      run.catch(() => undefined);
      stream.destroy();
      response.destroy();
      return;
    }
  } catch (error) {
    if (!response.headersSent) throw new LambdaFunctionError(error);
    stream.destroy();
    response.destroy();
    return;
  } finally {
    clearTimeout(timer);
  }
  // A handler may return before its stream is done; Lambda ends the stream for it.
  if (!stream.writableEnded && !stream.destroyed) stream.end();
  await finished(stream).catch(() => undefined);
}
