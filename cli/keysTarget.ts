import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { KeyStore } from '../lambdas/adapters/keyStore';
import { STACK_OUTPUTS } from '../lambdas/core/contract/names';
import type { KeysTarget } from './keysArgs';

/** The keys table could not be found or reached (exit 1). */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** A keys table to act on, and how to explain a failure to reach it. */
export interface OpenedKeyStore {
  store: KeyStore;
  /** `local` answers at once to a revoke; `deployed` within the authorizer's cache time. */
  kind: KeysTarget['kind'];
  /** Which table, where: printed with each answer. */
  description: string;
  /** A failure to reach or use the table, as the operator can act on it. */
  explain: (error: unknown) => string;
  close: () => void;
}

/** What `framebridge keys` needs of `<data dir>/endpoints.json`. */
const localEndpointsSchema = z.object({
  dynamoDbUrl: z.url(),
  region: z.string().min(1),
  credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }),
  keysTable: z.string().min(1),
});

/** `cdk deploy --outputs-file` writes `{StackName: {OutputKey: value}}`. */
const outputsFileSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

const documentClient = (config: DynamoDBClientConfig) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });

/** Node's error code (`ENOENT`, `ECONNREFUSED`), when there is one. */
function errorCode(error: unknown): string | undefined {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TargetError(`${what}: cannot read ${file} (${errorCode(error) ?? messageOf(error)})`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TargetError(`${what}: ${file} is not JSON (${messageOf(error)})`, { cause: error });
  }
}

/** The running local stack, found through the endpoints file it writes at start. */
async function openLocal(dataDir: string): Promise<OpenedKeyStore> {
  const file = path.resolve(dataDir, 'endpoints.json');
  const notRunning = 'The local stack is not running';
  const howToStart =
    'Start it with `npm run dev` (with the same FRAMEBRIDGE_DATA_DIR), or pass --outputs FILE for a deployed stack.';
  const parsed = localEndpointsSchema.safeParse(
    await readJson(file, 'The local stack').catch((error: unknown) => {
      if (error instanceof TargetError && errorCode(error.cause) === 'ENOENT') {
        throw new TargetError(`${notRunning}: there is no ${file}. ${howToStart}`);
      }
      throw error;
    }),
  );
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new TargetError(
      `${file} has no valid ${fields}: it was written by an older local stack. Restart the stack (\`npm run dev\`).`,
    );
  }
  const endpoints = parsed.data;
  const doc = documentClient({
    endpoint: endpoints.dynamoDbUrl,
    region: endpoints.region,
    credentials: endpoints.credentials,
    maxAttempts: 2,
  });
  return {
    store: { doc, tableName: endpoints.keysTable },
    kind: 'local',
    description: `keys table ${endpoints.keysTable} of the local stack (${file})`,
    explain: (error) =>
      errorCode(error) === 'ECONNREFUSED'
        ? `${notRunning}: nothing answers at ${endpoints.dynamoDbUrl} (${file} is left from an earlier run). ${howToStart}`
        : messageOf(error),
    close: () => doc.destroy(),
  };
}

/** The one stack of the outputs file that has a keys table, or the one named. */
function keysTableOf(outputs: z.infer<typeof outputsFileSchema>, file: string, stackName: string | undefined) {
  const output = STACK_OUTPUTS.keysTableName;
  if (stackName !== undefined) {
    const table = outputs[stackName]?.[output];
    if (typeof table !== 'string' || table === '') {
      throw new TargetError(`--stack: ${file} has no ${output} output for the stack ${stackName}`);
    }
    return { stack: stackName, table };
  }
  const stacks = Object.entries(outputs).flatMap(([stack, values]) => {
    const table = values[output];
    return typeof table === 'string' && table !== '' ? [{ stack, table }] : [];
  });
  const [only, ...others] = stacks;
  if (!only) {
    throw new TargetError(
      `--outputs: ${file} has no stack with a ${output} output. Write it with \`npx cdk deploy --outputs-file ${file}\` from a framebridge with API keys.`,
    );
  }
  if (others.length > 0) {
    throw new TargetError(
      `--outputs: ${file} has several stacks with keys (${stacks.map((s) => s.stack).join(', ')}): name one with --stack`,
    );
  }
  return only;
}

function explainAws(error: unknown, table: string, region: string): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'ResourceNotFoundException') {
    return `The keys table ${table} does not exist in ${region}: is AWS_REGION the deployed stack's region?`;
  }
  if (name === 'CredentialsProviderError') {
    return `No AWS credentials were found (${messageOf(error)}): configure them as for the AWS CLI, e.g. AWS_PROFILE.`;
  }
  return `AWS answered ${name || 'an error'}: ${messageOf(error)}`;
}

/** A deployed stack: its keys table from the outputs file, through the default AWS credential chain. */
async function openDeployed(outputsFile: string, stackName: string | undefined): Promise<OpenedKeyStore> {
  const file = path.resolve(outputsFile);
  const outputs = outputsFileSchema.safeParse(await readJson(file, '--outputs'));
  if (!outputs.success) {
    throw new TargetError(
      `--outputs: ${file} is not what \`cdk deploy --outputs-file\` writes ({"Stack": {"Output": value}})`,
    );
  }
  const { stack, table } = keysTableOf(outputs.data, file, stackName);
  // Region, credentials and AWS_ENDPOINT_URL_DYNAMODB come from the SDK's own configuration chain.
  const doc = documentClient({});
  let region: string;
  try {
    region = await doc.config.region();
  } catch (error) {
    doc.destroy();
    throw new TargetError(`No AWS region is configured: set AWS_REGION to the region of the stack ${stack}.`, {
      cause: error,
    });
  }
  return {
    store: { doc, tableName: table },
    kind: 'deployed',
    description: `keys table ${table} of the stack ${stack} (${region})`,
    explain: (error) => explainAws(error, table, region),
    close: () => doc.destroy(),
  };
}

/** Opens the keys table a `framebridge keys` command acts on. */
export function openKeyStore(target: KeysTarget, dataDir: string): Promise<OpenedKeyStore> {
  return target.kind === 'local' ? openLocal(dataDir) : openDeployed(target.outputsFile, target.stackName);
}
