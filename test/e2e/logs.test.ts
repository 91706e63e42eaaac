import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTransition } from '../../cli/runTransition';
import { type LocalStack, startLocalStack } from '../../local/stack';

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const SEGMIND_KEY_MARK = 'emulator-key';

/**
 * Secrets and presigned signatures never reach the logs, even at DEBUG and even
 * when the upstream echoes a signed URL back in its error.
 */
describe('E2E: nothing secret in the logs', () => {
  let stack: LocalStack;
  let workDir: string;
  const captured: string[] = [];
  const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  beforeAll(async () => {
    process.env.FRAMEBRIDGE_LOG_LEVEL = 'DEBUG';
    const capture = (original: typeof process.stdout.write) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        captured.push(String(chunk));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(originals.out);
    process.stderr.write = capture(originals.err);
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-logs-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: ['logs-api-key'],
      segmindApiKey: '',
      webhookSecret: 'whsec_c2VjcmV0LXRoYXQtbXVzdC1ub3QtbGVhaw==',
      emulator: {
        latencySeconds: 1,
        scenario: (request) => {
          const prompt = String(request.prompt);
          // The upstream echoes the presigned frame URL it was given in its error.
          if (prompt === 'echo') return { fail: `could not read ${String(request.first_frame_url)}` };
          if (prompt === 'rejected')
            return { submitFaults: [{ status: 400, body: { error: String(request.last_frame_url) } }] };
          if (prompt === 'html') return { videoFaults: ['html'] };
          return undefined;
        },
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    for (const prompt of ['ok', 'echo', 'rejected', 'html']) {
      await runTransition(stack, {
        first: path.join(frames, 'first.png'),
        last: path.join(frames, 'last.png'),
        prompt,
        quality: '360p',
      });
    }
    await stack.idle();
  }, 120_000);

  afterAll(async () => {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    delete process.env.FRAMEBRIDGE_LOG_LEVEL;
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it("captured the handlers' structured logs, signed URLs among them in redacted form", () => {
    const all = captured.join('');
    expect(all).toContain('"service":"framebridge"');
    expect(all).toContain('X-Amz-Signature=[redacted]');
  });

  it.each([
    ['presigned signatures', /X-Amz-Signature=(?!\[redacted\])/],
    ['presigned credentials', /X-Amz-Credential=(?!\[redacted\])/],
    ['the Segmind API key', new RegExp(SEGMIND_KEY_MARK)],
    ['the webhook secret', /c2VjcmV0LXRoYXQtbXVzdC1ub3QtbGVhaw/],
    ['the client API key', /logs-api-key/],
  ])('contain no %s', (_what, pattern) => {
    const leaks = captured.filter((line) => pattern.test(line));
    expect(leaks).toEqual([]);
  });
});
