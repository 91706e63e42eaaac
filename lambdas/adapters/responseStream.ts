import { AsyncLocalStorage } from 'node:async_hooks';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { httpHandler } from './http';
import { logger } from './logger';

/*
 * Lambda response streaming for API routes behind API Gateway's
 * `responseTransferMode: STREAM`. Lambda's Node runtime provides the global
 * `awslambda` (typed by @types/aws-lambda); the local API server installs one
 * of the same shape. A route decides its status and headers before any byte of
 * its body, so a refusal is an ordinary JSON answer.
 */

/** A streamed answer: status and headers first, then the body as it is read. */
export interface StreamedAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
}

/** What a streaming route knows of its invocation. */
export interface Invocation {
  context: Context;
  /** Aborted when the client goes away (the response stream closes or fails): stop working for it. */
  signal: AbortSignal;
}

export type StreamingRoute = (
  event: APIGatewayProxyEvent,
  invocation: Invocation,
) => Promise<APIGatewayProxyResult | StreamedAnswer>;

interface InvocationState {
  invocation: Invocation;
  /** The answer the route returned with its stream body set aside (the JSON path must not see it). */
  streamed?: { answer: APIGatewayProxyResult; body: Readable };
}

const current = new AsyncLocalStorage<InvocationState>();

const isStreamed = (answer: APIGatewayProxyResult | StreamedAnswer): answer is StreamedAnswer =>
  typeof answer.body !== 'string';

function headersOf(answer: APIGatewayProxyResult): Record<string, string> {
  return Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, value]) => [name, String(value)]));
}

function writeAll(stream: Writable, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(body, () => resolve());
  });
}

/**
 * A streaming handler for an API route. Errors are answered exactly as the
 * other routes answer them (`httpHandler`: Segmind's shape, only 4xx messages
 * exposed), as JSON with their status, before any stream.
 */
export function streamingHttpHandler(route: StreamingRoute) {
  const answer = httpHandler(async (event) => {
    const state = current.getStore();
    if (!state) throw new Error('streamingHttpHandler: the route ran outside its invocation');
    const result = await route(event, state.invocation);
    if (!isStreamed(result)) return result;
    const head = { statusCode: result.statusCode, headers: result.headers, body: '' };
    state.streamed = { answer: head, body: result.body };
    return head;
  });

  return awslambda.streamifyResponse<APIGatewayProxyEvent>(async (event, responseStream, context) => {
    const gone = new AbortController();
    const clientGone = () => gone.abort();
    responseStream.once('close', clientGone);
    // Kept for the whole invocation: a write after the client left must not crash the process.
    responseStream.on('error', clientGone);
    const state: InvocationState = { invocation: { context, signal: gone.signal } };
    const result = await current.run(state, () => answer(event, context));
    if (gone.signal.aborted) {
      state.streamed?.body.destroy();
      return;
    }
    const out = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: result.statusCode,
      headers: headersOf(result),
    });
    if (state.streamed?.answer !== result) return writeAll(out, result.body);
    try {
      await pipeline(state.streamed.body, out);
    } catch (error) {
      // The status is sent: a broken stream can only end early.
      if (gone.signal.aborted) logger.info('the client went away before the stream ended');
      else logger.error('the streamed answer failed', { error });
    }
  });
}

/** Waits `ms` unless `signal` aborts first; false when it did. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(Math.max(0, ms), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
