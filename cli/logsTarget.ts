import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { STACK_OUTPUTS } from '../lambdas/core/contract/names';
import { TargetError } from './keysTarget';
import type { LogsTarget } from './logsArgs';

/** The stack `framebridge logs` reads: its Step Functions, its jobs table, and what to keep out of the output. */
export interface LogsSource {
  sfn: SFNClient;
  jobs: DynamoDBDocumentClient;
  jobsTable: string;
  /** The transition workflow: a job's execution belongs to it. */
  stateMachineArn: string;
  /** Which stack, where: printed under the timeline. */
  description: string;
  /** Values to redact wherever they appear (the local stack's keys and secrets). */
  secrets: string[];
  /** A failure to reach or read the stack, as the operator can act on it. */
  explain: (error: unknown) => string;
  close: () => void;
}

/** What `framebridge logs` needs of `<data dir>/endpoints.json`. */
const localEndpointsSchema = z.object({
  stepFunctionsUrl: z.url(),
  dynamoDbUrl: z.url(),
  region: z.string().min(1),
  credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }),
  jobsTable: z.string().min(1),
  stateMachineArn: z.string().min(1),
  apiKeys: z.array(z.string()).default([]),
  webhookSecret: z.string().optional(),
});

/** `cdk deploy --outputs-file` writes `{StackName: {OutputKey: value}}`. */
const outputsFileSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const codeOf = (error: unknown) => {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : undefined;
};

async function readJson(file: string, what: string, missing?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (missing && codeOf(error) === 'ENOENT') throw new TargetError(missing);
    throw new TargetError(`${what}: cannot read ${file} (${codeOf(error) ?? messageOf(error)})`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TargetError(`${what}: ${file} is not JSON (${messageOf(error)})`, { cause: error });
  }
}

const documentClient = (client: DynamoDBClient) => DynamoDBDocumentClient.from(client);

/** The running local stack, found through the endpoints file it writes at start. */
async function openLocal(dataDir: string): Promise<LogsSource> {
  const file = path.resolve(dataDir, 'endpoints.json');
  const notRunning = 'The local stack is not running';
  const howToStart =
    'Start it with `npm run dev` (with the same FRAMEBRIDGE_DATA_DIR), or pass --outputs FILE for a deployed stack.';
  const parsed = localEndpointsSchema.safeParse(
    await readJson(file, 'The local stack', `${notRunning}: there is no ${file}. ${howToStart}`),
  );
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new TargetError(`${file} has no valid ${fields}: it was written by an older local stack. Restart it.`);
  }
  const endpoints = parsed.data;
  const connection = { region: endpoints.region, credentials: endpoints.credentials, maxAttempts: 2 };
  const sfn = new SFNClient({ ...connection, endpoint: endpoints.stepFunctionsUrl });
  const jobs = documentClient(new DynamoDBClient({ ...connection, endpoint: endpoints.dynamoDbUrl }));
  return {
    sfn,
    jobs,
    jobsTable: endpoints.jobsTable,
    stateMachineArn: endpoints.stateMachineArn,
    description: `the local stack (${file})`,
    secrets: [endpoints.credentials.secretAccessKey, ...endpoints.apiKeys, endpoints.webhookSecret ?? ''],
    explain: (error) =>
      codeOf(error) === 'ECONNREFUSED'
        ? `${notRunning}: nothing answers at ${endpoints.stepFunctionsUrl} (${file} is left from an earlier run). ${howToStart}`
        : messageOf(error),
    close: () => {
      sfn.destroy();
      jobs.destroy();
    },
  };
}

/** The one stack of the outputs file with a state machine and a jobs table, or the one named. */
function stackOutputs(outputs: z.infer<typeof outputsFileSchema>, file: string, stackName: string | undefined) {
  const wanted = [STACK_OUTPUTS.stateMachineArn, STACK_OUTPUTS.jobsTableName] as const;
  const complete = (values: Record<string, unknown> | undefined) => {
    const [machine, table] = wanted.map((output) => values?.[output]);
    return typeof machine === 'string' && machine !== '' && typeof table === 'string' && table !== ''
      ? { stateMachineArn: machine, jobsTable: table }
      : undefined;
  };
  if (stackName !== undefined) {
    const found = complete(outputs[stackName]);
    if (!found)
      throw new TargetError(`--stack: ${file} has no ${wanted.join(' and ')} outputs for the stack ${stackName}`);
    return { stack: stackName, ...found };
  }
  const stacks = Object.entries(outputs).flatMap(([stack, values]) => {
    const found = complete(values);
    return found ? [{ stack, ...found }] : [];
  });
  const [only, ...others] = stacks;
  if (!only) {
    throw new TargetError(
      `--outputs: ${file} has no stack with ${wanted.join(' and ')} outputs. Write it with \`npx cdk deploy --outputs-file ${file}\`.`,
    );
  }
  if (others.length > 0) {
    throw new TargetError(
      `--outputs: ${file} has several framebridge stacks (${stacks.map((s) => s.stack).join(', ')}): name one with --stack`,
    );
  }
  return only;
}

function explainAws(error: unknown, region: string): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'CredentialsProviderError') {
    return `No AWS credentials were found (${messageOf(error)}): configure them as for the AWS CLI, e.g. AWS_PROFILE.`;
  }
  if (name === 'ResourceNotFoundException' || name === 'StateMachineDoesNotExist') {
    return `${messageOf(error)} in ${region}: is AWS_REGION the deployed stack's region?`;
  }
  return `AWS answered ${name || 'an error'}: ${messageOf(error)}`;
}

/** A deployed stack, from its outputs file, through the default AWS credential chain. */
async function openDeployed(outputsFile: string, stackName: string | undefined): Promise<LogsSource> {
  const file = path.resolve(outputsFile);
  const outputs = outputsFileSchema.safeParse(await readJson(file, '--outputs'));
  if (!outputs.success) {
    throw new TargetError(
      `--outputs: ${file} is not what \`cdk deploy --outputs-file\` writes ({"Stack": {"Output": value}})`,
    );
  }
  const { stack, stateMachineArn, jobsTable } = stackOutputs(outputs.data, file, stackName);
  // Region, credentials and AWS_ENDPOINT_URL_SFN / _DYNAMODB come from the SDK's own configuration chain.
  const sfn = new SFNClient({});
  const jobs = documentClient(new DynamoDBClient({}));
  const close = () => {
    sfn.destroy();
    jobs.destroy();
  };
  let region: string;
  try {
    region = await sfn.config.region();
  } catch (error) {
    close();
    throw new TargetError(`No AWS region is configured: set AWS_REGION to the region of the stack ${stack}.`, {
      cause: error,
    });
  }
  return {
    sfn,
    jobs,
    jobsTable,
    stateMachineArn,
    description: `the stack ${stack} (${region})`,
    secrets: [],
    explain: (error) => explainAws(error, region),
    close,
  };
}

/** Opens the stack a `framebridge logs` command reads. */
export function openLogsSource(target: LogsTarget, dataDir: string): Promise<LogsSource> {
  return target.kind === 'local' ? openLocal(dataDir) : openDeployed(target.outputsFile, target.stackName);
}
