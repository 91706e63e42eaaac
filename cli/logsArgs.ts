import { parseArgs } from 'node:util';
import { UsageError } from './keysArgs';

/** Where `framebridge logs` looks: the running local stack, or a deployed stack named by its outputs file. */
export type LogsTarget = { kind: 'local' } | { kind: 'deployed'; outputsFile: string; stackName?: string };

export type LogsCommand =
  | { action: 'help' }
  | {
      action: 'show';
      /** A job id, or the ARN of an execution. */
      subject: { kind: 'job'; jobId: string } | { kind: 'execution'; executionArn: string };
      target: LogsTarget;
      /** Whole inputs and outputs, pretty-printed, and each task's parameters. */
      full: boolean;
      json: boolean;
    };

export const logsUsage = `framebridge logs — what each step of a job's execution received and returned

  logs JOB_ID [--full] [--json]
      The job's execution as a timeline: each state with its start, its duration, its input and
      output, each task call (and each retry) with its outcome, and the error that ended it.
      Presigned URL signatures, credentials and secrets are shown as [redacted].
  logs EXECUTION_ARN
      The same for any execution of the stack's state machines (webhook deliveries, too).

    --full                          whole inputs and outputs, pretty-printed, with task parameters
                                    (by default each is cut to one line).
    --json                          prints the timeline as JSON.
    --outputs FILE [--stack NAME]   the deployed stack in the file \`cdk deploy --outputs-file FILE\`
                                    wrote, instead of the local stack (<data dir>/endpoints.json,
                                    FRAMEBRIDGE_DATA_DIR, default .framebridge/); uses the default AWS
                                    credentials and region (AWS_REGION), and AWS_ENDPOINT_URL_SFN /
                                    AWS_ENDPOINT_URL_DYNAMODB when set.
`;

/** What Step Functions allows in an execution name, which a job id is part of. */
const JOB_ID = /^[0-9A-Za-z_-]{1,80}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

const options = {
  outputs: { type: 'string' },
  stack: { type: 'string' },
  full: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function readArgs(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    throw new UsageError(unknown ? `${unknown}: is not an option of \`logs\`` : message);
  }
}

/** Reads `logs …`; throws a UsageError naming the argument and the rule it breaks. */
export function parseLogsArgs(argv: string[]): LogsCommand {
  const parsed = readArgs(argv);
  const { values, positionals } = parsed;
  if (values.help) return { action: 'help' };
  const [given, ...extra] = positionals;
  if (given === undefined) throw new UsageError('JOB_ID: is required (a job id or an execution ARN)');
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}': give one job id`);
  let subject: Extract<LogsCommand, { action: 'show' }>['subject'];
  if (given.startsWith('arn:')) {
    if (!EXECUTION_ARN.test(given))
      throw new UsageError(`EXECUTION_ARN: is not the ARN of an execution (got "${given}")`);
    subject = { kind: 'execution', executionArn: given };
  } else {
    if (!JOB_ID.test(given)) throw new UsageError(`JOB_ID: must be 1–80 of [0-9A-Za-z_-] (got "${given}")`);
    subject = { kind: 'job', jobId: given };
  }
  if (values.outputs === '') throw new UsageError('--outputs: must name a file');
  if (values.stack !== undefined && values.outputs === undefined) {
    throw new UsageError('--stack: only goes with --outputs FILE');
  }
  const target: LogsTarget =
    values.outputs === undefined
      ? { kind: 'local' }
      : { kind: 'deployed', outputsFile: values.outputs, stackName: values.stack };
  return { action: 'show', subject, target, full: values.full, json: values.json };
}
