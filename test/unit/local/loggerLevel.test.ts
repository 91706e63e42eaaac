import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const fixture = path.join(import.meta.dirname, 'fixtures', 'loggerLevelAfterImports.ts');

/** The level the shared logger has when the handlers' level is set after importing `modules`. */
async function levelAfterImporting(modules: string[]) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', fixture, ...modules.map((module) => path.join(root, module))],
    { cwd: root, env: { ...process.env, POWERTOOLS_LOG_LEVEL: '' } },
  );
  return stdout.trim();
}

/**
 * Handlers build the shared logger as they load, from POWERTOOLS_LOG_LEVEL, which the
 * local stack sets when it starts (Lambda sets it before init). A tool that imports
 * handler code before the stack starts would log at the default level instead.
 */
describe("the handlers' log level", () => {
  it('is still to be read after importing the local stack, the CLI and the benchmarks', async () => {
    const level = await levelAfterImporting([
      'local/stack.ts',
      'cli/runTransition.ts',
      'bench/loadRun.ts',
      'bench/strategyRun.ts',
      'bench/statusBench.ts',
      'bench/pollStrategies.ts',
    ]);
    expect(level).toBe('CRITICAL');
  });

  it('would be the default had an import built the logger (the check can fail)', async () => {
    expect(await levelAfterImporting(['lambdas/adapters/upstreamAdmission.ts'])).toBe('INFO');
  });
});
