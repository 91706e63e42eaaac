import type { EmulatorScenario } from './jobs';

/**
 * Prompt tags that script the emulator's outcome, so that a developer running the local
 * stack can watch a job fail, expire or drag on without breaking a frame URL. They only
 * mean something to the emulator: against the real Segmind (in AWS, or locally with
 * SEGMIND_API_KEY set) a tag is plain prompt text.
 */

/** How many times its normal latency an `[emulate:slow]` job takes, and its least duration. */
export const SLOW_JOB = { factor: 10, minSeconds: 60 } as const;

/** Segmind-like messages, each naming its tag so that nobody mistakes the outcome for a real one. */
export const FAILURE_TAG_MESSAGES = {
  failed: 'Video generation failed: the model could not produce a video for this input (emulated by [emulate:failed])',
  rejected: 'Invalid request: the parameters were refused at submit (emulated by [emulate:rejected])',
} as const;

/** Each tag's scenario. Several tags combine: `[emulate:slow] [emulate:failed]` is a long job that fails. */
const TAG_SCENARIOS = {
  /** The upstream job runs its normal latency, then ends FAILED (HTTP 422) with a message. */
  failed: { fail: FAILURE_TAG_MESSAGES.failed },
  /** The upstream no longer knows the request when it is read (HTTP 404), as after its 1-hour record expiry. */
  expired: { expireImmediately: true },
  /** The job stays PROCESSING for SLOW_JOB.factor × the latency (at least SLOW_JOB.minSeconds), then completes. */
  slow: { slowdown: SLOW_JOB },
  /** The submit itself answers 400, as Segmind does for bad parameters; nothing is billed. */
  rejected: { rejectSubmit: FAILURE_TAG_MESSAGES.rejected },
} as const satisfies Record<string, EmulatorScenario>;

export type FailureTag = keyof typeof TAG_SCENARIOS;

export const FAILURE_TAGS = Object.keys(TAG_SCENARIOS) as FailureTag[];

/** `[emulate:NAME]` anywhere in the prompt; NAME is matched case-insensitively. */
const TAG_PATTERN = /\[emulate:([^\]]*)\]/gi;

const isFailureTag = (name: string): name is FailureTag => Object.hasOwn(TAG_SCENARIOS, name);

/** The tags a prompt holds, known and unknown, each once, in order of appearance. */
export function findFailureTags(prompt: string): { known: FailureTag[]; unknown: string[] } {
  const known = new Set<FailureTag>();
  const unknown = new Set<string>();
  for (const match of prompt.matchAll(TAG_PATTERN)) {
    const name = (match[1] ?? '').trim().toLowerCase();
    if (isFailureTag(name)) known.add(name);
    else unknown.add(match[0]);
  }
  return { known: [...known], unknown: [...unknown] };
}

/**
 * The scenario a submitted body's prompt asks for, or undefined without a tag. A tag the
 * emulator does not know is refused (submit 400 naming the known tags) rather than ignored:
 * a typo must not pass for a normal run.
 */
export function failureTagScenario(request: Record<string, unknown>): EmulatorScenario | undefined {
  if (typeof request.prompt !== 'string') return undefined;
  const { known, unknown } = findFailureTags(request.prompt);
  if (unknown.length > 0) {
    const list = FAILURE_TAGS.map((tag) => `[emulate:${tag}]`).join(', ');
    return { rejectSubmit: `Unknown emulator tag ${unknown.join(', ')} in prompt; known tags: ${list}` };
  }
  if (known.length === 0) return undefined;
  const scenario: EmulatorScenario = {};
  for (const tag of known) Object.assign(scenario, TAG_SCENARIOS[tag]);
  return scenario;
}

type ScenarioHook = (request: Record<string, unknown>) => EmulatorScenario | undefined;

/** The prompt tags behind a caller's own scenario hook: the caller's scenario wins whenever it returns one. */
export function withFailureTags(scenario: ScenarioHook | undefined): ScenarioHook {
  return (request) => scenario?.(request) ?? failureTagScenario(request);
}
