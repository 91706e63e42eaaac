// Uploads the two example frames with plain fetch (no client library) and submits a job with them.
// The same code runs in a browser (there, fetch sets content-length from the body itself).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const local = () =>
  JSON.parse(readFileSync(path.join(process.env.FRAMEBRIDGE_DATA_DIR ?? '.framebridge', 'endpoints.json'), 'utf8'));
const API: string = process.env.FRAMEBRIDGE_API ?? local().apiUrl; // written by `npm run dev`
const KEY: string = process.env.FRAMEBRIDGE_KEY ?? local().apiKeys[0];
const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

interface Upload {
  upload_url: string;
  method: 'PUT';
  headers: Record<string, string>;
  s3_uri: string;
  expires_at: string;
}

/** Uploads one frame and answers its s3:// URI, ready for first_frame_url / last_frame_url. */
async function uploadFrame(file: string): Promise<string> {
  const bytes = await readFile(file);
  const asked = await fetch(`${API}/v2/uploads`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({
      content_type: TYPES[path.extname(file).toLowerCase()],
      content_length: bytes.length,
      filename: path.basename(file),
    }),
  });
  if (asked.status !== 201) throw new Error(`POST /v2/uploads: ${asked.status} ${await asked.text()}`);
  const upload = (await asked.json()) as Upload;
  // The headers are signed: send exactly these, with exactly these bytes.
  const put = await fetch(upload.upload_url, { method: upload.method, headers: upload.headers, body: bytes });
  if (!put.ok) throw new Error(`PUT refused by S3: ${put.status} ${await put.text()}`);
  return upload.s3_uri;
}

const frames = path.join(import.meta.dirname, '..', 'frames');
const job = await fetch(`${API}/v2/pixverse-5-transition`, {
  method: 'POST',
  headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
  body: JSON.stringify({
    prompt: 'The street at dawn becomes the street at night',
    first_frame_url: await uploadFrame(path.join(frames, 'first.png')),
    last_frame_url: await uploadFrame(path.join(frames, 'last.png')),
    quality: '360p',
  }),
});
console.log(job.status, await job.json()); // → 202 { request_id: …, status: 'QUEUED', … }
if (job.status !== 202) process.exitCode = 1;
