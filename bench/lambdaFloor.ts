/**
 * The floor under the Lambda targets: what each ingredient of our bundles costs
 * on its own, built with the same esbuild options as the CDK bundling and
 * imported in a fresh `node` like the functions are. It answers "how small and
 * how fast can a function that uses X be?" before any of our code runs, and
 * compares bundling the SDK with loading it unbundled, as from the Lambda
 * runtime's own copy.
 *
 *   npx tsx bench/lambdaFloor.ts [--quick]      # prints the JSON result
 */

import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER, LAMBDA_CREDENTIALS_MODULE, repoRoot } from '../infra/constructs/transitionFunction';
import { median, round, timeImport } from './lambdaBench';

/** One ingredient: a module that does what our handlers do with it at init. */
interface Ingredient {
  name: string;
  source: string;
  /** Leave the SDK out of the bundle, resolved at run time from node_modules (the runtime-provided SDK's way). */
  sdkExternal?: boolean;
}

const INGREDIENTS: readonly Ingredient[] = [
  { name: 'empty module', source: 'export const ready = true;' },
  { name: 'middy core', source: "import middy from '@middy/core'; export const handler = middy();" },
  {
    name: 'Powertools logger',
    source: "import { Logger } from '@aws-lambda-powertools/logger'; export const logger = new Logger();",
  },
  {
    name: 'zod (classic API)',
    source:
      "import * as z from 'zod'; export const schema = z.object({ id: z.string().min(1), n: z.number().int().optional() }); schema.parse({ id: 'a' });",
  },
  {
    name: 'zod/mini',
    source:
      "import * as z from 'zod/mini'; export const schema = z.object({ id: z.string().check(z.minLength(1)), n: z.optional(z.int()) }); schema.parse({ id: 'a' });",
  },
  {
    name: 'DynamoDB document client',
    source:
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; export const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));",
  },
  {
    name: 'DynamoDB document client, SDK unbundled',
    source:
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; export const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));",
    sdkExternal: true,
  },
  { name: 'S3 client', source: "import { S3Client } from '@aws-sdk/client-s3'; export const s3 = new S3Client({});" },
  {
    name: 'S3 client + presigner',
    source:
      "import { S3Client } from '@aws-sdk/client-s3'; import { getSignedUrl } from '@aws-sdk/s3-request-presigner'; export const s3 = [new S3Client({}), getSignedUrl];",
  },
  {
    name: 'Step Functions client',
    source: "import { SFNClient } from '@aws-sdk/client-sfn'; export const sfn = new SFNClient({});",
  },
  {
    name: 'Secrets Manager client',
    source:
      "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'; export const secrets = new SecretsManagerClient({});",
  },
];

export interface FloorMeasurement {
  ingredient: string;
  bytes: number;
  initMsMedian: number;
}

/** Builds one ingredient as the CDK bundling builds a handler (see TransitionFunction). */
async function bundle(ingredient: Ingredient, dir: string, index: number): Promise<string> {
  const entry = path.join(dir, `ingredient${index}.ts`);
  const outfile = path.join(dir, `ingredient${index}.mjs`);
  await writeFile(entry, ingredient.source);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    alias: { '@aws-sdk/credential-provider-node': path.join(repoRoot, LAMBDA_CREDENTIALS_MODULE) },
    external: ingredient.sdkExternal ? ['@aws-sdk/*', '@smithy/*'] : [],
    absWorkingDir: repoRoot,
    logLevel: 'error',
  });
  return outfile;
}

/** Each ingredient's bundle size and import time, median of `samples` interleaved runs. */
export async function runLambdaFloor(options: { samples?: number } = {}): Promise<FloorMeasurement[]> {
  const samples = options.samples ?? 10;
  // Inside the repository, so an unbundled SDK resolves from its node_modules as the runtime's would from its own.
  const dir = await mkdtemp(path.join(repoRoot, 'node_modules', '.lambda-floor-'));
  try {
    const bundles = await Promise.all(INGREDIENTS.map((ingredient, index) => bundle(ingredient, dir, index)));
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_LAMBDA_FUNCTION_NAME: 'floor',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const times: number[][] = INGREDIENTS.map(() => []);
    // Interleaved, so a burst of other work on the machine lands on every ingredient alike.
    for (let round_ = 0; round_ < samples; round_ += 1) {
      for (const [index, file] of bundles.entries()) times[index]?.push((await timeImport(file, env)).ms);
    }
    return await Promise.all(
      INGREDIENTS.map(async (ingredient, index) => ({
        ingredient: ingredient.name,
        bytes: (await stat(bundles[index] ?? '')).size,
        initMsMedian: round(median(times[index] ?? [])),
      })),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  console.log(JSON.stringify(await runLambdaFloor({ samples: quick ? 5 : 10 }), null, 2));
}
