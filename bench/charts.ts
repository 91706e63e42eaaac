/**
 * The benchmark report's charts: Vega-Lite specs rendered to SVG headless by
 * vega's own SVG string renderer (no canvas, no browser), so the report's
 * figures come from a charting library rather than hand-drawn markup.
 */

import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface AddedLatencyRow {
  strategy: string;
  /** The upstream request budget the strategy ran under (e.g. `ample`, `tight`). */
  budget: string;
  /** Seconds from upstream completion to the job COMPLETED with its video in S3. */
  addedP50: number;
  addedP95: number;
  transitionsPerJob: number;
}

export interface LatencySamplesRow {
  strategy: string;
  budget: string;
  /** One added latency per job, in seconds. */
  addedSeconds: number[];
}

export interface CopyRssRow {
  tool: string;
  sizeMiB: number;
  peakRssMiB: number;
}

/** The Lambda-memory-sized target for a 1 GiB copy: 150 MB, drawn in MiB like the data. */
const COPY_RSS_TARGET_MIB = 150e6 / 2 ** 20;

const seriesName = (row: { strategy: string; budget: string }) => `${row.strategy} (${row.budget} budget)`;

/** Compiles and renders one spec; `renderer: 'none'` skips the canvas vega would want for a browser. */
async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Scatter: transitions per job against added latency, one labelled point per strategy and budget, p50–p95 as a bar. */
export function addedLatencyVsTransitions(rows: readonly AddedLatencyRow[]): Promise<string> {
  const values = rows.map((row) => ({ ...row, series: seriesName(row) }));
  const x = { field: 'transitionsPerJob', type: 'quantitative', title: 'State transitions per job' } as const;
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Added latency against state transitions, per poll strategy',
    width: 560,
    height: 360,
    data: { values },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2, opacity: 0.5 },
        encoding: {
          x,
          y: { field: 'addedP50', type: 'quantitative' },
          y2: { field: 'addedP95' },
          color: { field: 'strategy', type: 'nominal' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x,
          y: { field: 'addedP50', type: 'quantitative', title: 'Added latency, s (point p50, bar to p95)' },
          color: { field: 'strategy', type: 'nominal', title: 'Strategy' },
          shape: { field: 'budget', type: 'nominal', title: 'Upstream budget' },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10 },
        encoding: { x, y: { field: 'addedP50', type: 'quantitative' }, text: { field: 'series' } },
      },
    ],
  });
}

/** Empirical CDF of added latency, one line per strategy (dashed by budget), computed by Vega-Lite's window transform. */
export function latencyCdf(rows: readonly LatencySamplesRow[]): Promise<string> {
  const values = rows.map((row) => ({
    strategy: row.strategy,
    budget: row.budget,
    series: seriesName(row),
    addedSeconds: row.addedSeconds,
  }));
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Added latency after upstream completion (CDF)',
    width: 560,
    height: 360,
    data: { values },
    transform: [
      { flatten: ['addedSeconds'] },
      {
        window: [{ op: 'cume_dist', as: 'fraction' }],
        sort: [{ field: 'addedSeconds', order: 'ascending' }],
        groupby: ['series'],
      },
    ],
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'addedSeconds', type: 'quantitative', title: 'Added latency, s' },
      y: { field: 'fraction', type: 'quantitative', title: 'Share of jobs', axis: { format: '%' } },
      color: { field: 'strategy', type: 'nominal', title: 'Strategy' },
      strokeDash: { field: 'budget', type: 'nominal', title: 'Upstream budget' },
    },
  });
}

/** Peak RSS against video size, one line per tool, with the 150 MB target as a rule. */
export function copyRssVsSize(rows: readonly CopyRssRow[]): Promise<string> {
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Copy: peak RSS against video size',
    width: 560,
    height: 320,
    layer: [
      {
        data: { values: [...rows] },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'sizeMiB', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'Video size, MiB' },
          y: { field: 'peakRssMiB', type: 'quantitative', title: 'Peak RSS, MiB' },
          color: { field: 'tool', type: 'nominal', title: 'Tool' },
        },
      },
      // One empty datum: a layer without data draws nothing.
      {
        data: { values: [{}] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'firebrick' },
        encoding: { y: { datum: COPY_RSS_TARGET_MIB, type: 'quantitative' } },
      },
      {
        data: { values: [{}] },
        mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -2, color: 'firebrick', fontSize: 10 },
        encoding: {
          y: { datum: COPY_RSS_TARGET_MIB, type: 'quantitative' },
          x: { value: 0 },
          text: { value: 'target: 150 MB' },
        },
      },
    ],
  });
}
