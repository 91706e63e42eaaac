// The client's typed errors: one class per API error code, and JobFailedError for a FAILED job.
// The failing job uses the local emulator's [emulate:failed] prompt tag (local stack only).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Framebridge, JobFailedError, NotFoundError, ValidationError } from 'framebridge/client';

const local = () =>
  JSON.parse(readFileSync(path.join(process.env.FRAMEBRIDGE_DATA_DIR ?? '.framebridge', 'endpoints.json'), 'utf8'));
const fb = new Framebridge({
  baseUrl: process.env.FRAMEBRIDGE_API ?? local().apiUrl, // written by `npm run dev`
  apiKey: process.env.FRAMEBRIDGE_KEY ?? local().apiKeys[0],
});
const frames = path.join(import.meta.dirname, '..', 'frames');
const first = (await fb.uploads.create(await readFile(path.join(frames, 'first.png')))).s3_uri;
const last = (await fb.uploads.create(await readFile(path.join(frames, 'last.png')))).s3_uri;

// A refused request: nothing was started or paid for. `details` names each field and rule.
try {
  await fb.transitions.submit({ prompt: 'dawn to dusk', first_frame_url: first, last_frame_url: last, seed: 0 });
} catch (error) {
  if (!(error instanceof ValidationError)) throw error; // every class extends FramebridgeError
  console.log(error.status, error.code, error.details); // 400 invalid_request [{ field: 'seed', rule: … }]
}

// Another tenant's job and an unknown id read the same.
try {
  await fb.transitions.status('01ARZ3NDEKTSV4RRFFQ69G5FAV');
} catch (error) {
  if (!(error instanceof NotFoundError)) throw error;
  console.log(error.status, error.code, error.message);
}

// A job that ends FAILED: wait (and run) throw JobFailedError; `code` is the job's error_code, `job` its status.
const { request_id } = await fb.transitions.submit({
  prompt: 'dawn to dusk [emulate:failed]',
  first_frame_url: first,
  last_frame_url: last,
});
try {
  await fb.transitions.wait(request_id, { timeoutMs: 120_000 });
  throw new Error('expected the job to fail');
} catch (error) {
  if (!(error instanceof JobFailedError)) throw error;
  console.log('job failed:', error.code, error.message, error.job.phase);
}
