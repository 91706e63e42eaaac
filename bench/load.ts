/**
 * The load test at full size (`npm run test:load`): 200 jobs at once against the
 * local stack, the emulator limiting its own concurrency. Prints the report.
 */
import { runLoad } from './loadRun';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.FRAMEBRIDGE_LOG_LEVEL ??= 'ERROR';
const jobs = Number(process.env.LOAD_JOBS ?? 200);
const report = await runLoad({ jobs, upstreamConcurrency: 20, latencySeconds: 2 });
console.log(JSON.stringify(report, null, 2));
process.exitCode = report.lost === 0 && report.duplicateSubmits === 0 && report.completed === jobs ? 0 : 1;
