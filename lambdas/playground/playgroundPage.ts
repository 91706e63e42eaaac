import { createHash } from 'node:crypto';
import { PAGE_STYLE } from './pageStyle';

export interface PlaygroundPageOptions {
  /** The page's script (the esbuild bundle of `browser/main.ts`), inlined as a module script. */
  readonly script: string;
  /**
   * Origins the page talks to besides its own: where the presigned upload and
   * video URLs point (the bucket's S3 endpoint).
   */
  readonly storageOrigins: readonly string[];
}

export interface PlaygroundPage {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * A CSP that allows exactly this document's inline script and style (by hash),
 * API calls to its own origin, uploads and playback from the bucket's origin,
 * and nothing else; DOM sinks taking HTML strings are closed (Trusted Types).
 */
export function contentSecurityPolicy(options: PlaygroundPageOptions): string {
  const storage = options.storageOrigins.join(' ');
  return [
    "default-src 'none'",
    `script-src ${sha256(options.script)}`,
    `style-src ${sha256(PAGE_STYLE)}`,
    // Previews of the chosen frames are object URLs; the (empty) icon is a data URL.
    'img-src blob: data:',
    `connect-src 'self' ${storage}`,
    `media-src ${storage}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** The playground: one self-contained document, its script and style inline. */
export function playgroundPage(options: PlaygroundPageOptions): PlaygroundPage {
  if (/<\/script/i.test(options.script)) throw new Error('The page script holds "</script", which would end it early');
  return {
    html: pageHtml(options.script),
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy(options),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      // Revalidated on each visit: a new deployment serves a new script.
      'cache-control': 'no-cache',
    },
  };
}

const pageHtml = (script: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>framebridge playground</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
<h1>framebridge playground</h1>
<p>Two frames and a prompt in, an AI video transition out.</p>
</header>
<main>
<section aria-labelledby="key-title">
<h2 id="key-title">API key</h2>
<form id="key-form" class="row">
<div><label for="api-key">API key</label>
<input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck="false" aria-describedby="key-note"></div>
<button type="submit">Use key</button>
</form>
<p id="key-note">Kept in this tab's session storage only.</p>
</section>
<form id="job-form" aria-labelledby="job-form-title">
<h2 id="job-form-title">New transition</h2>
<fieldset>
<legend>Frames</legend>
<div class="frames">
${framePicker('first', 'First frame')}
${framePicker('last', 'Last frame')}
</div>
</fieldset>
<p><label for="prompt">Prompt</label><br>
<textarea id="prompt" name="prompt" rows="3" maxlength="2048" required>A smooth cinematic transition</textarea></p>
<div class="row">
<div><label for="duration">Duration</label>
<select id="duration" name="duration"><option value="5" selected>5 seconds</option><option value="8">8 seconds</option></select></div>
<div><label for="quality">Quality</label>
<select id="quality" name="quality"><option value="360p">360p</option><option value="540p" selected>540p</option><option value="720p">720p</option><option value="1080p">1080p</option></select></div>
<div><label for="seed">Seed</label>
<input id="seed" name="seed" type="number" min="1" max="999999" step="1" value="12345" required></div>
<div><span><input id="sound" name="sound" type="checkbox" checked> <label for="sound">Sound effects</label></span></div>
</div>
<button id="submit" type="submit">Generate video</button>
</form>
<section aria-labelledby="job-title">
<h2 id="job-title">Current job</h2>
<p id="job-status" role="status" aria-atomic="true">No job yet.</p>
<progress id="job-progress" value="0" aria-label="Progress"></progress>
<ol id="job-events" aria-label="Events received"></ol>
<div id="job-error" role="alert"></div>
<button id="cancel" type="button" hidden>Cancel this job</button>
<video id="video" controls preload="auto" hidden aria-label="The generated transition"></video>
<p><a id="download" hidden>Download the MP4</a></p>
</section>
<section aria-labelledby="recent-title">
<h2 id="recent-title">Recent jobs</h2>
<table>
<caption class="sr-only">Your newest jobs first</caption>
<thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody id="recent-rows"></tbody>
</table>
<p id="recent-note" role="status"></p>
</section>
</main>
<script type="module">${script}</script>
</body>
</html>
`;

/**
 * The drop zone is the file input's label, so a click anywhere in it opens the
 * picker; the input itself keeps keyboard and screen reader use native, and is
 * named by the title alone (not the whole label's text).
 */
const framePicker = (name: string, title: string) => `<label id="${name}-drop" class="drop" for="${name}-frame">
<span id="${name}-title" class="title">${title}</span>
<span id="${name}-hint">Drop an image here, or choose one (PNG, JPEG or WebP, up to 20 MB).</span>
<input id="${name}-frame" name="${name}-frame" type="file" accept="image/png,image/jpeg,image/webp" required aria-labelledby="${name}-title" aria-describedby="${name}-hint ${name}-note">
<img id="${name}-preview" alt="Preview of the ${title.toLowerCase()}" hidden>
<span id="${name}-note" aria-live="polite"></span>
</label>`;
