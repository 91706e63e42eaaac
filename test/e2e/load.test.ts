import { describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/loadRun';

/** The load test at CI size; `npm run test:load` runs the full 200 jobs and prints the report. */
describe('E2E: load on the local stack', () => {
  it('completes every job exactly once while the upstream limits its concurrency', async () => {
    const report = await runLoad({ jobs: 40, upstreamConcurrency: 8, latencySeconds: 2 });
    console.info('load report', report);

    expect(report.completed).toBe(40);
    expect(report.lost).toBe(0);
    expect(report.duplicateSubmits).toBe(0);
    expect(report.upstreamPeakConcurrency).toBeLessThanOrEqual(8);
    // The limit was really hit: more submit requests than jobs means 429s were answered and waited out.
    expect(report.upstreamSubmitRequests).toBeGreaterThan(40);
  }, 240_000);
});
