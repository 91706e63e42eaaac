import { redactData, redactText } from './logsRedact';
import { stepDurationMs, type TaskCall, type Timeline, type TimelineStep } from './logsTimeline';

/**
 * A timeline as an operator reads it: one block per state with its offset from
 * the start, its duration, its input and output (and each task call), then
 * how the execution ended. Every value is redacted before it is shown.
 */

export interface FormatOptions {
  /** Whole values, pretty-printed, with task parameters; otherwise each value on one cut line. */
  full: boolean;
  /** Values to redact wherever they appear. */
  secrets: readonly string[];
  /** The header's lines above the timeline (execution, job). */
  header: { label: string; value: string }[];
}

/** A one-line value is cut here: long enough to read an id, a status, an error. */
const LINE_LIMIT = 240;
const LABEL_WIDTH = 9;
const STEP_INDENT = ' '.repeat(12);

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

const offset = (at: Date, start: Date | undefined) =>
  start === undefined ? '' : `+${((at.getTime() - start.getTime()) / 1000).toFixed(1)} s`;

/** A redacted value: cut to one line, or pretty-printed and indented under its label. */
function valueText(text: string, options: FormatOptions): string {
  const { text: safe, value } = redactData(text, options.secrets);
  if (options.full) {
    const pretty = value === undefined ? safe : JSON.stringify(value, null, 2);
    return pretty.replaceAll('\n', `\n${STEP_INDENT}${' '.repeat(LABEL_WIDTH)}`);
  }
  const oneLine = safe.replace(/\s*\n\s*/g, ' ');
  return oneLine.length <= LINE_LIMIT
    ? oneLine
    : `${oneLine.slice(0, LINE_LIMIT)}… (${oneLine.length - LINE_LIMIT} more characters; --full shows all)`;
}

const line = (label: string, value: string) => `${STEP_INDENT}${label.padEnd(LABEL_WIDTH)}${value}`;

/**
 * An error's cause as a person reads it: a Lambda error document
 * (`{"errorType", "errorMessage"}`) shows its message, anything else as is.
 */
export function errorText(error: string | undefined, cause: string | undefined, secrets: readonly string[]): string {
  let message = cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not a Lambda error document: the cause is the message.
  }
  const text = [error, message].filter(Boolean).join(': ');
  return redactText(text || 'no error or cause given', secrets);
}

function callLines(call: TaskCall, index: number, options: FormatOptions): string[] {
  const took = call.endedAt ? formatDuration(call.endedAt.getTime() - call.scheduledAt.getTime()) : 'no answer';
  const outcome =
    call.outcome === 'succeeded' || call.outcome === 'running'
      ? call.outcome
      : `${call.outcome}  ${errorText(call.error, call.cause, options.secrets)}`;
  const lines = [line(`call ${index + 1}`, `${call.resource}  ${took}  ${outcome}`)];
  if (options.full && call.parameters !== undefined) lines.push(line('params', valueText(call.parameters, options)));
  return lines;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * On one line, a state's output as what it changed in its input, when it
 * mostly passed the input on (ResultPath, a Choice, a Wait): the change is
 * what there is to read. Otherwise, or with --full, the whole output.
 */
function outputText(step: TimelineStep, options: FormatOptions): string {
  if (step.output === step.input) return 'the input, unchanged';
  const output = step.output ?? '';
  if (options.full || step.input === undefined) return valueText(output, options);
  const before = redactData(step.input, options.secrets).value;
  const after = redactData(output, options.secrets).value;
  if (!isObject(before) || !isObject(after)) return valueText(output, options);
  const same = (key: string) =>
    Object.hasOwn(before, key) && JSON.stringify(before[key]) === JSON.stringify(after[key]);
  const kept = Object.keys(after).filter(same);
  if (kept.length * 2 < Object.keys(after).length) return valueText(output, options);
  const changed = Object.fromEntries(Object.entries(after).filter(([key]) => !same(key)));
  const removed = Object.keys(before).filter((key) => !Object.hasOwn(after, key));
  const parts = [
    Object.keys(changed).length > 0 ? `the input with ${valueText(JSON.stringify(changed), options)}` : 'the input',
    removed.length > 0 ? `without ${removed.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** A state's input: most states get the one before's output, which is printed once, just above. */
function inputText(step: TimelineStep, previous: TimelineStep | undefined, options: FormatOptions): string {
  const input = step.input ?? '';
  return previous?.output === input && !options.full ? "the previous state's output" : valueText(input, options);
}

function stepLines(
  step: TimelineStep,
  previous: TimelineStep | undefined,
  timeline: Timeline,
  options: FormatOptions,
): string[] {
  const duration = stepDurationMs(step, timeline);
  const took = duration === undefined ? 'running' : formatDuration(duration);
  const lines = [`${offset(step.enteredAt, timeline.startedAt).padStart(10)}  ${step.name} (${step.type})  ${took}`];
  if (step.input !== undefined) lines.push(line('input', inputText(step, previous, options)));
  step.calls.forEach((call, index) => {
    lines.push(...callLines(call, index, options));
  });
  if (step.output !== undefined) lines.push(line('output', outputText(step, options)));
  if (step.aborted) lines.push(line('aborted', `the execution ended ${timeline.outcome} in this state`));
  return lines;
}

function endLines(timeline: Timeline, options: FormatOptions): string[] {
  const total =
    timeline.startedAt && timeline.endedAt
      ? ` after ${formatDuration(timeline.endedAt.getTime() - timeline.startedAt.getTime())}`
      : '';
  if (timeline.outcome === 'RUNNING') return ['Still running.'];
  if (timeline.outcome === 'SUCCEEDED') {
    const output = timeline.output === undefined ? '' : `\n${line('output', valueText(timeline.output, options))}`;
    return [`SUCCEEDED${total}.${output}`];
  }
  return [`${timeline.outcome}${total}: ${errorText(timeline.error, timeline.cause, options.secrets)}`];
}

export function formatTimeline(timeline: Timeline, options: FormatOptions): string {
  const width = Math.max(...options.header.map(({ label }) => label.length)) + 2;
  const header = options.header.map(
    ({ label, value }) => `${label.padEnd(width)}${redactText(value, options.secrets)}`,
  );
  const started = timeline.startedAt ? [`${'Started'.padEnd(width)}${timeline.startedAt.toISOString()}`] : [];
  const steps = timeline.steps.flatMap((step, index) => stepLines(step, timeline.steps[index - 1], timeline, options));
  return [...header, ...started, '', ...steps, '', ...endLines(timeline, options), ''].join('\n');
}

/** The timeline as JSON (`--json`): the same redacted values, parsed where they are JSON, durations in ms. */
export function timelineJson(timeline: Timeline, secrets: readonly string[]) {
  const data = (text: string | undefined) => {
    if (text === undefined) return undefined;
    const { text: safe, value } = redactData(text, secrets);
    return value === undefined ? safe : value;
  };
  const safe = (text: string | undefined) => (text === undefined ? undefined : redactText(text, secrets));
  return {
    outcome: timeline.outcome,
    startedAt: timeline.startedAt?.toISOString(),
    endedAt: timeline.endedAt?.toISOString(),
    input: data(timeline.input),
    output: data(timeline.output),
    error: safe(timeline.error),
    cause: safe(timeline.cause),
    steps: timeline.steps.map((step) => ({
      name: step.name,
      type: step.type,
      enteredAt: step.enteredAt.toISOString(),
      exitedAt: step.exitedAt?.toISOString(),
      durationMs: stepDurationMs(step, timeline),
      input: data(step.input),
      output: data(step.output),
      aborted: step.aborted,
      calls: step.calls.map((call) => ({
        resource: call.resource,
        outcome: call.outcome,
        scheduledAt: call.scheduledAt.toISOString(),
        durationMs: call.endedAt ? call.endedAt.getTime() - call.scheduledAt.getTime() : undefined,
        parameters: data(call.parameters),
        output: data(call.output),
        error: safe(call.error),
        cause: safe(call.cause),
      })),
    })),
  };
}
