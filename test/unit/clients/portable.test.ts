import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..', '..', '..');

/**
 * The client must run in browsers and on Node ≥ 20 with nothing but fetch: a
 * platform-neutral bundle (where any `node:` import fails the build) must
 * hold no zod and no Node global, and run in plain Node without tsx.
 */
describe('Client: runs anywhere fetch does', () => {
  let workDir: string;
  let bundle: string;
  let code: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-client-'));
    bundle = path.join(workDir, 'client.mjs');
    const result = await build({
      entryPoints: [path.join(repo, 'clients', 'index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    code = result.outputFiles[0]?.text ?? '';
    await writeFile(bundle, code);
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('bundles for a neutral platform with no zod, no Node module and no Node global, and stays small', () => {
    expect(code).not.toMatch(/zod|node:/);
    expect(code).not.toMatch(/\b(Buffer|process|require|__dirname)\b/);
    expect(code.length).toBeLessThan(20_000);
  });

  it('type-checks against the browser’s DOM types, without Node’s', async () => {
    const config = path.join(workDir, 'tsconfig.json');
    await writeFile(
      config,
      JSON.stringify({
        extends: path.join(repo, 'tsconfig.json'),
        compilerOptions: { lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [] },
        include: [path.join(repo, 'clients')],
      }),
    );

    const output = await run(
      process.execPath,
      [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config, '--listFiles'],
      {
        cwd: repo,
      },
    ).then(
      ({ stdout }) => stdout,
      (error: { stdout: string }) => error.stdout,
    );

    expect(output).toContain(path.join(repo, 'clients', 'sse.ts'));
    // The server's files the client takes its types from need Node's types; the client's own may not.
    expect(output.split('\n').filter((line) => line.startsWith('clients/'))).toEqual([]);
  }, 60_000);

  it('runs in plain Node from the bundle', async () => {
    const script = `
      import { Framebridge, NotFoundError } from ${JSON.stringify(`file://${bundle}`)};
      const fetch = async (url) => new Response(JSON.stringify({ error: 'No such request', error_code: 'not_found', details: [] }), { status: 404 });
      const fb = new Framebridge({ baseUrl: 'http://api.test', apiKey: 'k', fetch });
      const error = await fb.transitions.status('nope').catch((caught) => caught);
      console.log(error instanceof NotFoundError, error.code, error.message);
    `;

    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);

    expect(stdout.trim()).toBe('true not_found No such request');
  });
});
