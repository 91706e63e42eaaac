/**
 * Copy benchmark: the real CopyToS3 step (`copyVideo`) streaming a generated
 * video from a local HTTP server into a local S3 (s3rver, as the local stack
 * runs it), beside a baseline in the same run: `aws s3 cp` of a local file
 * where the CLI is installed, else the SDK's own `Upload` of that file.
 *
 * Each copy runs in its own process, so its peak RSS is the copy's alone: s3rver
 * stays in this process and the video server in another.
 *
 *   npx tsx bench/copyBench.ts [--quick] [--with-sdk-upload] [--repeats N]   # prints JSON
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const MIB = 1024 * 1024;
const BUCKET = 'bench';
const REGION = 'us-east-1';
/** s3rver's built-in account (local/s3.ts), repeated so the children need not import the parent's services. */
const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
/** Where each tool stores its copy. */
const KEYS = {
  copyVideoJob: 'bench-copy',
  awsCli: 'baseline/aws-cli.mp4',
  sdkUpload: 'baseline/sdk-upload.mp4',
  warmUp: 'baseline/warm-up',
};
const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(THIS_FILE), '..');
/** A child that runs longer than this is killed: the benchmark stops by itself. */
const CHILD_TIMEOUT_MS = 15 * 60_000;
const TARGETS = { peakRssBytesAt1GiB: 150e6, throughputVsBaseline: 0.8 };

export type CopyBaseline = 'aws s3 cp' | 'sdk Upload';
export type CopyTool = 'copyVideo' | CopyBaseline;

export interface CopyBenchOptions {
  /** Video sizes in MiB. @default [16, 256, 1024] */
  sizes?: readonly number[];
  /**
   * Baselines run beside copyVideo; the first is the one the targets compare against.
   * @default - `aws s3 cp` when the CLI is on PATH, else the SDK's `Upload`
   */
  baselines?: readonly CopyBaseline[];
  /** Runs per tool and size (interleaved): the median throughput and the highest RSS are kept. @default 3 */
  repeats?: number;
}

export interface CopyMeasurement {
  tool: CopyTool;
  sizeMiB: number;
  bytes: number;
  runs: number;
  /** Median copy time: in-process for the Node tools, the CLI's wall time less its start-up for `aws s3 cp`. */
  seconds: number;
  /** Median throughput, MB (10^6 bytes) per second. */
  throughputMBps: number;
  /** The highest peak resident set of the runs: the kernel's high-water mark for the whole process. */
  peakRssMiB: number;
  /** Node tools: RSS with the copy's modules loaded, before it starts. */
  rssBeforeMiB?: number;
  /** Node tools: the highest RSS sampled during the copy less `rssBeforeMiB`, i.e. what the copy adds. */
  rssGrowthMiB?: number;
  /** Node tools: peaks sampled during the copy, to see where the memory goes. */
  peakHeapUsedMiB?: number;
  peakArrayBuffersMiB?: number;
  /** Median CPU time (user + system) of the copying process: on a 2-core machine a busy tool slows the others. */
  cpuSeconds: number;
  /** `aws s3 cp`: median wall time, start-up included. */
  wallSeconds?: number;
}

export interface CopyBenchResult {
  /** The baseline the targets compare against. */
  baseline: CopyBaseline;
  targets: typeof TARGETS;
  measurements: CopyMeasurement[];
  bySize: {
    sizeMiB: number;
    copyVideo: CopyMeasurement;
    baseline: CopyMeasurement;
    /** copyVideo's throughput over the baseline's. */
    throughputRatio: number;
    meetsThroughputTarget: boolean;
    meetsRssTarget: boolean;
  }[];
  /** What `aws s3 cp` spends before moving a byte (a 1-byte copy), subtracted from its wall time. */
  awsCliStartupSeconds?: number;
  /** The machine's 1-minute load average before and after: copies compete for CPU with anything else running. */
  loadAverage: { before: number; after: number };
  notes: string[];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const toMiB = (bytes: number) => round(bytes / MIB);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
};

// ---- The video: an `ftyp` box so copyVideo's MP4 check passes, then filler.

const MP4_HEADER = Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypmp42'), 0, 0, 0, 0, ...Buffer.from('mp42isom')]);
const FILLER = Buffer.alloc(64 * 1024, 7);
const videoPiece = (offset: number, bytes: number) =>
  offset === 0 ? MP4_HEADER : FILLER.subarray(0, Math.min(FILLER.length, bytes - offset));

/** The same bytes as the video server's, as a local file for the baselines. */
async function writeVideoFile(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < bytes; ) {
      const piece = videoPiece(written, bytes);
      await handle.write(piece);
      written += piece.length;
    }
  } finally {
    await handle.close();
  }
}

/** Child: serves `/video.mp4?bytes=N` generated on the fly, until its stdin closes (the parent ended). */
async function serveVideo(): Promise<void> {
  const server = http.createServer((request, response) => {
    const bytes = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('bytes'));
    response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(bytes) });
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const piece = videoPiece(sent, bytes);
        sent += piece.length;
        if (!response.write(piece)) return void response.once('drain', pump);
      }
      response.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  process.stdin.resume();
  process.stdin.once('close', () => process.exit(0));
}

// ---- The measured children.

/** What a copy child reports on stdout. */
interface ChildReport {
  seconds: number;
  bytes: number;
  rssBefore: number;
  peakRss: number;
  maxRss: number;
  peakHeapUsed: number;
  peakArrayBuffers: number;
  cpuSeconds: number;
}

/** Runs `work` sampling memory every 10 ms: the kernel's maxRSS is the exact peak, the samples say where it went. */
async function measureInChild(work: () => Promise<number>): Promise<ChildReport> {
  const rssBefore = process.memoryUsage.rss();
  const peak = { rss: rssBefore, heapUsed: 0, arrayBuffers: 0 };
  const sample = () => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heapUsed = Math.max(peak.heapUsed, usage.heapUsed);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, usage.arrayBuffers);
  };
  const sampler = setInterval(sample, 10);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const bytes = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  sample();
  return {
    seconds,
    bytes,
    rssBefore,
    peakRss: peak.rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    peakHeapUsed: peak.heapUsed,
    peakArrayBuffers: peak.arrayBuffers,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

const s3ClientFor = async (endpoint: string) => {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({ endpoint, region: REGION, credentials: { ...S3_CREDENTIALS }, forcePathStyle: true });
};

/**
 * One 1-byte PUT before the measured copy: the SDK's first-request costs (lazy
 * code, the connection) are left out, as the 1-byte copy takes them out of
 * `aws s3 cp`'s time. A warm Lambda has paid them too.
 */
async function warmUp(s3: import('@aws-sdk/client-s3').S3Client): Promise<void> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEYS.warmUp, Body: 'x' }));
}

/** Child: the project's copy step with its defaults; the job store is stubbed (two small writes, not measured). */
async function childCopyVideo(endpoint: string, videoUrl: string): Promise<ChildReport> {
  const [{ GetCommand }, { copyVideo }, { transitionRequestSchema }] = await Promise.all([
    import('@aws-sdk/lib-dynamodb'),
    import('../lambdas/workflow/steps/copyVideo'),
    import('../lambdas/core/schemas'),
  ]);
  const s3 = await s3ClientFor(endpoint);
  const now = new Date().toISOString();
  const job = {
    id: KEYS.copyVideoJob,
    owner: 'bench',
    status: 'PROCESSING',
    phase: 'copying',
    request: transitionRequestSchema.parse({
      prompt: 'bench',
      first_frame_url: 'https://example.com/first.png',
      last_frame_url: 'https://example.com/last.png',
    }),
    createdAt: now,
    updatedAt: now,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
  const doc = {
    send: async (command: unknown) => (command instanceof GetCommand ? { Item: job } : {}),
  } as unknown as import('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient;
  await warmUp(s3);
  return measureInChild(async () => {
    const outcome = await copyVideo(
      {
        jobId: job.id,
        upstreamRequestId: 'bench',
        submittedAt: now,
        pollCount: 1,
        waitSeconds: 1,
        status: 'COMPLETED',
        videoUrl,
      },
      {
        store: { doc, tableName: 'bench' },
        s3,
        bucket: BUCKET,
        allowedHosts: ['127.0.0.1'],
        segmindBaseUrl: new URL(videoUrl).origin,
        maxBytes: 4 * 1024 * MIB,
      },
    );
    if (outcome.status !== 'COMPLETED' || !('bytes' in outcome)) throw new Error(`copyVideo ended ${outcome.status}`);
    return Number(outcome.bytes);
  });
}

/** Child: the SDK's own multipart `Upload` of a local file, with its default part size and queue. */
async function childSdkUpload(endpoint: string, file: string, bytes: number): Promise<ChildReport> {
  const { Upload } = await import('@aws-sdk/lib-storage');
  const s3 = await s3ClientFor(endpoint);
  await warmUp(s3);
  return measureInChild(async () => {
    const Body = createReadStream(file);
    await new Upload({
      client: s3,
      params: { Bucket: BUCKET, Key: KEYS.sdkUpload, Body, ContentType: 'video/mp4' },
    }).done();
    return bytes;
  });
}

async function runChild(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      child: { type: 'string' },
      endpoint: { type: 'string', default: '' },
      video: { type: 'string', default: '' },
      file: { type: 'string', default: '' },
      bytes: { type: 'string', default: '0' },
    },
  });
  if (values.child === 'video-server') return serveVideo();
  const report =
    values.child === 'copy-video'
      ? await childCopyVideo(values.endpoint, values.video)
      : await childSdkUpload(values.endpoint, values.file, Number(values.bytes));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// ---- The parent: services, children and the CLI.

/**
 * This file bundled the way CDK bundles a Lambda (esbuild, ESM, minified), so the
 * children run plain `node` as Lambda does: under tsx they would also carry its
 * loader thread and on-the-fly compiling, ≈ 30 MiB of RSS no Lambda pays.
 * The parent's services stay out of the bundle.
 */
async function buildChildBundle(workDir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = path.join(workDir, 'copy-child.mjs');
  await build({
    entryPoints: [THIS_FILE],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    minify: true,
    external: ['../local/s3', 'esbuild'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return outfile;
}

function spawnChild(bundle: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [bundle, '--child', ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      NODE_OPTIONS: '',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: CHILD_TIMEOUT_MS,
  });
}

/** Runs one copy child to its end; its last stdout line is the report. */
async function runCopyChild(bundle: string, args: string[]): Promise<ChildReport> {
  const child = spawnChild(bundle, args);
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const last = stdout.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`copy child ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`);
  return JSON.parse(last) as ChildReport;
}

/** The video server in a process of its own: serving it from s3rver's process would slow copyVideo's sink. */
async function startVideoServer(bundle: string) {
  const child = spawnChild(bundle, ['video-server']);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the video server exited (${code})`)));
  });
  lines.close();
  const { port } = JSON.parse(first) as { port: number };
  return {
    url: (bytes: number) => `http://127.0.0.1:${port}/video.mp4?bytes=${bytes}`,
    close: async () => {
      child.stdin?.end();
      await exited;
    },
  };
}

/** A running process's peak RSS (VmHWM) and CPU seconds, from /proc (Linux; zeros elsewhere). */
async function processStats(pid: number): Promise<{ peakRss: number; cpuSeconds: number }> {
  try {
    const [status, stat] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    // utime and stime are fields 14 and 15, in clock ticks (100 a second on Linux); the name may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { peakRss: kib * 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return { peakRss: 0, cpuSeconds: 0 };
  }
}

const isAwsCliOnPath = () => spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;

/** `aws s3 cp` into the local S3, path-style, with s3rver's account and nothing from the user's profile. */
async function awsCliCopy(workDir: string, endpoint: string, file: string) {
  const config = path.join(workDir, 'aws-config');
  await writeFile(config, `[default]\nregion = ${REGION}\ns3 =\n  addressing_style = path\n`);
  const target = `s3://${BUCKET}/${KEYS.awsCli}`;
  const child = spawn('aws', ['s3', 'cp', file, target, '--endpoint-url', endpoint, '--only-show-errors'], {
    env: {
      ...process.env,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: path.join(workDir, 'no-credentials'),
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: CHILD_TIMEOUT_MS,
  });
  const started = performance.now();
  let peakRss = 0;
  let cpuSeconds = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // The CLI cannot report its own memory: sample the kernel's counters until it exits.
  const sampler = setInterval(async () => {
    if (!child.pid) return;
    const stats = await processStats(child.pid);
    peakRss = Math.max(peakRss, stats.peakRss);
    cpuSeconds = Math.max(cpuSeconds, stats.cpuSeconds);
  }, 10);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`aws s3 cp failed (${code}): ${stderr.slice(-2000)}`);
  return { wallSeconds: (performance.now() - started) / 1000, peakRss, cpuSeconds };
}

/** Deletes what a run stored (by key: listing fails s3rver's signature check), so 1 GiB objects do not pile up. */
async function deleteCopies(endpoint: string): Promise<void> {
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const s3 = await s3ClientFor(endpoint);
  const keys = [
    `jobs/${KEYS.copyVideoJob}/video.mp4`,
    `jobs/${KEYS.copyVideoJob}/result.json`,
    KEYS.awsCli,
    KEYS.sdkUpload,
    KEYS.warmUp,
  ];
  try {
    for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
  } finally {
    s3.destroy();
  }
}

/** One run of one tool: seconds, bytes and memory as the measurement records them. */
interface Run {
  seconds: number;
  bytes: number;
  peakRss: number;
  cpuSeconds: number;
  node?: ChildReport;
  wallSeconds?: number;
}

const fromChild = (report: ChildReport): Run => ({
  seconds: report.seconds,
  bytes: report.bytes,
  peakRss: Math.max(report.maxRss, report.peakRss),
  cpuSeconds: report.cpuSeconds,
  node: report,
});

function toMeasurement(tool: CopyTool, sizeMiB: number, runs: Run[]): CopyMeasurement {
  const seconds = median(runs.map((run) => run.seconds));
  const bytes = runs[0]?.bytes ?? 0;
  const nodeRuns = runs.flatMap((run) => (run.node ? [run.node] : []));
  const highest = (pick: (report: ChildReport) => number) => toMiB(Math.max(...nodeRuns.map(pick)));
  const walls = runs.flatMap((run) => (run.wallSeconds === undefined ? [] : [run.wallSeconds]));
  return {
    tool,
    sizeMiB,
    bytes,
    runs: runs.length,
    seconds: round(seconds, 3),
    throughputMBps: round(bytes / 1e6 / seconds),
    peakRssMiB: toMiB(Math.max(...runs.map((run) => run.peakRss))),
    cpuSeconds: round(median(runs.map((run) => run.cpuSeconds)), 2),
    ...(nodeRuns.length
      ? {
          rssBeforeMiB: highest((report) => report.rssBefore),
          rssGrowthMiB: highest((report) => report.peakRss - report.rssBefore),
          peakHeapUsedMiB: highest((report) => report.peakHeapUsed),
          peakArrayBuffersMiB: highest((report) => report.peakArrayBuffers),
        }
      : {}),
    ...(walls.length ? { wallSeconds: round(median(walls), 3) } : {}),
  };
}

/** Measures copyVideo and the baselines at each size, each run in its own process, into one local S3. */
export async function runCopyBench(options: CopyBenchOptions = {}): Promise<CopyBenchResult> {
  const sizes = options.sizes ?? [16, 256, 1024];
  const repeats = options.repeats ?? 3;
  const awsCli = isAwsCliOnPath();
  const baselines = options.baselines ?? [awsCli ? 'aws s3 cp' : 'sdk Upload'];
  const primary = baselines[0];
  if (!primary) throw new Error('runCopyBench: name at least one baseline');
  if (baselines.includes('aws s3 cp') && !awsCli) throw new Error('runCopyBench: the aws CLI is not on PATH');

  const loadBefore = loadavg()[0] ?? 0;
  const workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-copy-bench-'));
  const closers: (() => Promise<void>)[] = [() => rm(workDir, { recursive: true, force: true })];
  try {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const { startLocalS3 } = await import('../local/s3');
    const s3server = await startLocalS3(path.join(workDir, 's3'), BUCKET);
    closers.unshift(s3server.close);
    const bundle = await buildChildBundle(workDir);
    const video = await startVideoServer(bundle);
    closers.unshift(video.close);

    // What the CLI spends before moving a byte (Python start-up, one request), timed on a 1-byte copy.
    let awsCliStartup = { wallSeconds: 0, cpuSeconds: 0 };
    if (baselines.includes('aws s3 cp')) {
      const tiny = path.join(workDir, 'tiny.mp4');
      await writeFile(tiny, 'x');
      awsCliStartup = await awsCliCopy(workDir, s3server.url, tiny);
    }
    const runOnce = async (tool: CopyTool, bytes: number, file: string): Promise<Run> => {
      if (tool === 'copyVideo') {
        return fromChild(
          await runCopyChild(bundle, ['copy-video', '--endpoint', s3server.url, '--video', video.url(bytes)]),
        );
      }
      if (tool === 'sdk Upload') {
        const args = ['sdk-upload', '--endpoint', s3server.url, '--file', file, '--bytes', String(bytes)];
        return fromChild(await runCopyChild(bundle, args));
      }
      const { wallSeconds, peakRss, cpuSeconds } = await awsCliCopy(workDir, s3server.url, file);
      const seconds = Math.max(wallSeconds - awsCliStartup.wallSeconds, 1e-3);
      return { seconds, bytes, peakRss, cpuSeconds: Math.max(cpuSeconds - awsCliStartup.cpuSeconds, 0), wallSeconds };
    };

    const measurements: CopyMeasurement[] = [];
    for (const sizeMiB of sizes) {
      const bytes = Math.round(sizeMiB * MIB);
      const file = path.join(workDir, `video-${sizeMiB}.mp4`);
      await writeVideoFile(file, bytes);
      const tools: CopyTool[] = ['copyVideo', ...baselines];
      const runs = new Map<CopyTool, Run[]>(tools.map((tool) => [tool, []]));
      // Interleaved, so that drift on a shared machine spreads over every tool.
      for (let repeat = 0; repeat < repeats; repeat++) {
        for (const tool of tools) {
          const run = await runOnce(tool, bytes, file);
          if (run.bytes !== bytes) throw new Error(`${tool} stored ${run.bytes} of ${bytes} bytes`);
          runs.get(tool)?.push(run);
          await deleteCopies(s3server.url);
        }
      }
      await rm(file, { force: true });
      for (const tool of tools) measurements.push(toMeasurement(tool, sizeMiB, runs.get(tool) ?? []));
    }
    const startup = baselines.includes('aws s3 cp') ? awsCliStartup.wallSeconds : undefined;
    const loadAverage = { before: round(loadBefore, 2), after: round(loadavg()[0] ?? 0, 2) };
    return { ...summarize(sizes, primary, measurements, startup), loadAverage };
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}

function summarize(
  sizes: readonly number[],
  baseline: CopyBaseline,
  measurements: CopyMeasurement[],
  awsCliStartupSeconds: number | undefined,
): Omit<CopyBenchResult, 'loadAverage'> {
  const find = (tool: CopyTool, sizeMiB: number) => {
    const found = measurements.find((m) => m.tool === tool && m.sizeMiB === sizeMiB);
    if (!found) throw new Error(`no ${tool} measurement at ${sizeMiB} MiB`);
    return found;
  };
  const bySize = sizes.map((sizeMiB) => {
    const copyVideo = find('copyVideo', sizeMiB);
    const base = find(baseline, sizeMiB);
    const throughputRatio = round(copyVideo.throughputMBps / base.throughputMBps, 2);
    return {
      sizeMiB,
      copyVideo,
      baseline: base,
      throughputRatio,
      meetsThroughputTarget: throughputRatio >= TARGETS.throughputVsBaseline,
      meetsRssTarget: copyVideo.peakRssMiB * MIB <= TARGETS.peakRssBytesAt1GiB,
    };
  });
  return {
    baseline,
    targets: TARGETS,
    measurements,
    bySize,
    ...(awsCliStartupSeconds === undefined ? {} : { awsCliStartupSeconds: round(awsCliStartupSeconds, 3) }),
    notes: [
      'Node tools run bundled by esbuild (as CDK bundles the Lambda) under plain node, one process per run; peakRssMiB is that whole process (kernel maxRSS), rssGrowthMiB what the copy added.',
      'copyVideo reads from a local HTTP server (its own process) generating the video; the baselines read the same bytes from a local file.',
      'Every tool writes through the local stack S3: its fault-injection proxy, then s3rver, both in the benchmark process.',
      'aws s3 cp: seconds and cpuSeconds leave out what a 1-byte copy takes (awsCliStartupSeconds), so Python start-up does not count against it.',
    ],
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  if (process.argv.includes('--child')) {
    await runChild(process.argv.slice(2));
  } else {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        'with-sdk-upload': { type: 'boolean', default: false },
        repeats: { type: 'string' },
      },
    });
    const result = await runCopyBench({
      sizes: values.quick ? [16, 256] : undefined,
      baselines: values['with-sdk-upload'] && isAwsCliOnPath() ? ['aws s3 cp', 'sdk Upload'] : undefined,
      repeats: values.repeats === undefined ? (values.quick ? 1 : undefined) : Number(values.repeats),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
}
