import { type HistoryEvent, paginateGetExecutionHistory } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { parseEnv } from '../lambdas/core/config';
import { UsageError } from './keysArgs';
import { TargetError } from './keysTarget';
import { type LogsCommand, logsUsage, parseLogsArgs } from './logsArgs';
import { findJobExecution, type JobSummary, NotFoundError } from './logsExecution';
import { formatTimeline, timelineJson } from './logsFormat';
import { type LogsSource, openLogsSource } from './logsTarget';
import { buildTimeline } from './logsTimeline';

/** Where the local stack writes `endpoints.json`, as `startLocalStack` resolves it. */
const cliEnv = parseEnv(
  z.object({ FRAMEBRIDGE_DATA_DIR: z.string().default('.framebridge'), SEGMIND_API_KEY: z.string().optional() }),
);

const complain = (text: string) => process.stderr.write(`${text}\n`);

/** The whole history, oldest first, page by page (GetExecutionHistory answers at most 1000 events a call). */
async function historyOf(source: LogsSource, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: source.sfn, pageSize: 1000 }, { executionArn })) {
    events.push(...(page.events ?? []));
  }
  return events;
}

const jobText = (job: JobSummary) =>
  [job.id, job.status, job.phase && `(${job.phase})`, job.error && `${job.error.code}`].filter(Boolean).join('  ');

async function show(command: Extract<LogsCommand, { action: 'show' }>, source: LogsSource): Promise<void> {
  const { subject } = command;
  const { executionArn, job } =
    subject.kind === 'execution'
      ? { executionArn: subject.executionArn, job: undefined }
      : await findJobExecution(source, subject.jobId);
  const events = await historyOf(source, executionArn);
  const timeline = buildTimeline(events);
  const secrets = [...source.secrets, cliEnv.SEGMIND_API_KEY ?? ''];
  if (command.json) {
    process.stdout.write(`${JSON.stringify({ executionArn, job, ...timelineJson(timeline, secrets) }, null, 2)}\n`);
    return;
  }
  const header = [
    { label: 'Execution', value: executionArn },
    ...(job ? [{ label: 'Job', value: jobText(job) }] : []),
    { label: 'Stack', value: source.description },
  ];
  process.stdout.write(formatTimeline(timeline, { full: command.full, secrets, header }));
}

/** `framebridge logs …`: 0 shown, 1 not found or the stack could not be reached, 2 bad input. */
export async function logs(argv: string[]): Promise<number> {
  let command: LogsCommand;
  try {
    command = parseLogsArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    complain(`${error.message}\nRun \`npx tsx cli/framebridge.ts logs --help\` for the usage.`);
    return 2;
  }
  if (command.action === 'help') {
    process.stdout.write(logsUsage);
    return 0;
  }
  let source: LogsSource;
  try {
    source = await openLogsSource(command.target, cliEnv.FRAMEBRIDGE_DATA_DIR);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    complain(error.message);
    return 1;
  }
  try {
    await show(command, source);
    return 0;
  } catch (error) {
    if (error instanceof NotFoundError) complain(error.message);
    else if (error instanceof Error && error.name === 'ExecutionDoesNotExist') {
      complain(`${error.message} in ${source.description}.`);
    } else complain(source.explain(error));
    return 1;
  } finally {
    source.close();
  }
}
