// The S3 door: put the frames and a manifest under inbox/, then read the video from outbox/.
// Run: npx tsx examples/intake/s3-intake.ts   (with `npm run dev` up; in AWS, see below)
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

// The local stack's S3, written by `npm run dev`. In AWS: new S3Client({}) and the stack's BucketName output.
const local = JSON.parse(
  readFileSync(path.join(process.env.FRAMEBRIDGE_DATA_DIR ?? '.framebridge', 'endpoints.json'), 'utf8'),
);
const s3 = new S3Client({
  endpoint: local.s3Url,
  region: local.region,
  credentials: local.credentials,
  forcePathStyle: true, // the local S3 serves path-style URLs only
});
const bucket: string = local.bucket;
const name = `clip-${Date.now()}`; // outbox/<name>.* answers inbox/<name>.json
const frames = path.join(import.meta.dirname, '..', 'frames');

// Frames first: the manifest is checked as soon as it lands. Keys relative to inbox/ are allowed.
for (const frame of ['first', 'last']) {
  const body = await readFile(path.join(frames, `${frame}.png`));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `inbox/frames/${name}-${frame}.png`, Body: body }));
}
const manifest = {
  prompt: 'the sunrise street dissolves into the night street',
  first_frame_url: `frames/${name}-first.png`,
  last_frame_url: `s3://${bucket}/inbox/frames/${name}-last.png`,
  quality: '360p',
};
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `inbox/${name}.json`, Body: JSON.stringify(manifest) }));

/** An outbox object's bytes, or undefined while it is not there. */
async function outbox(suffix: string): Promise<Uint8Array | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `outbox/${name}${suffix}` }));
    return await object.Body?.transformToByteArray();
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

/** Waits for outbox/<name>.json, which is written after the video: once it is there, the MP4 is too. */
async function result(): Promise<unknown> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const refused = await outbox('.error.json');
    if (refused) throw new Error(`the job failed or the manifest was refused: ${Buffer.from(refused)}`);
    const written = await outbox('.json');
    if (written) return JSON.parse(Buffer.from(written).toString('utf8'));
    await sleep(1000);
  }
  throw new Error(`nothing in outbox/ for ${name} after 2 minutes`);
}

console.log(await result());
const out = await mkdtemp(path.join(tmpdir(), 'framebridge-')); // the only place this example writes
await writeFile(path.join(out, `${name}.mp4`), (await outbox('.mp4')) ?? new Uint8Array());
console.log(`wrote ${path.join(out, `${name}.mp4`)}`);
s3.destroy();
