import type http from 'node:http';
import { Writable } from 'node:stream';

/*
 * Lambda response streaming, locally. Inside Lambda, the Node runtime gives
 * handler modules a global `awslambda` whose `streamifyResponse` marks a handler
 * as streaming and whose `HttpResponseStream.from` sends the status and headers
 * ahead of the body (API Gateway reads them from the stream's prelude). Here the
 * same global marks the handler and `from` writes the HTTP head of the local
 * API server's response; the body goes to the client as it is written.
 */

const STREAMING = Symbol.for('framebridge.local.streamingHandler');

export type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => Promise<unknown>;

interface ResponseMetadata {
  statusCode?: number;
  headers?: Record<string, unknown>;
}

/** The stream a streaming handler writes to: the local API server's response, headed by `from`. */
export class LocalResponseStream extends Writable {
  constructor(private readonly response: http.ServerResponse) {
    super();
    // The client went away: the handler sees its stream close, as in Lambda, and stops.
    response.once('close', () => {
      if (!response.writableFinished) this.destroy();
    });
  }

  /** Sends the status and headers now, so the client sees them before the first event. */
  sendHead(metadata: ResponseMetadata): void {
    if (this.response.headersSent) return;
    const headers = Object.fromEntries(
      Object.entries(metadata.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    this.response.writeHead(metadata.statusCode ?? 200, headers);
    this.response.flushHeaders();
  }

  /** Lambda's default for a stream with no head: 200, binary. */
  private ensureHead(): void {
    this.sendHead({ statusCode: 200, headers: { 'content-type': 'application/octet-stream' } });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.ensureHead();
    if (chunk.length === 0 || this.response.write(chunk)) {
      callback();
      return;
    }
    // Back-pressure: the handler waits for the client, but never for one that left.
    const resume = () => {
      this.response.off('close', resume);
      this.response.off('drain', resume);
      callback(this.response.destroyed ? new Error('the client went away') : null);
    };
    this.response.once('drain', resume);
    this.response.once('close', resume);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ensureHead();
    this.response.end(() => callback());
  }
}

/** `awslambda.HttpResponseStream.from`: the head goes out before the body. */
function responseStreamFrom(stream: Writable, metadata: ResponseMetadata): Writable {
  if (stream instanceof LocalResponseStream) stream.sendHead(metadata);
  return stream;
}

/**
 * Gives this process Lambda's `awslambda` global, before any handler module
 * loads (they use it at import). The AWS SDK also keeps state on that global
 * (it creates it when missing), so the members are added to whatever is there.
 */
export function installAwsLambdaGlobal(): void {
  const scope = globalThis as { awslambda?: Record<string, unknown> };
  scope.awslambda ??= {};
  scope.awslambda.streamifyResponse ??= (handler: StreamingHandler) => Object.assign(handler, { [STREAMING]: true });
  scope.awslambda.HttpResponseStream ??= { from: responseStreamFrom };
}

export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMING] === true;
}
