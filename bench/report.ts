/**
 * The benchmark report: the measured figures, each target checked against
 * them (PASS / FAIL, never assumed), as Markdown beside the charts, and the
 * same data as JSON for anyone who wants to compare runs.
 */

import type { CopyBenchResult } from './copyBench';
import type { LambdaMeasurement } from './lambdaBench';
import type { FloorMeasurement } from './lambdaFloor';
import type { StatusBenchResult } from './statusBench';
import type { StrategyRow } from './strategyRun';

export interface BenchResults {
  startedAt: string;
  quick: boolean;
  machine: { cpus: string; cores: number; node: string; platform: string };
  wallSeconds: number;
  pollStrategies: StrategyRow[];
  status: StatusBenchResult;
  copy: CopyBenchResult;
  lambdas: LambdaMeasurement[];
  /** What each ingredient of a bundle costs on its own; absent in reports written before it was measured. */
  lambdaFloor?: FloorMeasurement[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  pass: boolean;
}

/** Where the charts are, relative to the report. */
export const CHART_FILES = {
  addedLatency: 'charts/added-latency-vs-transitions.svg',
  latencyCdf: 'charts/added-latency-cdf.svg',
  copyRss: 'charts/copy-rss-vs-size.svg',
} as const;

const fixed = (value: number, digits = 1) => value.toFixed(digits);
const usd = (value: number) => `$${value.toFixed(6)}`;
const rowOf = (rows: readonly StrategyRow[], strategy: string, budget = 'ample') =>
  rows.find((row) => row.strategy === strategy && row.budget === budget);

/** Every target of issue 10 against this run's figures; a target whose figure is missing fails. */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const learning = rowOf(results.pollStrategies, 'learning');
  const loop2 = rowOf(results.pollStrategies, 'fixed-2s');
  const loop10 = rowOf(results.pollStrategies, 'fixed-10s');
  const missing = (target: string) => checks.push({ target, measured: 'not measured', pass: false });
  if (learning) {
    checks.push(
      {
        target: 'learning plan, once it has history: added latency p50 ≤ 2 s',
        measured: `${fixed(learning.addedP50Steady)} s (all jobs: ${fixed(learning.addedP50)} s)`,
        pass: learning.addedP50Steady <= 2,
      },
      {
        target: 'learning plan, once it has history: added latency p95 ≤ 5 s',
        measured: `${fixed(learning.addedP95Steady)} s (all jobs: ${fixed(learning.addedP95)} s)`,
        pass: learning.addedP95Steady <= 5,
      },
      {
        target: 'learning plan: ≤ 12 state transitions per job',
        measured: fixed(learning.transitionsPerJob),
        pass: learning.transitionsPerJob <= 12,
      },
    );
    if (loop2) {
      checks.push({
        target: 'learning plan: fewer transitions than the 2 s loop',
        measured: `${fixed(learning.transitionsPerJob)} vs ${fixed(loop2.transitionsPerJob)}`,
        pass: learning.transitionsPerJob < loop2.transitionsPerJob,
      });
    } else missing('learning plan: fewer transitions than the 2 s loop');
    if (loop10) {
      checks.push({
        target: 'learning plan: lower latency than the 10 s loop (p50)',
        measured: `${fixed(learning.addedP50)} s vs ${fixed(loop10.addedP50)} s`,
        pass: learning.addedP50 < loop10.addedP50,
      });
    } else missing('learning plan: lower latency than the 10 s loop (p50)');
  } else missing('learning plan figures');

  checks.push({
    target: `status endpoint: p99 ≤ 50 ms with ${results.status.pollers} pollers`,
    measured: `${fixed(results.status.p99Ms)} ms`,
    pass: results.status.p99Ms <= 50,
  });

  const largest = results.copy.bySize.reduce<CopyBenchResult['bySize'][number] | undefined>(
    (best, entry) => (!best || entry.sizeMiB > best.sizeMiB ? entry : best),
    undefined,
  );
  for (const entry of results.copy.bySize) {
    checks.push({
      target: `copy ${entry.sizeMiB} MiB: throughput ≥ 0.8 × ${results.copy.baseline}`,
      measured: `${fixed(entry.throughputRatio, 2)} ×`,
      pass: entry.throughputRatio >= 0.8,
    });
  }
  if (largest?.sizeMiB === 1024) {
    checks.push({
      target: 'copy 1 GiB: peak RSS ≤ 150 MB',
      measured: `${fixed((largest.copyVideo.peakRssMiB * 2 ** 20) / 1e6)} MB`,
      pass: largest.copyVideo.peakRssMiB * 2 ** 20 <= 150e6,
    });
  } else missing('copy 1 GiB: peak RSS ≤ 150 MB (not run in a quick run)');

  for (const fn of results.lambdas) {
    checks.push({
      target: `${fn.function}: bundle ≤ 300 KiB, init ≤ 60 ms`,
      measured: `${fixed(fn.bytes / 1024)} KiB, ${fixed(fn.initMsMedian)} ms`,
      pass: fn.meetsSizeTarget && fn.meetsInitTarget,
    });
  }
  return checks;
}

function strategyTable(rows: readonly StrategyRow[]): string[] {
  const lines = [
    '| strategy | budget (rpm) | jobs done | added p50 / p95 (s) | … with history (s) | transitions / job | Lambda invocations / job | upstream status calls / job | cost / job |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.strategy} | ${row.budget} (${row.requestsPerMinute}) | ${row.completed} / ${row.jobs} | ${fixed(row.addedP50)} / ${fixed(row.addedP95)} | ${fixed(row.addedP50Steady)} / ${fixed(row.addedP95Steady)} | ${fixed(row.transitionsPerJob)} | ${fixed(row.invocationsPerJob)} | ${fixed(row.statusCallsPerJob)} | ${usd(row.costPerJobUsd)} |`,
    );
  }
  return lines;
}

function copyTable(copy: CopyBenchResult): string[] {
  const lines = ['| size | tool | throughput (MB/s) | peak RSS (MiB) | CPU (s) |', '|---|---|---|---|---|'];
  for (const m of copy.measurements) {
    lines.push(
      `| ${m.sizeMiB} MiB | ${m.tool} | ${fixed(m.throughputMBps)} | ${fixed(m.peakRssMiB)} | ${fixed(m.cpuSeconds, 2)} |`,
    );
  }
  return lines;
}

function lambdaTable(lambdas: readonly LambdaMeasurement[]): string[] {
  const lines = ['| function | bundle (KiB) | module init, median (ms) |', '|---|---|---|'];
  for (const fn of [...lambdas].sort((a, b) => b.bytes - a.bytes)) {
    lines.push(`| ${fn.function} | ${fixed(fn.bytes / 1024)} | ${fixed(fn.initMsMedian)} |`);
  }
  return lines;
}

/** The floor under the Lambda targets: each ingredient alone, built and imported as a function is. */
function floorSection(floor: readonly FloorMeasurement[] | undefined): string[] {
  if (!floor?.length) return [];
  return [
    '### What a bundle stands on',
    '',
    'Each ingredient alone, in a module that only imports it and builds what our handlers build at init (a client, a schema, a logger), bundled with the same esbuild options as the CDK bundling and imported the same way. "SDK unbundled" loads the same client from `node_modules` at run time, as a function using the Lambda runtime\'s own SDK would.',
    '',
    '| ingredient | bundle (KiB) | module init, median (ms) |',
    '|---|---|---|',
    ...floor.map((row) => `| ${row.ingredient} | ${fixed(row.bytes / 1024)} | ${fixed(row.initMsMedian)} |`),
    '',
  ];
}

/** The report as Markdown: targets first, then each measurement with its chart. */
export function renderReport(results: BenchResults, checks: readonly TargetCheck[]): string {
  const { machine } = results;
  const passed = checks.filter((check) => check.pass).length;
  return [
    '# framebridge benchmark report',
    '',
    `${results.quick ? 'A **quick** run' : 'A full run'} of \`npm run bench${results.quick ? ' -- --quick' : ''}\`, started ${results.startedAt}, ` +
      `took ${Math.round(results.wallSeconds)} s on ${machine.cores} × ${machine.cpus}, Node ${machine.node} (${machine.platform}). ` +
      'Everything runs on the local stack: the real handlers, the synthesized state machine on aws-local-stepfunctions, dynalite, s3rver and the Segmind emulator. Reproduce with `npm run bench` (full, ~15 min) or `npm run bench -- --quick` (≤ 3 min); the JSON beside this file holds every figure.',
    '',
    `## Targets: ${passed} of ${checks.length} met`,
    '',
    '| target | measured | |',
    '|---|---|---|',
    ...checks.map((check) => `| ${check.target} | ${check.measured} | ${check.pass ? 'PASS' : 'FAIL'} |`),
    '',
    '## Poll strategies, side by side',
    '',
    'Each strategy ran in its own local stack, at the same time, against an emulator whose latency is drawn per job from a lognormal distribution ' +
      `(median ${fixed(results.pollStrategies[0]?.upstreamLatencyP50 ?? 0)} s drawn in this run). ` +
      '*Added latency* runs from the upstream finishing the job to our job being COMPLETED with its video in S3. ' +
      'Transitions are states entered plus retries (what Standard workflows bill); cost per job is at us-east-1 arm64 list prices from the measured counts and durations ' +
      '(transitions $0.025 / 1,000, Lambda $0.20 / 1M requests + $0.0000133334 / GB-s; API Gateway, DynamoDB, S3 and EventBridge left out: about the same for every strategy). ' +
      '"With history" counts the jobs that arrived once the learning plan could have four finished jobs to learn from (the first ones use the static plan).',
    '',
    ...strategyTable(results.pollStrategies),
    '',
    `![Added latency against transitions](${CHART_FILES.addedLatency})`,
    '',
    `![Added latency CDFs](${CHART_FILES.latencyCdf})`,
    '',
    '## Status endpoint',
    '',
    `${results.status.pollers} concurrent pollers on keep-alive connections, each polling every ${results.status.intervalMs} ms for ${fixed(results.status.durationMs / 1000)} s: ` +
      `${results.status.requests} answers (${fixed(results.status.requestsPerSecond)} /s), p50 ${fixed(results.status.p50Ms)} ms, p90 ${fixed(results.status.p90Ms)} ms, p99 ${fixed(results.status.p99Ms)} ms, max ${fixed(results.status.maxMs)} ms; ${results.status.errors} errors.`,
    '',
    '## Copy to S3',
    '',
    `The real copy step (\`copyVideo\`) from a local HTTP server into s3rver, beside \`${results.copy.baseline}\` from a local file into the same S3, each in its own process (peak RSS is the process's high-water mark).`,
    '',
    ...copyTable(results.copy),
    '',
    `![Copy peak RSS against size](${CHART_FILES.copyRss})`,
    '',
    '## Lambda bundles',
    '',
    'Each function as the CDK bundling builds it (`cdk synth` with bundling), and the import of that bundle in a fresh Node process with its environment.',
    '',
    ...lambdaTable(results.lambdas),
    '',
    ...floorSection(results.lambdaFloor),
    ...(results.status.notes.length + results.copy.notes.length > 0
      ? ['## Notes', '', ...[...results.status.notes, ...results.copy.notes].map((note) => `- ${note}`), '']
      : []),
  ].join('\n');
}
