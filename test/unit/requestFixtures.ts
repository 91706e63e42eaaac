/* Request bodies shared by the tests of the schema, the create-time checks and the handlers. */

/** The smallest valid request body: the required fields, every other one left to its default. */
export const validBody = {
  prompt: 'The sunrise street melts into the same street at night',
  first_frame_url: 'https://cdn.example.com/frames/first.png',
  last_frame_url: 'https://cdn.example.com/frames/last.png',
};

/** What the request schema fills in for every field a request leaves out (Segmind's defaults). */
export const REQUEST_DEFAULTS = {
  duration: 5,
  quality: '540p',
  motion_mode: 'normal',
  seed: 12345,
  sound_effect_switch: true,
  lip_sync_switch: false,
} as const;
