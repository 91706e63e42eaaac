import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_TAG_MESSAGES } from '../../local/emulator/failureTags';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { launchChromium, tabOrder, unnamedControls } from './browser';

const root = path.resolve(import.meta.dirname, '..', '..');
const frames = path.join(root, 'examples', 'frames');
/**
 * Where to save a screenshot of the finished job: `FRAMEBRIDGE_SCREENSHOT=docs/playground.png`
 * refreshes the one the docs show. Unset (as in CI), the test writes nothing into the repository.
 */
const SCREENSHOT = process.env.FRAMEBRIDGE_SCREENSHOT
  ? path.resolve(root, process.env.FRAMEBRIDGE_SCREENSHOT)
  : undefined;
const API_KEY = 'playground-key';
const JOB_TIMEOUT_MS = 90_000;

describe('E2E: the playground page in Chromium', () => {
  let stack: LocalStack;
  let workDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** What the page logged as errors, CSP violations included: none are expected. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-playground-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulator: { latencySeconds: 2 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${stack.endpoints.apiUrl}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Submits the form as a person would, the last frame dropped onto its zone, and answers the job's id. */
  async function submitJob(prompt: string, choices: { duration: '5' | '8'; quality: string }): Promise<string> {
    const title = page.locator('#job-title');
    const before = await title.textContent();
    await page.getByLabel('First frame').setInputFiles(path.join(frames, 'first.png'));
    await dropFile(page, '#last-drop', path.join(frames, 'last.png'));
    await page.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
    await page.getByRole('combobox', { name: 'Duration' }).selectOption(choices.duration);
    await page.getByRole('combobox', { name: 'Quality' }).selectOption(choices.quality);
    await page.getByRole('spinbutton', { name: 'Seed' }).fill('4242');
    await page.getByRole('button', { name: 'Generate video' }).click();
    await expect
      .poll(
        async () => {
          const now = await title.textContent();
          return now !== before && /^Job \S+$/.test(now ?? '');
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    return String(await title.textContent()).slice('Job '.length);
  }

  it("lets the page's origin PUT to the local S3 (its CORS preflight passes)", async () => {
    // Act: what Chromium asks before the page's PUT of a frame to a presigned URL.
    const answer = await fetch(`${stack.endpoints.s3Url}/${stack.endpoints.bucket}/uploads/probe.png`, {
      method: 'OPTIONS',
      headers: {
        origin: new URL(stack.endpoints.apiUrl).origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });

    // Assert
    expect(answer.status, 'local/s3.ts must give the bucket a CORS rule for loopback origins').toBe(200);
    expect(answer.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(answer.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  it('names every control and reaches the form by keyboard; the key form works with Enter', async () => {
    // Act
    const unnamed = await unnamedControls(page);
    const order = await tabOrder(page, 12);
    await page.keyboard.press('Shift+Tab');
    await page.locator('#api-key').focus();
    await page.keyboard.type(API_KEY);
    await page.keyboard.press('Enter');

    // Assert
    expect(unnamed).toEqual([]);
    expect(order.slice(0, 11)).toEqual([
      'api-key',
      expect.any(String), // "Use key"
      'first-frame',
      'last-frame',
      'prompt',
      'duration',
      'quality',
      'seed',
      'sound',
      'submit',
      expect.any(String), // the first control after the form
    ]);
    await expect.poll(() => page.locator('#key-note').textContent()).toBe('Key in use for this tab.');
    await expect.poll(() => page.locator('#recent-note').textContent()).toBe('No jobs yet.');
    expect(await page.evaluate("sessionStorage.getItem('framebridge.apiKey')")).toBe(API_KEY);
  });

  it(
    'uploads two frames, submits, shows live progress and plays the finished video of the requested duration',
    async () => {
      // Act
      const id = await submitJob('dawn to dusk over the harbour', { duration: '5', quality: '360p' });
      await expect
        .poll(() => page.locator('#job-status').textContent(), { timeout: JOB_TIMEOUT_MS })
        .toContain('completed');
      await expect
        .poll(() => page.locator('#video').evaluate((element: VideoFacts) => element.readyState), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(2);
      const video = await page.locator('#video').evaluate((element: VideoFacts) => ({
        readyState: element.readyState,
        duration: element.duration,
        hidden: element.hidden,
        src: element.src,
      }));
      const events = await page.locator('#job-events li').allTextContents();
      const download = page.getByRole('link', { name: 'Download the MP4' });

      // Assert
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events.at(0)).toMatch(/QUEUED .* event \d+$/);
      expect(events.at(-1)).toMatch(/COMPLETED \(completed\) · event \d+$/);
      expect(video.hidden).toBe(false);
      expect(video.readyState).toBeGreaterThanOrEqual(2);
      expect(video.duration).toBeGreaterThan(4.5);
      expect(video.duration).toBeLessThan(5.5);
      expect(new URL(video.src).origin).toBe(new URL(stack.endpoints.s3Url).origin);
      expect(await download.getAttribute('href')).toBe(video.src);
      expect(await download.getAttribute('download')).toBe(`framebridge-${id}.mp4`);
      await expect.poll(() => page.getByRole('row', { name: new RegExp(id) }).textContent()).toContain('COMPLETED');
      expect(await page.locator('#job-error').textContent()).toBe('');
      expect(pageErrors).toEqual([]);

      // It really plays: time advances (muted, as autoplay without a gesture must be). Paused mid-transition,
      // it is also the picture for the docs.
      await page.locator('#video').evaluate((element: VideoFacts) => {
        element.muted = true;
        return element.play();
      });
      await expect
        .poll(() => page.locator('#video').evaluate((element: VideoFacts) => element.currentTime), { timeout: 10_000 })
        .toBeGreaterThan(2);
      await page.locator('#video').evaluate((element: VideoFacts) => {
        element.pause();
        element.muted = false;
      });
      if (SCREENSHOT) {
        await mkdir(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      }
    },
    JOB_TIMEOUT_MS + 30_000,
  );

  it(
    'shows a failed job with its error and error_code, announced',
    async () => {
      // Act
      await submitJob('a transition that fails [emulate:failed]', { duration: '5', quality: '360p' });
      await expect
        .poll(() => page.locator('#job-status').textContent(), { timeout: JOB_TIMEOUT_MS })
        .toContain('failed');

      // Assert
      const alert = await page.getByRole('alert').textContent();
      expect(alert).toContain(FAILURE_TAG_MESSAGES.failed);
      expect(alert).toContain('error_code: upstream_failed');
      expect(await page.locator('#job-status').textContent()).toContain('(upstream_failed)');
      expect(await page.locator('#video').isHidden()).toBe(true);
    },
    JOB_TIMEOUT_MS + 30_000,
  );

  it(
    'cancels a running job',
    async () => {
      // Arrange
      const id = await submitJob('a long one [emulate:slow]', { duration: '5', quality: '360p' });
      const cancel = page.getByRole('button', { name: 'Cancel this job' });
      await expect.poll(() => cancel.isVisible()).toBe(true);

      // Act
      await cancel.click();

      // Assert
      await expect.poll(() => page.locator('#job-status').textContent(), { timeout: 30_000 }).toContain('(cancelled)');
      await expect.poll(() => page.getByRole('row', { name: new RegExp(id) }).textContent()).toContain('FAILED');
      expect(await cancel.isHidden()).toBe(true);
    },
    JOB_TIMEOUT_MS,
  );

  it('is served as HTML with a CSP that pins its inline script and style', async () => {
    // Act
    const answer = await fetch(`${stack.endpoints.apiUrl}/`);
    const csp = answer.headers.get('content-security-policy') ?? '';

    // Assert
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).toContain(`connect-src 'self' ${new URL(stack.endpoints.s3Url).origin}`);
    expect(csp).toContain("default-src 'none'");
  });
});

/** The members of a `<video>` element the test reads (the project's TypeScript has no DOM library). */
interface VideoFacts {
  readyState: number;
  duration: number;
  currentTime: number;
  muted: boolean;
  hidden: boolean;
  src: string;
  play(): Promise<void>;
  pause(): void;
}

/** Drops a file onto an element as a drag and drop from the desktop would. */
async function dropFile(page: Page, selector: string, file: string): Promise<void> {
  const bytes = (await readFile(file)).toString('base64');
  const dataTransfer = await page.evaluateHandle(
    ({ base64, name }) => {
      // The browser's DataTransfer, typed for what is used here.
      const Transfer = (globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } })
        .DataTransfer;
      const transfer = new Transfer();
      const content = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      transfer.items.add(new File([content], name, { type: 'image/png' }));
      return transfer;
    },
    { base64: bytes, name: path.basename(file) },
  );
  await page.dispatchEvent(selector, 'dragover', { dataTransfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}
