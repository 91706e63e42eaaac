/**
 * Benchmarks that print numbers (not pass/fail): the poll plan's cost in state
 * transitions against a fixed 2 s loop, and CopyToS3's memory and throughput
 * streaming videos of different sizes into a real S3-compatible server.
 *
 *   npm run bench
 */

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { defaultPollSettings, firstWaitSeconds, nextPoll } from '../lambdas/core/pollPlan';
import { copyVideo } from '../lambdas/workflow/steps/copyVideo';
import { localS3Credentials, startLocalS3 } from '../local/s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * Transitions for one completed job: Submit, then per poll Wait + Check + Choice,
 * then Copy, Emit Completed Event, Notify, Job Succeeded?, Succeed.
 */
function transitionsFor(polls: number): number {
  return 1 + polls * 3 + 5;
}

function pollsWithPlan(latencySeconds: number): number {
  const request = { duration: 5 as const, quality: '540p' as const };
  let elapsed = firstWaitSeconds(request, defaultPollSettings);
  let polls = 1;
  while (elapsed < latencySeconds) {
    const next = nextPoll(request, elapsed, defaultPollSettings);
    if ('deadlinePassed' in next) break;
    elapsed += next.waitSeconds;
    polls++;
  }
  return polls;
}

function pollPlanBench() {
  console.log('\nPoll plan: state transitions per job (5 s / 540p), vs a fixed 2 s loop');
  console.log('  upstream latency   plan polls   plan transitions   2 s-loop transitions   saved');
  for (const latency of [40, 77, 100, 150, 300, 900]) {
    const polls = pollsWithPlan(latency);
    const loopPolls = Math.ceil(latency / 2);
    const plan = transitionsFor(polls);
    const loop = transitionsFor(loopPolls);
    console.log(
      `  ${String(latency).padStart(6)} s ${String(polls).padStart(14)} ${String(plan).padStart(18)} ${String(loop).padStart(22)} ${`${Math.round((1 - plan / loop) * 100)} %`.padStart(8)}`,
    );
  }
}

/** Serves `bytes` of MP4-looking data generated on the fly (never held in memory). */
async function startVideoServer(bytes: number) {
  const header = Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypmp42'), 0, 0, 0, 0, ...Buffer.from('mp42isom')]);
  const chunk = Buffer.alloc(64 * 1024, 7);
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(bytes) });
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const piece = sent === 0 ? header : chunk.subarray(0, Math.min(chunk.length, bytes - sent));
        sent += piece.length;
        if (!response.write(piece)) return void response.once('drain', pump);
      }
      response.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/video.mp4`, close: () => server.close() };
}

async function copyBench() {
  console.log('\nCopyToS3: streaming a video into s3rver through the real copy step (8 MiB parts, 2 in flight)');
  console.log('  video size   time      throughput   peak RSS growth   peak heap growth');
  const dir = await mkdtemp(path.join(tmpdir(), 'framebridge-bench-'));
  const s3server = await startLocalS3(dir, 'bench');
  const s3 = new S3Client({
    endpoint: s3server.url,
    region: 'us-east-1',
    credentials: localS3Credentials(),
    forcePathStyle: true,
  });
  // The job record write is not what is measured: a no-op table stands in for it.
  const doc = { send: async () => ({}) } as unknown as DynamoDBDocumentClient;
  try {
    for (const mib of [16, 64, 256]) {
      const video = await startVideoServer(mib * 1024 * 1024);
      global.gc?.();
      const baseline = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
      const peak = { rss: baseline.rss, heap: baseline.heap };
      const sampler = setInterval(() => {
        const usage = process.memoryUsage();
        peak.rss = Math.max(peak.rss, usage.rss);
        peak.heap = Math.max(peak.heap, usage.heapUsed);
      }, 20);
      const started = performance.now();
      await copyVideo(
        {
          jobId: `bench-${mib}`,
          upstreamRequestId: 'bench',
          submittedAt: new Date().toISOString(),
          pollCount: 1,
          waitSeconds: 1,
          status: 'COMPLETED',
          videoUrl: video.url,
        },
        {
          store: { doc, tableName: 'bench' },
          s3,
          bucket: 'bench',
          allowedHosts: ['127.0.0.1'],
          segmindBaseUrl: new URL(video.url).origin,
          maxBytes: 1024 * 1024 * 1024,
        },
      );
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      video.close();
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
      console.log(
        `  ${`${mib} MiB`.padStart(10)} ${`${seconds.toFixed(2)} s`.padStart(8)} ${`${(mib / seconds).toFixed(0)} MiB/s`.padStart(12)} ${mb(peak.rss - baseline.rss).padStart(17)} ${mb(peak.heap - baseline.heap).padStart(18)}`,
      );
    }
  } finally {
    s3.destroy();
    await s3server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

pollPlanBench();
await copyBench();
