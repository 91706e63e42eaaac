import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { type WebhookPayload, webhookPayloadSchema } from '../../lambdas/core/webhook';

/** A webhook receiver on loopback that answers 200, keeps what it got and verifies it with the stack's secret. */
export class WebhookReceiver {
  readonly received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly secret: string) {}

  async start(): Promise<void> {
    this.server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      this.received.push({
        path: request.url ?? '/',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      });
      response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The payloads received at a path, each verified as a receiver would (signature, id, timestamp). */
  at(requestPath: string): WebhookPayload[] {
    return this.received
      .filter((request) => request.path === requestPath)
      .map((request) =>
        webhookPayloadSchema.parse(
          new Webhook(this.secret).verify(request.body, {
            'webhook-id': String(request.headers['webhook-id']),
            'webhook-timestamp': String(request.headers['webhook-timestamp']),
            'webhook-signature': String(request.headers['webhook-signature']),
          }),
        ),
      );
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
