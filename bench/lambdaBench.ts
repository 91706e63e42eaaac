/**
 * Lambda benchmark: per function, the size of the bundle CDK's own bundling
 * produces (the real app synthesized with bundling into a temp dir, not a
 * separate build) and its module init time: the import of that bundle in a
 * fresh `node`, with the function's environment from the template plus what
 * the Lambda runtime sets, median of several runs.
 *
 *   npx tsx bench/lambdaBench.ts [--quick]      # prints the JSON result
 */

import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ASSET_RESOURCE_METADATA_ENABLED_CONTEXT, PATH_METADATA_ENABLE_CONTEXT } from 'aws-cdk-lib/cx-api';

/** esbuild's "kb" (1024 bytes), the unit the bundle sizes were read in. */
const TARGETS = { bundleBytes: 300 * 1024, initMs: 60 };
const REGION = 'us-east-1';
const ASSET_PATH_METADATA = 'aws:asset:path';
const CDK_PATH_METADATA = 'aws:cdk:path';

export interface LambdaBenchOptions {
  /** Imports per function; the median is reported. @default 10 */
  samples?: number;
}

export interface LambdaMeasurement {
  /** The function's construct path, e.g. `Api/GetStatusFunction`. */
  function: string;
  logicalId: string;
  /** The handler module it bundles. */
  handler: string;
  /** `index.mjs` as bundled (minified, source map not counted). */
  bytes: number;
  initMsMedian: number;
  initMsSamples: number[];
  /**
   * Median CPU time of the import (all threads): less sensitive than wall time to
   * other work on the machine, though V8's background compiling can push it above.
   */
  initCpuMsMedian: number;
  meetsSizeTarget: boolean;
  meetsInitTarget: boolean;
}

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
export const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/**
 * Synthesizes the app as `cdk synth` would, bundling included, into `outdir`.
 * cdk-nag and CloudFormation validation are off: they do not touch the bundles.
 * Asset metadata maps each function to its staged asset directory, path metadata names it.
 */
async function synthesizeWithBundling(outdir: string) {
  const { createFramebridgeApp } = await import('../infra/framebridgeApp');
  const previous = process.env.CDK_OUTDIR;
  // App reads its output directory from here when none is passed; createFramebridgeApp passes none.
  process.env.CDK_OUTDIR = outdir;
  try {
    const { app, stack } = createFramebridgeApp({
      nag: false,
      cfnValidation: false,
      context: { [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true, [PATH_METADATA_ENABLE_CONTEXT]: true },
    });
    const template = app.synth().getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, Resource>;
    };
    return template;
  } finally {
    if (previous === undefined) delete process.env.CDK_OUTDIR;
    else process.env.CDK_OUTDIR = previous;
  }
}

/** The staged asset directory of a function: from asset metadata, else from its code's S3 key (the asset hash). */
function assetDirectory(outdir: string, resource: Resource): string {
  const fromMetadata = resource.Metadata?.[ASSET_PATH_METADATA];
  if (typeof fromMetadata === 'string') return path.resolve(outdir, fromMetadata);
  const code = resource.Properties?.Code as { S3Key?: unknown } | undefined;
  if (typeof code?.S3Key === 'string') return path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  throw new Error('a function without a staged asset');
}

/**
 * What a function's process holds at init in Lambda: the template's variables
 * (intrinsics resolved to placeholder names and ARNs, which parse as the real
 * ones do) and the runtime's own, credentials being dummies. The SDK's Node 20
 * deprecation warning is silenced: Lambda runs Node 24, which has none.
 */
function lambdaEnvironment(
  logicalId: string,
  resource: Resource,
  templateEnvironment: Record<string, unknown>,
  assetDir: string,
) {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(templateEnvironment)) {
    variables[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(resource.Properties?.MemorySize ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2025/01/01/[$LATEST]bench',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'bench',
    AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    LAMBDA_TASK_ROOT: assetDir,
    _HANDLER: String(resource.Properties?.Handler ?? 'index.handler'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...variables,
  };
}

/** Imports the bundle in a fresh process; answers the import's wall and CPU milliseconds (Node's start-up not included). */
export async function timeImport(bundle: string, env: Record<string, string>): Promise<{ ms: number; cpuMs: number }> {
  // Lambda's runtime defines `awslambda` before init, and streaming handlers call it as they load:
  // a stand-in is set before the clock starts, so the runtime's part is not counted as ours.
  const script =
    'globalThis.awslambda ??= { streamifyResponse: (fn) => fn, HttpResponseStream: { from: (stream) => stream } };' +
    ' const cpu = process.cpuUsage(); const started = performance.now(); await import(process.argv[1]);' +
    ' const ms = performance.now() - started; const { user, system } = process.cpuUsage(cpu);' +
    ' process.stdout.write(JSON.stringify({ ms, cpuMs: (user + system) / 1000 })); process.exit(0);';
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(bundle).href], {
    cwd: path.dirname(bundle),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`importing ${bundle} failed (${code}): ${stderr.slice(-2000)}`);
  return JSON.parse(stdout) as { ms: number; cpuMs: number };
}

/** The construct path without the stack and `Resource` (and `Default`, which CDK hides too): `Api/GetStatusFunction`. */
function functionName(resource: Resource, logicalId: string): string {
  const cdkPath = resource.Metadata?.[CDK_PATH_METADATA];
  if (typeof cdkPath !== 'string') return logicalId;
  const parts = cdkPath.split('/').slice(1, -1);
  return parts.filter((part) => part !== 'Default').join('/') || logicalId;
}

/** Synthesizes the app with bundling and measures every function's bundle and init, one after the other. */
export async function runLambdaBench(options: LambdaBenchOptions = {}): Promise<LambdaMeasurement[]> {
  const samples = options.samples ?? 10;
  const outdir = await mkdtemp(path.join(tmpdir(), 'framebridge-lambda-bench-'));
  try {
    const template = await synthesizeWithBundling(outdir);
    const { extractFunctions } = await import('../local/template');
    const functions = Object.values(extractFunctions(template, { region: REGION }));
    const measurements: LambdaMeasurement[] = [];
    for (const fn of functions) {
      const resource = template.Resources[fn.logicalId];
      if (!resource) continue;
      const assetDir = assetDirectory(outdir, resource);
      const bundle = path.join(assetDir, 'index.mjs');
      const bytes = (await stat(bundle)).size;
      const env = lambdaEnvironment(fn.logicalId, resource, fn.environment, assetDir);
      const initMsSamples: number[] = [];
      const cpuMsSamples: number[] = [];
      for (let sample = 0; sample < samples; sample++) {
        const { ms, cpuMs } = await timeImport(bundle, env);
        initMsSamples.push(round(ms));
        cpuMsSamples.push(cpuMs);
      }
      const initMsMedian = round(median(initMsSamples));
      measurements.push({
        function: functionName(resource, fn.logicalId),
        logicalId: fn.logicalId,
        handler: fn.handler,
        bytes,
        initMsMedian,
        initMsSamples,
        initCpuMsMedian: round(median(cpuMsSamples)),
        meetsSizeTarget: bytes <= TARGETS.bundleBytes,
        meetsInitTarget: initMsMedian <= TARGETS.initMs,
      });
    }
    return measurements.sort((a, b) => a.function.localeCompare(b.function));
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

export const LAMBDA_TARGETS = TARGETS;

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const measurements = await runLambdaBench({ samples: process.argv.includes('--quick') ? 3 : undefined });
  const loadAverage = loadavg()[0];
  process.stdout.write(
    `${JSON.stringify({ targets: TARGETS, node: process.version, loadAverage, measurements }, null, 2)}\n`,
  );
}
