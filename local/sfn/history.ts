import type { StateMachine } from 'aws-local-stepfunctions';
import type { TaskResource } from './taskResource';

/** One event of the library's event log (aws-local-stepfunctions' `EventLog`, which it does not export). */
export type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** An execution history event with AWS's type; `details` go under the type's details member on the wire. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  /** The state the event belongs to (state and task events). */
  stateName?: string;
  details?: Record<string, unknown>;
}

/** What a Task state's TaskScheduled event says about its integration, besides the parameters. */
export interface TaskScheduling extends TaskResource {
  region: string;
  timeoutInSeconds?: number;
  heartbeatInSeconds?: number;
}

/** One call of a Task's integration, as the local handler saw it. */
interface TaskCall {
  stateName: string;
  scheduling: TaskScheduling;
  parameters: string;
  scheduledAt: Date;
  /** The integration's raw answer, once it answered. */
  succeeded?: { output: string; at: Date };
}

const NOT_TRUNCATED = { truncated: false };
const json = (value: unknown) => JSON.stringify(value ?? null);
/** AWS reports a state being left unfinished when the execution ends under it only for these types. */
const ABORTABLE_STATE_TYPES = new Set(['Task', 'Wait', 'Map', 'Parallel']);

/**
 * Turns aws-local-stepfunctions' event log, and the calls the local Task
 * handlers received, into the history Step Functions keeps: AWS's event types
 * (`TaskStateEntered`, `TaskScheduled`, `ExecutionSucceeded`, …) with their
 * details, inputs and outputs as JSON text.
 *
 * The library emits no task events, so each handler call is held per state
 * until the library's event that ends that attempt (StateExited or
 * StateFailed) is read: the log is read asynchronously, after the call was
 * made, and attempts of one state run one after another, so the oldest held
 * call is the attempt that event ends.
 */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  private readonly heldCalls = new Map<string, TaskCall[]>();
  private openState: { name: string; type: string } | undefined;

  constructor(
    private readonly execution: {
      roleArn?: string;
      /** Why the execution was stopped (StopExecution's error and cause), read when it ends aborted. */
      stopReason: () => { error?: string; cause?: string } | undefined;
    },
  ) {}

  /** A Task handler was called with these parameters; answers the function to call with its raw answer. */
  taskCalled(stateName: string, scheduling: TaskScheduling, parameters: unknown): (output: unknown) => void {
    const call: TaskCall = { stateName, scheduling, parameters: json(parameters), scheduledAt: new Date() };
    this.heldCalls.set(stateName, [...(this.heldCalls.get(stateName) ?? []), call]);
    return (output) => {
      call.succeeded = { output: json(output), at: new Date() };
    };
  }

  record(event: LibraryEvent): void {
    const at = new Date(event.timestamp);
    switch (event.type) {
      case 'ExecutionStarted':
        this.add(at, 'ExecutionStarted', undefined, {
          input: json(event.input),
          inputDetails: NOT_TRUNCATED,
          ...(this.execution.roleArn ? { roleArn: this.execution.roleArn } : {}),
        });
        return;
      case 'StateEntered':
        this.openState = { name: event.state.name, type: event.state.type };
        this.add(at, `${event.state.type}StateEntered`, event.state.name, {
          name: event.state.name,
          input: json(event.state.input),
          inputDetails: NOT_TRUNCATED,
        });
        return;
      case 'StateFailed':
        if (event.state.type === 'Task') this.endCall(event.state.name, at, { error: event.Error, cause: event.Cause });
        return;
      case 'StateExited':
        if (event.state.type === 'Task') this.endCall(event.state.name, at);
        this.openState = undefined;
        this.add(at, `${event.state.type}StateExited`, event.state.name, {
          name: event.state.name,
          output: json(event.state.output),
          outputDetails: NOT_TRUNCATED,
        });
        return;
      case 'ExecutionSucceeded':
        this.add(at, 'ExecutionSucceeded', undefined, { output: json(event.output), outputDetails: NOT_TRUNCATED });
        return;
      case 'ExecutionFailed':
        this.add(at, 'ExecutionFailed', undefined, { error: event.Error, cause: causeText(event.Cause) });
        return;
      case 'ExecutionAborted':
        this.leaveOpenState(at);
        this.add(at, 'ExecutionAborted', undefined, withoutUndefined(this.execution.stopReason() ?? {}));
        return;
      case 'ExecutionTimeout':
        this.leaveOpenState(at);
        this.add(at, 'ExecutionTimedOut', undefined, {
          error: 'States.Timeout',
          cause: 'The execution ran longer than the state machine TimeoutSeconds',
        });
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.add(at, event.type, event.parentState.name, { name: event.parentState.name, index: event.index });
        return;
      // StateRetried, StateCaught and Parallel branch events have no history event of their own in AWS.
      default:
        return;
    }
  }

  private add(timestamp: Date, type: string, stateName: string | undefined, details?: Record<string, unknown>) {
    const id = this.events.length + 1;
    // The state machines run one state at a time: each event follows from the one before.
    this.events.push({ id, previousEventId: id - 1, timestamp, type, stateName, details });
  }

  /** The oldest held call of the state: its TaskScheduled and TaskStarted, and how it ended. */
  private endCall(stateName: string, at: Date, failure?: { error: string; cause: unknown }): void {
    const [call, ...rest] = this.heldCalls.get(stateName) ?? [];
    if (!call) return; // It failed before its handler ran (its Parameters, say): no task was scheduled.
    this.heldCalls.set(stateName, rest);
    this.addCallStart(call);
    const { resourceType, resource } = call.scheduling;
    if (failure) {
      const type = failure.error === 'States.Timeout' ? 'TaskTimedOut' : 'TaskFailed';
      this.add(at, type, stateName, { resourceType, resource, error: failure.error, cause: causeText(failure.cause) });
    } else if (call.succeeded) {
      this.add(call.succeeded.at, 'TaskSucceeded', stateName, {
        resourceType,
        resource,
        output: call.succeeded.output,
        outputDetails: NOT_TRUNCATED,
      });
    }
  }

  private addCallStart(call: TaskCall): void {
    const { resourceType, resource, region, timeoutInSeconds, heartbeatInSeconds } = call.scheduling;
    this.add(
      call.scheduledAt,
      'TaskScheduled',
      call.stateName,
      withoutUndefined({
        resourceType,
        resource,
        region,
        parameters: call.parameters,
        timeoutInSeconds,
        heartbeatInSeconds,
      }),
    );
    this.add(call.scheduledAt, 'TaskStarted', call.stateName, { resourceType, resource });
  }

  /** The execution ended under a state: its unanswered calls, then `<Type>StateAborted`. */
  private leaveOpenState(at: Date): void {
    const open = this.openState;
    this.openState = undefined;
    if (!open) return;
    for (const call of this.heldCalls.get(open.name) ?? []) this.addCallStart(call);
    this.heldCalls.delete(open.name);
    // AWS gives `<Type>StateAborted` no details member.
    if (ABORTABLE_STATE_TYPES.has(open.type)) this.add(at, `${open.type}StateAborted`, open.name);
  }
}

/** The library passes a thrown error's `cause` through as is; history causes are text. */
function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? '' : JSON.stringify(cause);
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
