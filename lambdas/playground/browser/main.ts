import { Framebridge, FramebridgeError, type TransitionRequest } from 'framebridge/client';
import { byId, location, type PageElement, sessionStorage } from './dom';
import { framePicker } from './frames';
import { JobView } from './jobView';
import { RecentJobs } from './recentJobs';

/*
 * The playground page's script: every call goes through the TypeScript client,
 * to the API that served the page (the same origin, stage prefix included).
 */

const KEY_ITEM = 'framebridge.apiKey';
const baseUrl = location.origin + location.pathname.replace(/\/+$/, '');

const keyForm = byId('key-form');
const keyInput = byId('api-key');
const keyNote = byId('key-note');
const jobForm = byId('job-form');
const submitButton = byId('submit');
const prompt = byId('prompt');
const quality = byId('quality');
const duration = byId('duration');
const seed = byId('seed');
const sound = byId('sound');
const frames = { first: framePicker('first'), last: framePicker('last') };

let client: Framebridge | undefined;
const job = new JobView(() => void recent.refresh(client));
const recent = new RecentJobs({
  open: (id) => client && void job.follow(client, id),
  cancel: async (id) => {
    if (!client) return;
    try {
      await client.transitions.cancel(id);
    } catch (error) {
      job.fail(error, `Cancelling job ${id}`);
    }
    await recent.refresh(client);
  },
});

const useKey = (apiKey: string) => {
  // The browser's fetch, bound: called detached from `window` it throws "Illegal invocation".
  client = apiKey ? new Framebridge({ baseUrl, apiKey, fetch: fetch.bind(globalThis) }) : undefined;
  keyNote.textContent = apiKey ? 'Key in use for this tab.' : 'No key yet: enter one to start.';
  void recent.refresh(client);
};

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const apiKey = String(keyInput.value).trim();
  if (apiKey) sessionStorage.setItem(KEY_ITEM, apiKey);
  else sessionStorage.removeItem(KEY_ITEM);
  useKey(apiKey);
});

// Segmind refuses 8 s at 1080p: offer only the combinations it accepts.
const syncChoices = () => {
  const disable = (select: PageElement, value: string, disabled: boolean) => {
    const option = select.querySelector(`option[value="${value}"]`);
    if (option) option.disabled = disabled;
  };
  disable(duration, '8', quality.value === '1080p');
  disable(quality, '1080p', duration.value === '8');
};
quality.addEventListener('change', syncChoices);
duration.addEventListener('change', syncChoices);

jobForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const first = frames.first.file();
  const last = frames.last.file();
  const fb = client;
  if (!fb) {
    job.say('Enter your API key first.');
    keyInput.focus();
    return;
  }
  if (!first || !last) {
    job.say('Choose a first and a last frame (PNG, JPEG or WebP, at most 20 MB).');
    return;
  }
  submitButton.disabled = true;
  job.reset('New job');
  let step = 'Uploading the frames';
  try {
    job.say('Uploading the two frames…');
    const [firstFrame, lastFrame] = await Promise.all([fb.uploads.create(first), fb.uploads.create(last)]);
    step = 'Submitting the job';
    job.say('Frames uploaded; submitting the job…');
    const body: TransitionRequest = {
      prompt: String(prompt.value),
      first_frame_url: firstFrame.s3_uri,
      last_frame_url: lastFrame.s3_uri,
      duration: duration.value === '8' ? 8 : 5,
      quality: qualityOf(String(quality.value)),
      seed: Number(seed.value),
      sound_effect_switch: sound.checked,
    };
    // A lost answer (the network failed, not the API) is resent once with the same
    // Idempotency-Key: the API answers the job it already started instead of billing a second.
    const idempotencyKey = randomKey();
    const submit = () => fb.transitions.submit(body, { idempotencyKey });
    const submitted = await submit().catch((error: unknown) => {
      if (error instanceof FramebridgeError) throw error;
      return submit();
    });
    // Submitted: another job may be started while this one is followed.
    submitButton.disabled = false;
    void recent.refresh(fb);
    step = 'Following the job';
    await job.follow(fb, submitted.request_id);
  } catch (error) {
    job.fail(error, step);
  } finally {
    submitButton.disabled = false;
  }
});

const QUALITIES = ['360p', '540p', '720p', '1080p'] as const;
const qualityOf = (value: string): TransitionRequest['quality'] => QUALITIES.find((quality) => quality === value);

/** 128 random bits as hex: `crypto.randomUUID` exists only in secure contexts, a LAN address over http is not one. */
function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

syncChoices();
keyInput.value = sessionStorage.getItem(KEY_ITEM) ?? '';
useKey(keyInput.value);
