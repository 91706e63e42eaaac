// Every call of the TypeScript client, one after the other: submit with an Idempotency-Key,
// follow the events, read the result, list, cancel.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Framebridge } from 'framebridge/client';

const local = () =>
  JSON.parse(readFileSync(path.join(process.env.FRAMEBRIDGE_DATA_DIR ?? '.framebridge', 'endpoints.json'), 'utf8'));
const fb = new Framebridge({
  baseUrl: process.env.FRAMEBRIDGE_API ?? local().apiUrl, // written by `npm run dev`
  apiKey: process.env.FRAMEBRIDGE_KEY ?? local().apiKeys[0],
});

const frames = path.join(import.meta.dirname, '..', 'frames');
const body = {
  prompt: 'a slow dissolve from dawn to dusk',
  first_frame_url: (await fb.uploads.create(await readFile(path.join(frames, 'first.png')))).s3_uri,
  last_frame_url: (await fb.uploads.create(await readFile(path.join(frames, 'last.png')))).s3_uri,
  duration: 5,
  quality: '360p',
} as const;

// The same idempotency key and body give the same job: safe to resend after a timeout.
const idempotencyKey = `order-${Date.now()}`;
const { request_id } = await fb.transitions.submit(body, { idempotencyKey });
const again = await fb.transitions.submit(body, { idempotencyKey });
console.log('submitted', request_id, again.request_id === request_id ? '(resent: same job)' : '');

// One event per status or phase change; the stream ends after COMPLETED or FAILED.
for await (const event of fb.transitions.events(request_id)) {
  console.log(`event ${event.id}:`, event.status.status, event.status.phase);
}
console.log('status', (await fb.transitions.status(request_id)).status);
const result = await fb.transitions.result(request_id); // a fresh presigned video_url on every read
console.log('result', result.status, 'output' in result && result.output ? result.output.s3_uri : '');

// Pages are fetched as the loop needs them.
let listed = 0;
for await (const job of fb.transitions.list({ status: 'COMPLETED', limit: 20 })) {
  if (++listed <= 3) console.log('listed', job.request_id, job.status);
}
console.log(`${listed} completed jobs`);

// Cancel: the job ends FAILED with error_code "cancelled"; the note says whether Segmind may still bill it.
const other = await fb.transitions.submit({ ...body, prompt: 'cancelled before it ends' });
const cancelled = await fb.transitions.cancel(other.request_id);
console.log('cancelled', cancelled.status, cancelled.error_code, cancelled.note);
