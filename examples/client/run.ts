// The TypeScript client: upload two frames, run a transition with live progress, save the MP4.
// Run: npx tsx examples/client/run.ts   (with `npm run dev` up)
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Framebridge } from 'framebridge/client';

const local = () =>
  JSON.parse(readFileSync(path.join(process.env.FRAMEBRIDGE_DATA_DIR ?? '.framebridge', 'endpoints.json'), 'utf8'));
const fb = new Framebridge({
  baseUrl: process.env.FRAMEBRIDGE_API ?? local().apiUrl, // written by `npm run dev`
  apiKey: process.env.FRAMEBRIDGE_KEY ?? local().apiKeys[0],
});

const frames = path.join(import.meta.dirname, '..', 'frames');
// The type (PNG, JPEG or WebP) is read from the bytes; { contentType } sets it.
const first = await fb.uploads.create(await readFile(path.join(frames, 'first.png')));
const last = await fb.uploads.create(await readFile(path.join(frames, 'last.png')));

// submit + wait (live over SSE, else polling) + result: the COMPLETED result, or JobFailedError.
const result = await fb.transitions.run(
  { prompt: 'a slow dissolve from dawn to dusk', first_frame_url: first.s3_uri, last_frame_url: last.s3_uri },
  { onProgress: (status) => console.log(status.status, status.phase) },
);

const out = await mkdtemp(path.join(tmpdir(), 'framebridge-')); // the only place this example writes
const video = await fetch(result.output.video_url); // presigned, minted afresh on every read
await writeFile(path.join(out, 'transition.mp4'), Buffer.from(await video.arrayBuffer()));
console.log(`wrote ${path.join(out, 'transition.mp4')} (${result.output.s3_uri})`);
