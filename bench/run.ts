/**
 * `npm run bench`: measures, on this machine, the poll strategies side by
 * side, the status endpoint under 200 pollers, the copy against a baseline and
 * the Lambda bundles as CDK builds them; writes `bench/report.md`,
 * `bench/report.json` and the charts, and prints which targets were met.
 *
 *   npm run bench                 # full: ~15 min
 *   npm run bench -- --quick      # ≤ 3 min, smaller workloads (no 1 GiB copy)
 *   npm run bench -- --out DIR    # write the report elsewhere
 *
 * The parts run one after another: each is timed, and two at once would share
 * the two cores and measure each other.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addedLatencyVsTransitions, copyRssVsSize, latencyCdf } from './charts';
import { runCopyBench } from './copyBench';
import { runLambdaBench } from './lambdaBench';
import { runLambdaFloor } from './lambdaFloor';
import { runPollStrategies } from './pollStrategies';
import { type BenchResults, CHART_FILES, checkTargets, renderReport } from './report';
import { runStatusBench } from './statusBench';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.FRAMEBRIDGE_LOG_LEVEL ??= 'ERROR';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const quick = values.quick ?? false;
const outDir = path.resolve(values.out ?? path.dirname(fileURLToPath(import.meta.url)));

async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  const result = await run();
  process.stderr.write(`bench: ${name} done in ${Math.round((performance.now() - started) / 1000)} s\n`);
  return result;
}

const startedAt = new Date().toISOString();
const started = performance.now();
const pollStrategies = await timed('poll strategies', () => runPollStrategies({ quick }));
const status = await timed('status endpoint', () =>
  runStatusBench(quick ? { pollers: 200, durationMs: 5_000 } : { pollers: 200, durationMs: 30_000 }),
);
// Five runs a size: both tools write through s3rver to this machine's disk, and
// the median of three moved by a fifth from one full run to the next.
const copy = await timed('copy', () =>
  runCopyBench(quick ? { sizes: [16, 256], repeats: 1 } : { sizes: [16, 256, 1024], repeats: 5 }),
);
const lambdas = await timed('lambda bundles', () => runLambdaBench({ samples: quick ? 5 : 10 }));
const lambdaFloor = await timed('lambda floor', () => runLambdaFloor({ samples: quick ? 5 : 10 }));

const results: BenchResults = {
  startedAt,
  quick,
  machine: {
    cpus: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    node: process.version,
    platform: platform(),
  },
  wallSeconds: (performance.now() - started) / 1000,
  pollStrategies,
  status,
  copy,
  lambdas,
  lambdaFloor,
};
const checks = checkTargets(results);

const charts = {
  [CHART_FILES.addedLatency]: await addedLatencyVsTransitions(
    pollStrategies.map(({ strategy, budget, addedP50, addedP95, transitionsPerJob }) => ({
      strategy,
      budget,
      addedP50,
      addedP95,
      transitionsPerJob,
    })),
  ),
  [CHART_FILES.latencyCdf]: await latencyCdf(
    pollStrategies.map((row) => ({
      strategy: row.strategy,
      budget: row.budget,
      addedSeconds: row.addedSeconds.filter((seconds): seconds is number => seconds !== null),
    })),
  ),
  [CHART_FILES.copyRss]: await copyRssVsSize(
    copy.measurements.map((m) => ({ tool: m.tool, sizeMiB: m.sizeMiB, peakRssMiB: m.peakRssMiB })),
  ),
};

await mkdir(path.join(outDir, 'charts'), { recursive: true });
for (const [file, svg] of Object.entries(charts)) await writeFile(path.join(outDir, file), svg);
await writeFile(path.join(outDir, 'report.json'), `${JSON.stringify({ ...results, targets: checks }, null, 2)}\n`);
await writeFile(path.join(outDir, 'report.md'), `${renderReport(results, checks)}\n`);

console.log(`\nTargets (${path.join(outDir, 'report.md')}):`);
for (const check of checks) console.log(`  ${check.pass ? 'PASS' : 'FAIL'}  ${check.target}: ${check.measured}`);
