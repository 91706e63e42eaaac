#!/usr/bin/env -S npx tsx
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LocalStack } from '../local/stack';
import { keys } from './keys';
import { logs } from './logs';
import { runTransition, type TransitionOptions } from './runTransition';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `framebridge — AI video transitions, locally

  npm start -- [--first F] [--last F] [--prompt P] [--duration 5|8] [--quality 360p|540p|720p|1080p]
               [--seed N] [--no-sound] [--out file.mp4]
      Runs one transition end to end on the local stack and writes the MP4.
      F is a local image path (PNG, JPEG, WebP) or an https URL.

  npm run dev
      Keeps the local stack up until Ctrl-C; GET /healthz answers 200 when ready.

  npx tsx cli/framebridge.ts keys create --tenant NAME | keys list | keys revoke KEY_ID
      Issues, lists and revokes API keys of the local stack, or of a deployed one with
      --outputs FILE; \`keys --help\` tells more.

  npx tsx cli/framebridge.ts logs JOB_ID [--full] [--json] [--outputs FILE]
      Shows a job's execution as a timeline: each state, its duration, its input and output,
      and the error that ended it (secrets redacted); \`logs --help\` tells more.
`;

const examples = path.resolve(import.meta.dirname, '..', 'examples', 'frames');

function parseRunOptions(argv: string[]): TransitionOptions & { out: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      first: { type: 'string', default: path.join(examples, 'first.png') },
      last: { type: 'string', default: path.join(examples, 'last.png') },
      prompt: { type: 'string', default: 'A slow cinematic transition from dawn over the hills to a starry night' },
      duration: { type: 'string' },
      quality: { type: 'string' },
      seed: { type: 'string' },
      'no-sound': { type: 'boolean', default: false },
      out: { type: 'string', default: 'transition.mp4' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  // Numbers are passed as typed so the API's validation answers, naming the field.
  const asNumber = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  return {
    first: values.first,
    last: values.last,
    prompt: values.prompt,
    duration: asNumber(values.duration),
    quality: values.quality,
    seed: asNumber(values.seed),
    sound: !values['no-sound'],
    out: path.resolve(values.out),
  };
}

async function run(argv: string[]): Promise<number> {
  const options = parseRunOptions(argv);
  const started = Date.now();
  const port = process.env.FRAMEBRIDGE_PORT ? Number(process.env.FRAMEBRIDGE_PORT) : 0;
  process.stdout.write('Starting the local stack…\n');
  let stack: LocalStack | undefined;
  try {
    // Loaded on demand: synthesizing the stack takes seconds that `keys` does not need.
    const { startLocalStack } = await import('../local/stack');
    stack = await startLocalStack({ port });
    const upstream = stack.endpoints.segmindIsEmulator ? 'Segmind emulator' : stack.endpoints.segmindUrl;
    process.stdout.write(
      `Local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s (upstream: ${upstream})\n`,
    );
    const result = await runTransition(stack, options, (line) => process.stdout.write(line));
    if (result.status === 'FAILED') {
      process.stderr.write(`\nTransition failed [${result.code}]: ${result.message}\n`);
      return 1;
    }
    await writeFile(options.out, result.video);
    const execution = stack.stepFunctions.describe(result.executionArn);
    const mainDefinition = stack.template.stateMachines.find(
      (machine) => machine.arn === stack?.endpoints.stateMachineArn,
    );
    const lambdaInvocations = Object.entries(execution.invocationsByState)
      .filter(([state]) => mainDefinition?.definition.States[state]?.Resource === 'arn:aws:states:::lambda:invoke')
      .reduce((sum, [, count]) => sum + count, 0);
    process.stdout.write(
      [
        '',
        `Job id:        ${result.jobId}`,
        `S3 URI:        ${result.s3Uri}`,
        `Presigned URL: ${result.videoUrl}`,
        `Wrote:         ${options.out} (${result.video.length} bytes)`,
        `Workflow:      ${execution.stateTransitions} state transitions, ${lambdaInvocations} Lambda invocations, ${execution.taskInvocations - lambdaInvocations} other task calls (EventBridge)`,
        `Wall time:     ${((Date.now() - started) / 1000).toFixed(1)} s`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await stack?.close();
  }
}

async function dev(): Promise<number> {
  const { startLocalStack } = await import('../local/stack');
  const stack = await startLocalStack();
  const { endpoints } = stack;
  process.stdout.write(
    [
      'framebridge local stack is up:',
      `  API            ${endpoints.apiUrl}   (x-api-key: ${endpoints.apiKeys.map((key) => `${key} → tenant ${stack.ownerOf(key)}`).join(', ')})`,
      `  S3             ${endpoints.s3Url}   bucket ${endpoints.bucket}`,
      `  Step Functions ${endpoints.stepFunctionsUrl}   ${endpoints.stateMachineArn}`,
      `  DynamoDB       ${endpoints.dynamoDbUrl}   tables ${endpoints.jobsTable}, ${endpoints.keysTable} (npx tsx cli/framebridge.ts keys --help)`,
      `  Segmind        ${endpoints.segmindUrl}${endpoints.segmindIsEmulator ? ' (emulator)' : ''}`,
      `  Endpoints file ${stack.endpointsFile}`,
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('Stopping…\n');
  await stack.close();
  return 0;
}

const [command = 'run', ...rest] = process.argv.slice(2);
const commands: Record<string, (argv: string[]) => Promise<number>> = { run, dev, keys, logs };
const selected = commands[command];
if (!selected) {
  process.stderr.write(usage);
  process.exit(2);
}
process.exitCode = await selected(rest);
