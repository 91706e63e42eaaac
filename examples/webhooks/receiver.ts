// Receives the signed webhook of one job and verifies it with the Standard Webhooks library.
// Starts a receiver on a free loopback port, submits a job whose callback_url points at it, and
// exits once the job's webhook has arrived and verified. (Locally plain http and loopback receivers
// are allowed; in AWS a callback_url must be https on a public host.)
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Framebridge } from 'framebridge/client';
import { Webhook } from 'standardwebhooks';

const local = () =>
  JSON.parse(readFileSync(path.join(process.env.FRAMEBRIDGE_DATA_DIR ?? '.framebridge', 'endpoints.json'), 'utf8'));
// Locally: webhookSecret of endpoints.json. In AWS: the secret named by the WebhookSigningSecretArn output.
const webhook = new Webhook(process.env.FRAMEBRIDGE_WEBHOOK_SECRET ?? local().webhookSecret);

interface TransitionEvent {
  type: 'transition.completed' | 'transition.failed';
  data: { request_id: string; s3_uri: string | null; error: { code: string; message: string } | null };
}
const seen = new Set<string>();
let received: (event: TransitionEvent) => void;
const delivered = new Promise<TransitionEvent>((resolve) => {
  received = resolve;
});

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8'); // verify the raw bytes, before any JSON parsing
  try {
    const event = webhook.verify(body, req.headers as Record<string, string>) as TransitionEvent;
    res.writeHead(204).end(); // any 2xx within 15 s counts as delivered
    const id = String(req.headers['webhook-id']); // the same on every retry: de-duplicate on it
    if (!seen.has(id)) {
      seen.add(id);
      received(event);
    }
  } catch {
    res.writeHead(400).end(); // a bad signature: not 2xx, so framebridge tries again later
  }
}).listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;

const fb = new Framebridge({
  baseUrl: process.env.FRAMEBRIDGE_API ?? local().apiUrl, // written by `npm run dev`
  apiKey: process.env.FRAMEBRIDGE_KEY ?? local().apiKeys[0],
});
const frames = path.join(import.meta.dirname, '..', 'frames');
const { request_id } = await fb.transitions.submit({
  prompt: 'a slow dissolve from dawn to dusk',
  first_frame_url: (await fb.uploads.create(await readFile(path.join(frames, 'first.png')))).s3_uri,
  last_frame_url: (await fb.uploads.create(await readFile(path.join(frames, 'last.png')))).s3_uri,
  callback_url: `http://127.0.0.1:${port}/hook`,
});

setTimeout(() => {
  console.error('no webhook within 2 minutes');
  process.exit(1);
}, 120_000).unref();
const event = await delivered;
console.log(event.type, event.data.request_id, event.data.s3_uri ?? event.data.error);
server.close();
if (event.data.request_id !== request_id) throw new Error('a webhook of another job');
