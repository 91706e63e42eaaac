import { describe, expect, it } from 'vitest';
import type { CopyBenchResult } from '../../../bench/copyBench';
import type { LambdaMeasurement } from '../../../bench/lambdaBench';
import { type BenchResults, checkTargets, renderReport } from '../../../bench/report';
import type { StatusBenchResult } from '../../../bench/statusBench';
import type { StrategyRow } from '../../../bench/strategyRun';

const strategy = (name: StrategyRow['strategy'], fields: Partial<StrategyRow> = {}): StrategyRow =>
  ({
    strategy: name,
    budget: 'ample',
    requestsPerMinute: 6000,
    jobs: 30,
    completed: 30,
    notCompleted: 0,
    addedP50: 1,
    addedP95: 4,
    addedMax: 6,
    addedP50Steady: 1,
    addedP95Steady: 3,
    steadyFromIndex: 10,
    addedSeconds: [1, 2, null],
    upstreamLatencyP50: 77,
    transitionsPerJob: 11,
    invocationsPerJob: 6,
    statusCallsPerJob: 6,
    costPerJobUsd: 0.0003,
    ...fields,
  }) as StrategyRow;

const measurement = (tool: string, sizeMiB: number, peakRssMiB: number) =>
  ({ tool, sizeMiB, peakRssMiB, throughputMBps: 80, cpuSeconds: 1 }) as CopyBenchResult['measurements'][number];

function results(fields: Partial<BenchResults> = {}): BenchResults {
  const copyVideo = measurement('copyVideo', 1024, 130);
  const baseline = measurement('aws s3 cp', 1024, 90);
  return {
    startedAt: '2026-12-05T08:00:00.000Z',
    quick: false,
    machine: { cpus: 'test CPU', cores: 2, node: 'v20', platform: 'linux' },
    wallSeconds: 900,
    pollStrategies: [
      strategy('learning'),
      strategy('fixed-2s', { transitionsPerJob: 120 }),
      strategy('fixed-10s', { addedP50: 5 }),
    ],
    status: {
      pollers: 200,
      p50Ms: 4,
      p90Ms: 10,
      p99Ms: 30,
      intervalMs: 1000,
      durationMs: 30_000,
      requests: 6000,
      requestsPerSecond: 200,
      maxMs: 40,
      errors: 0,
      notes: [],
    } as unknown as StatusBenchResult,
    copy: {
      baseline: 'aws s3 cp',
      measurements: [copyVideo, baseline],
      bySize: [
        { sizeMiB: 1024, copyVideo, baseline, throughputRatio: 0.9, meetsThroughputTarget: true, meetsRssTarget: true },
      ],
      notes: [],
    } as unknown as CopyBenchResult,
    lambdas: [
      { function: 'Api/GetStatus', bytes: 250_000, initMsMedian: 50, meetsSizeTarget: true, meetsInitTarget: true },
    ] as LambdaMeasurement[],
    ...fields,
  };
}

describe('the benchmark report', () => {
  it('passes every target a run meets, checking the learning plan on its jobs with history', () => {
    const checks = checkTargets(results());
    expect(checks.filter((check) => !check.pass)).toEqual([]);
    expect(checks.map((check) => check.target)).toContain('learning plan: fewer transitions than the 2 s loop');
  });

  it('fails a target the figures miss, and one whose figure was not measured', () => {
    // Arrange: the learning plan slower than the 10 s loop, no 1 GiB copy (a quick run), a fat bundle
    const run = results({
      pollStrategies: [
        strategy('learning', { addedP50: 6, addedP50Steady: 6 }),
        strategy('fixed-10s', { addedP50: 5 }),
      ],
      lambdas: [
        {
          function: 'Api/Big',
          bytes: 600_000,
          initMsMedian: 150,
          meetsSizeTarget: false,
          meetsInitTarget: false,
        } as LambdaMeasurement,
      ],
    });
    run.copy.bySize = [];

    // Act
    const failed = checkTargets(run)
      .filter((check) => !check.pass)
      .map((check) => check.target);

    // Assert
    expect(failed).toEqual(
      expect.arrayContaining([
        'learning plan, once it has history: added latency p50 ≤ 2 s',
        'learning plan: fewer transitions than the 2 s loop',
        'learning plan: lower latency than the 10 s loop (p50)',
        'copy 1 GiB: peak RSS ≤ 150 MB (not run in a quick run)',
        'Api/Big: bundle ≤ 300 KiB, init ≤ 60 ms',
      ]),
    );
  });

  it('renders the targets, every strategy and the charts into Markdown', () => {
    const run = results();
    const markdown = renderReport(run, checkTargets(run));
    expect(markdown).toMatch(/## Targets: \d+ of \d+ met/);
    expect(markdown).toContain('| fixed-2s | ample (6000)');
    expect(markdown).toContain('![Added latency CDFs](charts/added-latency-cdf.svg)');
  });

  it('renders the floor under the Lambda targets when it was measured, and nothing when it was not', () => {
    const run = {
      ...results(),
      lambdaFloor: [
        { ingredient: 'empty module', bytes: 165, initMsMedian: 8.4 },
        { ingredient: 'S3 client', bytes: 287_192, initMsMedian: 88.4 },
      ],
    };
    const markdown = renderReport(run, checkTargets(run));
    expect(markdown).toContain('### What a bundle stands on');
    expect(markdown).toContain('| S3 client | 280.5 | 88.4 |');
    expect(renderReport(results(), checkTargets(results()))).not.toContain('What a bundle stands on');
  });
});
