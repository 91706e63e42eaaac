import { describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/loadRun';

/** The load test at CI size; `npm run test:load` runs the full 1,000 jobs and prints the report. */
describe('E2E: load on the local stack', () => {
  it('completes every job exactly once within the upstream budget, without 429s or leaked slots', async () => {
    // Arrange
    const options = { jobs: 60, upstreamConcurrency: 8, requestsPerMinute: 240, latencySeconds: 2 };

    // Act
    const report = await runLoad(options);
    console.info('load report', report);

    // Assert
    expect(report.completed).toBe(60);
    expect(report.lost).toBe(0);
    expect(report.duplicateSubmits).toBe(0);
    expect(report.upstreamPeakConcurrency).toBeLessThanOrEqual(8);
    expect(report.upstreamPeakRequestsPerMinute).toBeLessThanOrEqual(240);
    expect(report.upstream429Percent).toBeLessThanOrEqual(1);
    expect(report.leakedSlots).toBe(0);
    // 60 jobs are under a minute of work at the allowed 80 jobs/min, so the ramp-up (the first
    // jobs' latency, the last ones' final poll) weighs heavily: only a loose bound holds here;
    // the full-size run holds 90 %.
    expect(report.throughputPercent).toBeGreaterThanOrEqual(50);
  }, 300_000);
});
