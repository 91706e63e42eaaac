/**
 * Poll strategies side by side (issue 10): the learning plan, the static plan,
 * fixed 2 s, 1 s and 10 s loops, and the learning plan again under a tight
 * upstream budget — each on its own local stack in its own child process
 * (`strategyRun.ts`), all at once, all given the same jobs: the same
 * per-job upstream latencies (lognormal around a median) and arrival times.
 *
 *   npx tsx bench/pollStrategies.ts [--quick]                   prints the rows as JSON
 *   npx tsx bench/pollStrategies.ts --only learning/ample       one strategy alone (while tuning a plan)
 *
 * Full: 30 jobs at 540p, one every 8 s, upstream median 77 s (sigma 0.12):
 * about 6 min. Quick: 13 jobs at 360p, upstream median 12 s: about 2 min. A
 * strategy that does not learn cannot know the upstream is faster than its
 * guess (77 s × the quality's factor), so in quick mode the static plan shows
 * what a wrong guess costs. The learning plan needs a few finished jobs
 * before it plans from history: quick mode sends a warm-up wave first and the
 * rest once the warm-up is done (the strategies that do not learn get the same
 * jobs without that pause: when a job arrives changes nothing for them under
 * an ample budget). The full run's first jobs are its warm-up. `addedP50Steady`
 * and `addedP95Steady` count the jobs that arrive once the learning plan can
 * have its history.
 *
 * The children warm up (stack started, handler modules loaded, the emulator's
 * one render done) and then start their jobs together, so that the strategies
 * share the two cores only while they are measured.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { MIN_OBSERVATIONS } from '../lambdas/core/latencyStats';
import { defaultPollSettings, firstWaitSeconds } from '../lambdas/core/pollPlan';
import { latencySampler } from '../local/emulator/latency';
import {
  type Budget,
  READY,
  type Strategy,
  type StrategyRow,
  type StrategyRunConfig,
  strategyRunConfigSchema,
} from './strategyRun';

export type { StrategyRow } from './strategyRun';

export interface PollWorkload {
  jobs: number;
  quality: '360p' | '540p';
  duration: 5;
  upstreamMedianSeconds: number;
  upstreamSigma: number;
  /** Per job, the upstream latency every strategy's emulator gives it. */
  latencySeconds: number[];
  /** Arrivals for a strategy that learns (with the warm-up pause, if any). */
  learningArrivalSeconds: number[];
  /** Arrivals for the others: the same order and spacing, without the pause. */
  arrivalSeconds: number[];
  /** The first job to arrive once the learning plan can have history: enough jobs done under the static plan. */
  steadyFromIndex: number;
  ampleBudget: { requestsPerMinute: number; concurrency: number };
  /**
   * 3 upstream requests (submit, status, result: the least a job needs) per
   * job per minute of arrivals, at the busiest wave's rate: enough for every
   * job, not for extra polls.
   */
  tightBudget: { requestsPerMinute: number; concurrency: number };
}

const REQUESTS_PER_JOB = 3;
const AMPLE = { requestsPerMinute: 6000, concurrency: 100 };
const SEED = 20_251_205;

/** A warm-up wave `warmupSpacing` s apart, a pause of `pause` s, then the rest `spacing` s apart. */
function arrivals(jobs: number, warmup: number, warmupSpacing: number, pause: number, spacing: number): number[] {
  const mainStart = warmup > 0 ? (warmup - 1) * warmupSpacing + pause + spacing : 0;
  return Array.from({ length: jobs }, (_, index) =>
    index < warmup ? index * warmupSpacing : mainStart + (index - warmup) * spacing,
  );
}

/** Seconds after its submit when the static plan sees a job done that finished before its first poll; a few more for the copy. */
const staticDoneSeconds = (request: { quality: '360p' | '540p'; duration: 5 }) =>
  firstWaitSeconds(request, defaultPollSettings) + 5;

export function pollWorkload(quick: boolean): PollWorkload {
  const shape = quick
    ? { quality: '360p', jobs: 13, median: 12, sigma: 0.12, warmup: 5, warmupSpacing: 1, spacing: 2 }
    : { quality: '540p', jobs: 30, median: 77, sigma: 0.12, warmup: 0, warmupSpacing: 0, spacing: 8 };
  const request = { quality: shape.quality as '360p' | '540p', duration: 5 } as const;
  const draw = latencySampler({ median: shape.median, sigma: shape.sigma, seed: SEED }, shape.median);
  const latencySeconds = Array.from({ length: shape.jobs }, () => Math.round(draw({})) / 1000);
  const pause = shape.warmup > 0 ? staticDoneSeconds(request) : 0;
  const learningArrivalSeconds = arrivals(shape.jobs, shape.warmup, shape.warmupSpacing, pause, shape.spacing);
  const arrivalSeconds = arrivals(shape.jobs, shape.warmup, shape.warmupSpacing, 0, shape.spacing);
  // Once MIN_OBSERVATIONS jobs are done, even if they were only seen done at the static plan's first poll.
  const historyAt = (learningArrivalSeconds[MIN_OBSERVATIONS - 1] ?? 0) + staticDoneSeconds(request);
  const steady = learningArrivalSeconds.findIndex((arrival) => arrival >= historyAt);
  const mainWave = shape.jobs - shape.warmup;
  const mainSpanMinutes = (mainWave * shape.spacing) / 60;
  return {
    jobs: shape.jobs,
    ...request,
    upstreamMedianSeconds: shape.median,
    upstreamSigma: shape.sigma,
    latencySeconds,
    learningArrivalSeconds,
    arrivalSeconds,
    steadyFromIndex: steady === -1 ? shape.jobs : steady,
    ampleBudget: AMPLE,
    tightBudget: {
      requestsPerMinute: Math.ceil((REQUESTS_PER_JOB * mainWave) / mainSpanMinutes),
      concurrency: AMPLE.concurrency,
    },
  };
}

const RUNS: { strategy: Strategy; budget: Budget }[] = [
  { strategy: 'learning', budget: 'ample' },
  { strategy: 'static', budget: 'ample' },
  { strategy: 'fixed-2s', budget: 'ample' },
  { strategy: 'fixed-1s', budget: 'ample' },
  { strategy: 'fixed-10s', budget: 'ample' },
  { strategy: 'learning', budget: 'tight' },
];

function configFor(
  run: { strategy: Strategy; budget: Budget },
  workload: PollWorkload,
  dataDir: string,
): StrategyRunConfig {
  const arrivalSeconds = run.strategy === 'learning' ? workload.learningArrivalSeconds : workload.arrivalSeconds;
  const budget = run.budget === 'tight' ? workload.tightBudget : workload.ampleBudget;
  // Generous: the last arrival, the slowest job twice over, the static plan's late polls, a minute's slack.
  const timeoutSeconds = (arrivalSeconds.at(-1) ?? 0) + 2 * Math.max(...workload.latencySeconds) + 180;
  return strategyRunConfigSchema.parse({
    ...run,
    ...budget,
    arrivalSeconds,
    latencySeconds: workload.latencySeconds,
    quality: workload.quality,
    duration: workload.duration,
    steadyFromIndex: workload.steadyFromIndex,
    timeoutSeconds,
    dataDir,
  });
}

/** Variables that would change what a child measures, or point it at the real Segmind. */
const NOT_INHERITED = /^(SEGMIND_|FRAMEBRIDGE_(POLL|UPSTREAM|EMULATOR|PORT|DATA_DIR|API_KEYS|MAX_))/;

function childEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_INHERITED.test(name)));
  return { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

const runner = path.join(import.meta.dirname, 'strategyRun.ts');
const repoRoot = path.resolve(import.meta.dirname, '..');

/** A strategy's child process: ready once warm, started by `go()`, its row at the end. */
function startChild(config: StrategyRunConfig) {
  const label = `${config.strategy}/${config.budget}`;
  const child = spawn(process.execPath, ['--import', 'tsx', runner, JSON.stringify(config)], {
    cwd: repoRoot,
    env: childEnvironment(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A child that failed before its go has closed its stdin.
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === READY) markReady();
    else lines.push(line);
  });
  // The last resort: the child gives up on its jobs by itself at its timeout.
  const killer = setTimeout(() => child.kill('SIGKILL'), (config.timeoutSeconds + 300) * 1000);
  const row = new Promise<StrategyRow>((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      const line = lines.at(-1);
      if (code !== 0 || !line) reject(new Error(`poll strategy ${label} exited with ${code}:\n${stderr}`));
      else {
        process.stderr.write(`poll strategies: ${label} done (${process.uptime().toFixed(0)} s)\n`);
        resolve(JSON.parse(line) as StrategyRow);
      }
    });
  });
  return {
    config,
    /** Resolves once warm; rejects with the child's error if it ends before. */
    ready: Promise.race([ready, row.then(() => undefined)]),
    go: () => child.stdin.end('go\n'),
    row,
  };
}

/** Starts children and, once every one of them is warm (or has failed), their jobs together. */
async function startTogether(configs: StrategyRunConfig[]): Promise<ReturnType<typeof startChild>[]> {
  const children = configs.map(startChild);
  await Promise.allSettled(children.map((child) => child.ready));
  process.stderr.write(`poll strategies: ${configs.length} warm, started (${process.uptime().toFixed(0)} s)\n`);
  for (const child of children) child.go();
  return children;
}

/**
 * Every strategy, each in its own process and temporary directory (removed
 * afterwards), all running at once. A warm-up is CPU-bound and would skew
 * strategies measured beside it. The plans' runs take longest (their jobs
 * wait for the expected latency; quick mode gives the learning plan a warm-up
 * wave), so they start first; the fixed loops, short runs where every poll
 * counts, start together once those are warm, while the plans mostly wait.
 */
export async function runPollStrategies({
  quick = false,
  only,
}: {
  quick?: boolean;
  only?: string;
} = {}): Promise<StrategyRow[]> {
  const workload = pollWorkload(quick);
  const runs = only === undefined ? RUNS : RUNS.filter((run) => `${run.strategy}/${run.budget}` === only);
  if (runs.length === 0) {
    throw new Error(
      `--only ${only}: no such run; one of ${RUNS.map((run) => `${run.strategy}/${run.budget}`).join(', ')}`,
    );
  }
  const dataDirs = await Promise.all(
    runs.map((run) => mkdtemp(path.join(tmpdir(), `framebridge-poll-${run.strategy}-${run.budget}-`))),
  );
  try {
    const configs = runs.map((run, index) => configFor(run, workload, dataDirs[index] ?? ''));
    const isPlan = (config: StrategyRunConfig) => !config.strategy.startsWith('fixed-');
    const plans = await startTogether(configs.filter(isPlan));
    const loops = await startTogether(configs.filter((config) => !isPlan(config)));
    const byConfig = new Map([...plans, ...loops].map((child) => [child.config, child.row]));
    const rows = await Promise.allSettled(configs.map((config) => byConfig.get(config)));
    return rows.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      if (!outcome.value) throw new Error('A poll strategy was not run');
      return outcome.value;
    });
  } finally {
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const started = performance.now();
  const rows = await runPollStrategies({ quick: values.quick, only: values.only });
  process.stderr.write(`poll strategies: ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
}
