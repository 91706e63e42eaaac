import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeLambda } from '../../../local/lambdaRuntime';

const FIXTURE = 'test/unit/local/fixtures/slowLoggingHandler.ts';

/** The JSON log lines written while `run` ran. */
async function logLinesOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(chunk.toString());
    return true;
  };
  // Powertools writes INFO to stdout and WARN and ERROR to stderr.
  const writes = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await run();
  } finally {
    for (const write of writes) write.mockRestore();
  }
  return lines
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('Local Lambda runtime', () => {
  // The fixture's logger is made when it first loads, at this level.
  beforeEach(() => vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'WARN'));
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('keeps each invocation’s Lambda context in its own logs while functions run at once in one process', async () => {
    // Act: the first starts first and logs last, after the second has started and logged
    const logs = await logLinesOf(() =>
      Promise.all([
        invokeLambda(FIXTURE, 'FirstFunction', { waitMs: 150, label: 'first' }),
        invokeLambda(FIXTURE, 'SecondFunction', { waitMs: 10, label: 'second' }),
      ]),
    );

    // Assert
    const fixtureLogs = logs.filter((line) => line.message === 'fixture logged');
    expect(fixtureLogs.map(({ label, function_name }) => ({ label, function_name }))).toEqual([
      { label: 'second', function_name: 'SecondFunction' },
      { label: 'first', function_name: 'FirstFunction' },
    ]);
    const [second, first] = fixtureLogs;
    expect(first?.function_request_id).not.toBe(second?.function_request_id);
  });
});
