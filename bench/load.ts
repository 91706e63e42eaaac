/**
 * The load test at full size (`npm run test:load`): 1,000 jobs at once against the local
 * stack, the emulator limiting its concurrency and its requests per minute and the
 * pipeline's admission control set to the same budget. Prints the report, then the proof
 * figures with pass/fail; exits 1 when any fails.
 */
import { type LoadOptions, type LoadReport, runLoad } from './loadRun';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.FRAMEBRIDGE_LOG_LEVEL ??= 'ERROR';

const options: LoadOptions = {
  jobs: Number(process.env.LOAD_JOBS ?? 1000),
  upstreamConcurrency: 20,
  requestsPerMinute: 600,
  latencySeconds: 2,
};
if (!(Number.isInteger(options.jobs) && options.jobs > 0)) {
  throw new RangeError(`LOAD_JOBS must be a positive integer, got ${process.env.LOAD_JOBS}`);
}

/** What admission control must prove: each line a figure, its bound, and whether it holds. */
function proofs(report: LoadReport): Array<{ figure: string; bound: string; pass: boolean }> {
  return [
    { figure: `completed ${report.completed}`, bound: `= ${report.jobs}`, pass: report.completed === report.jobs },
    {
      figure: `upstream 429s ${report.upstream429s} (${report.upstream429Percent} % of ${report.upstreamRequests})`,
      bound: '≤ 1 %',
      pass: report.upstream429Percent <= 1,
    },
    {
      figure: `upstream peak concurrency ${report.upstreamPeakConcurrency}`,
      bound: `≤ ${report.upstreamConcurrencyLimit}`,
      pass: report.upstreamPeakConcurrency <= report.upstreamConcurrencyLimit,
    },
    {
      figure: `upstream peak requests per minute ${report.upstreamPeakRequestsPerMinute}`,
      bound: `≤ ${report.upstreamRequestsPerMinuteLimit}`,
      pass: report.upstreamPeakRequestsPerMinute <= report.upstreamRequestsPerMinuteLimit,
    },
    {
      figure: `throughput ${report.jobsPerMinute} jobs/min = ${report.throughputPercent} % of ${report.allowedJobsPerMinute}`,
      bound: '≥ 90 %',
      pass: report.throughputPercent >= 90,
    },
    { figure: `leaked slots ${report.leakedSlots}`, bound: '= 0', pass: report.leakedSlots === 0 },
    { figure: `duplicate submits ${report.duplicateSubmits}`, bound: '= 0', pass: report.duplicateSubmits === 0 },
    { figure: `lost ${report.lost}`, bound: '= 0', pass: report.lost === 0 },
  ];
}

const report = await runLoad(options);
console.log(JSON.stringify(report, null, 2));
const results = proofs(report);
console.log('\nAdmission control:');
for (const { figure, bound, pass } of results) console.log(`  ${pass ? 'PASS' : 'FAIL'}  ${figure} (${bound})`);
process.exitCode = results.every((result) => result.pass) ? 0 : 1;
