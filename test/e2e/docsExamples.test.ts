import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack';
import {
  brokenLink,
  documentationFiles,
  EXAMPLE_LANGUAGES,
  exampleFiles,
  type FencedBlock,
  fencedBlocks,
  markdownLinks,
} from './docsMarkdown';

/*
 * The documentation's promise: every example in README.md and docs/*.md runs.
 * A fenced block in a runnable language is byte for byte a file under examples/,
 * and each such file is run here against one local stack, with only
 * FRAMEBRIDGE_DATA_DIR pointing at it (the examples read endpoints.json there,
 * as after `npm run dev`). Each must exit 0 and write nothing outside the temp
 * directory it makes. Blocks in other languages (console, text, json…) and
 * blocks flagged `norun` are not run; the test says how many.
 */

const repo = path.resolve(import.meta.dirname, '..', '..');
const README_MAX_LINES = 300;
const EXAMPLE_TIMEOUT_MS = 180_000;
const examples = await exampleFiles(repo);

/** What each example's output must show beyond exiting 0: the example did what its doc says. */
const EXPECTED_OUTPUT: Record<string, RegExp> = {
  'examples/cdk/embed.ts': /MediaPlatform: \d+ resources/,
  'examples/cdk/failure-alerts.ts': /TransitionFailures: template in/,
  'examples/cdk/from-state-machine.ts': /Orchestration: 5 state machines/,
  'examples/cli/keys.sh': /old key → HTTP 403\nnew key → HTTP 200/,
  'examples/cli/logs.sh': /upstream_failed/,
  'examples/client/errors.ts': /400 invalid_request[\s\S]*404 not_found[\s\S]*job failed: upstream_failed/,
  'examples/client/jobs.ts': /event \d+: COMPLETED completed[\s\S]*cancelled FAILED cancelled/,
  'examples/client/run.ts': /COMPLETED completed[\s\S]*wrote .*transition\.mp4/,
  'examples/curl/cancel.sh': /"error_code": "cancelled"[\s\S]*cancel again → HTTP 409/,
  'examples/curl/events.sh': /event: status[\s\S]*"status":"COMPLETED"/,
  'examples/curl/failure.sh': /"error_code": "upstream_failed"[\s\S]*HTTP 422/,
  'examples/curl/idempotency.sh': /202[\s\S]*idempotent-replayed: true[\s\S]*409/,
  'examples/curl/list.sh': /"page":"1","ids":\[/,
  'examples/curl/openapi.sh':
    /"\/v2\/requests\/\{id\}\/events"[\s\S]*"\/v1\/pixverse-5-transition"|"\/v1\/pixverse-5-transition"[\s\S]*"\/v2\/requests\/\{id\}\/events"/,
  'examples/curl/sync.sh': /x-request-id: \S+[\s\S]*wrote .*transition\.mp4/i,
  'examples/curl/transition.sh': /"status":"COMPLETED"[\s\S]*wrote .*transition\.mp4/,
  'examples/curl/upload-refused.sh': /short file → HTTP 403\nwhole file → HTTP 200/,
  'examples/curl/upload.sh': /^s3:\/\/framebridge-local\/uploads\//,
  'examples/fetch/upload.ts': /^202 /,
  'examples/intake/s3-intake.ts': /status: 'COMPLETED'[\s\S]*wrote .*\.mp4/,
  'examples/python/transition.py': /COMPLETED completed\nwrote .*transition\.mp4/,
  'examples/python/upload.py': /^s3:\/\/framebridge-local\/uploads\//,
  'examples/python/webhook_receiver.py': /^transition\.completed /,
  'examples/webhooks/receiver.ts': /^transition\.completed /,
};

/** Top-level entries of the data directory the stack itself writes while examples run. */
const STACK_DATA_ENTRIES = new Set(['endpoints.json', 'events.jsonl', 's3', 'emulator']);
/** Repository-root entries other test files may create while an example runs (the suite runs files in parallel). */
const OTHER_TESTS_ROOT_ENTRY = /^(\.vitest-|coverage$|cdk\.out$)/;
/** Entries an example may leave in TMPDIR: its own `framebridge-…` directory, and tsx's compile cache. */
const ALLOWED_TEMP_ENTRY = /^(framebridge-|tsx-)/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runExample(file: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const absolute = path.join(repo, file);
  const [command, args] = file.endsWith('.sh')
    ? ['bash', [absolute]]
    : file.endsWith('.py')
      ? ['python3', [absolute]]
      : [path.join(repo, 'node_modules', '.bin', 'tsx'), [absolute]];
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: EXAMPLE_TIMEOUT_MS - 10_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A fresh shell's environment: none of the AWS, framebridge or Segmind settings
 * the local stack put into this process, no AWS config files, and Python free
 * to write its bytecode caches (so that a stray __pycache__ is caught).
 */
function exampleEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(
    ([name]) => !/^(AWS_|FRAMEBRIDGE_|SEGMIND_|POWERTOOLS_|PYTHONDONTWRITEBYTECODE$|CDK_)/.test(name),
  );
  return {
    ...Object.fromEntries(kept),
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // The CDK examples synthesize without bundling the functions (minutes of esbuild otherwise).
    CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
    ...extra,
  };
}

/** Every file under a directory with its size and modification time, to see what changed. */
async function treeSnapshot(dir: string): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file);
    snapshot.set(path.relative(dir, file), entry.isDirectory() ? 'dir' : `${info.size}:${info.mtimeMs}`);
  }
  return snapshot;
}

const changedEntries = (before: Map<string, string>, after: Map<string, string>): string[] =>
  [...after].filter(([name, fact]) => before.get(name) !== fact).map(([name]) => name);

/** Whether a command is on the PATH. */
const hasCommand = (command: string): Promise<boolean> =>
  new Promise((resolve) => execFile('sh', ['-c', `command -v ${command}`], (error) => resolve(!error)));

/** The tools an example needs beyond Node. */
function toolsOf(file: string, source: string): string[] {
  if (file.endsWith('.py')) return ['python3'];
  if (!file.endsWith('.sh')) return [];
  return ['curl', 'jq'].filter((tool) => new RegExp(`\\b${tool}\\b`).test(source));
}

describe('Docs: README.md and docs/*.md', () => {
  let docs: string[];
  let blocks: FencedBlock[];

  beforeAll(async () => {
    docs = await documentationFiles(repo);
    blocks = [];
    for (const file of docs) blocks.push(...fencedBlocks(file, await readFile(path.join(repo, file), 'utf8')));
  });

  it(`keeps the README within ${README_MAX_LINES} lines`, async () => {
    const readme = await readFile(path.join(repo, 'README.md'), 'utf8');

    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('has no intra-repository link that does not resolve (files and heading anchors)', async () => {
    const broken: string[] = [];
    for (const file of docs) {
      for (const link of markdownLinks(file, await readFile(path.join(repo, file), 'utf8'))) {
        const why = await brokenLink(repo, link);
        if (why) broken.push(`${link.file}:${link.line} ${why}`);
      }
    }

    expect(broken).toEqual([]);
  });

  it('shows every runnable block as a file under examples/, byte for byte (or flags it norun)', async () => {
    const examples = await exampleFiles(repo);
    const contents = new Map<string, string>();
    for (const file of examples) contents.set(await readFile(path.join(repo, file), 'utf8'), file);

    const strays = blocks
      .filter((block) => block.language in EXAMPLE_LANGUAGES && !block.flags.includes('norun'))
      .filter((block) => !contents.has(block.text))
      .map((block) => `${block.file}:${block.line} (${block.language}) is not the content of any file under examples/`);

    expect(strays).toEqual([]);
  });

  it('documents every example: each file under examples/ is shown or named in README.md or docs/', async () => {
    const shown = new Set(blocks.map((block) => block.text));
    let allDocs = '';
    for (const file of docs) allDocs += await readFile(path.join(repo, file), 'utf8');
    const undocumented: string[] = [];
    for (const file of await exampleFiles(repo)) {
      const source = await readFile(path.join(repo, file), 'utf8');
      if (!shown.has(source) && !allDocs.includes(file)) undocumented.push(file);
    }

    expect(undocumented).toEqual([]);
  });

  it('has no example that names /tmp or .framebridge itself: TMPDIR and FRAMEBRIDGE_DATA_DIR decide', async () => {
    const offenders: string[] = [];
    for (const file of await exampleFiles(repo)) {
      const source = await readFile(path.join(repo, file), 'utf8');
      // Allowed: mktemp's fallback when TMPDIR is unset, and the data dir's default beside FRAMEBRIDGE_DATA_DIR.
      const stray = source
        .split('\n')
        .filter((line) => line.replace(/\$\{TMPDIR:-\/tmp\}/g, '').includes('/tmp'))
        .concat(
          source.split('\n').filter((line) => line.includes('.framebridge') && !line.includes('FRAMEBRIDGE_DATA_DIR')),
        );
      offenders.push(...stray.map((line) => `${file}: ${line.trim()}`));
    }

    expect(offenders).toEqual([]);
  });

  it('says which blocks are not run', () => {
    const unrun = blocks.filter((block) => !(block.language in EXAMPLE_LANGUAGES) || block.flags.includes('norun'));
    const flagged = unrun.filter((block) => block.flags.includes('norun'));
    const byLanguage = new Map<string, number>();
    for (const block of unrun) byLanguage.set(block.language || '(none)', (byLanguage.get(block.language) ?? 0) + 1);
    const run = blocks.length - unrun.length;

    process.stdout.write(
      `docs: ${blocks.length} fenced blocks, ${run} examples run (as files under examples/), ${unrun.length} not run: ` +
        `${[...byLanguage].map(([language, count]) => `${language} ${count}`).join(', ')}; ` +
        `flagged norun: ${flagged.map((block) => `${block.file}:${block.line}`).join(', ') || 'none'}\n`,
    );
    // A norun code block is an exception the doc explains, not a way to skip examples.
    expect(flagged.length).toBeLessThanOrEqual(3);
    expect(run).toBeGreaterThan(0);
  });
});

describe('E2E: every example runs against the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let dataDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-docs-'));
    dataDir = path.join(workDir, 'data');
    stack = await startLocalStack({
      port: 0,
      dataDir,
      apiKeys: ['local-dev-key'],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
  });

  afterAll(async () => {
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('has an expected output for every example, and an example for every expected output', () => {
    expect(Object.keys(EXPECTED_OUTPUT).sort()).toEqual(examples);
  });

  it('type-checks the TypeScript examples (examples/tsconfig.json)', async () => {
    const run = await new Promise<Run>((resolve) =>
      execFile(
        path.join(repo, 'node_modules', '.bin', 'tsc'),
        ['-p', path.join(repo, 'examples', 'tsconfig.json')],
        { cwd: repo, timeout: 120_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      ),
    );

    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.code).toBe(0);
  }, 120_000);

  it.for(examples)(
    '%s exits 0 and writes only into its own temp directory',
    { timeout: EXAMPLE_TIMEOUT_MS },
    async (file) => {
      // Arrange
      const source = await readFile(path.join(repo, file), 'utf8');
      for (const tool of toolsOf(file, source)) {
        if (await hasCommand(tool)) continue;
        // Never skipped: .ci/run installs the tools, and the README names them.
        throw new Error(`${file} needs ${tool}, which this machine lacks (apt-get install -y ${tool})`);
      }
      const name = file.replace(/[^A-Za-z0-9]+/g, '-');
      const cwd = path.join(workDir, 'cwd', name);
      const temp = path.join(workDir, 'tmp', name);
      await mkdir(cwd, { recursive: true });
      await mkdir(temp, { recursive: true });
      const endpointsBefore = await readFile(path.join(dataDir, 'endpoints.json'), 'utf8');
      const dataBefore = new Set(await readdir(dataDir));
      const repoBefore = new Set(await readdir(repo));
      const examplesBefore = await treeSnapshot(path.join(repo, 'examples'));

      // Act
      const run = await runExample(file, cwd, exampleEnv({ FRAMEBRIDGE_DATA_DIR: dataDir, TMPDIR: temp }));

      // Assert
      const output = `${run.stdout}\n--- stderr ---\n${run.stderr}`;
      expect(run.code, output).toBe(0);
      expect(run.stdout, output).toMatch(EXPECTED_OUTPUT[file] ?? /$^/);
      expect(await readdir(cwd), 'files written into the working directory').toEqual([]);
      expect(
        (await readdir(temp)).filter((entry) => !ALLOWED_TEMP_ENTRY.test(entry)),
        'files in TMPDIR outside a framebridge-… directory',
      ).toEqual([]);
      expect(await readFile(path.join(dataDir, 'endpoints.json'), 'utf8')).toBe(endpointsBefore);
      expect(
        (await readdir(dataDir)).filter((entry) => !dataBefore.has(entry) && !STACK_DATA_ENTRIES.has(entry)),
        'files written into FRAMEBRIDGE_DATA_DIR',
      ).toEqual([]);
      expect(
        (await readdir(repo)).filter((entry) => !repoBefore.has(entry) && !OTHER_TESTS_ROOT_ENTRY.test(entry)),
        'files written into the repository root',
      ).toEqual([]);
      expect(
        changedEntries(examplesBefore, await treeSnapshot(path.join(repo, 'examples'))),
        'files written under examples/',
      ).toEqual([]);
    },
  );
});
