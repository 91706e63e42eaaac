import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import './withResolversPolyfill';
import { executionArnOf, parseStateMachineArn } from './arns';
import { type HistoryEvent, HistoryRecorder, type LibraryEvent, type TaskScheduling } from './history';
import { defaultRoleArn, type StateMachineSettings } from './machineDescription';
import { taskResourceOf } from './taskResource';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type { HistoryEvent } from './history';

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  /** States entered. */
  stateTransitions: number;
  /** Task retries: Step Functions bills each as a state transition too. */
  stateRetries: number;
  taskInvocations: number;
  /** Task invocations by state name (retries included). */
  invocationsByState: Record<string, number>;
  done: Promise<void>;
}

/** A Task state's local implementation: gets the state's effective input (after Parameters). */
export type TaskHandler = (input: JsonValue) => Promise<JsonValue>;

export interface LocalStepFunctionsOptions {
  stateMachineArn: string;
  definition: StateMachineDefinition;
  /** Handlers by Task state name. */
  taskHandlers: Record<string, TaskHandler>;
  /** Replaces every retry interval with this many ms (tests); undefined keeps the definition's. */
  retryIntervalMs?: number;
  /**
   * Told when an execution starts and when it ends, as Step Functions tells
   * EventBridge (not while the machine is being closed).
   */
  onStatusChange?: (execution: Execution) => void;
  /** Role, type, logging and tracing for DescribeStateMachine. @default a STANDARD machine with a placeholder role */
  settings?: StateMachineSettings;
}

/** What DescribeStateMachine answers about a local machine (dates as Date). */
export interface StateMachineDescription extends StateMachineSettings {
  stateMachineArn: string;
  name: string;
  status: 'ACTIVE';
  definition: string;
  creationDate: Date;
}

export class ExecutionAlreadyExistsError extends Error {
  override readonly name = 'ExecutionAlreadyExists';
}
export class ExecutionDoesNotExistError extends Error {
  override readonly name = 'ExecutionDoesNotExist';
}
export class StateMachineDoesNotExistError extends Error {
  override readonly name = 'StateMachineDoesNotExist';
}

/**
 * Runs executions of one state machine with aws-local-stepfunctions and keeps
 * what Step Functions would report about them: status, output or error, history.
 */
export class LocalStepFunctions {
  readonly stateMachineArn: string;
  private readonly machine: StateMachine;
  private readonly creationDate = new Date();
  /** What each Task state's TaskScheduled event says, by state name. */
  private readonly taskScheduling: Record<string, TaskScheduling>;
  private readonly executions = new Map<string, Execution>();
  private readonly aborts = new Map<string, () => void>();
  private readonly stopReasons = new Map<string, { error?: string; cause?: string }>();
  private closing = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.stateMachineArn = options.stateMachineArn;
    this.machine = new StateMachine(options.definition, { validationOptions: { checkArn: false } });
    this.taskScheduling = taskSchedulingOf(options.definition, parseStateMachineArn(options.stateMachineArn).region);
  }

  private executionArn(name: string): string {
    return executionArnOf(this.stateMachineArn, name);
  }

  private assertMachine(arn: string): void {
    if (arn !== this.stateMachineArn) throw new StateMachineDoesNotExistError(`State Machine Does Not Exist: '${arn}'`);
  }

  /** DescribeStateMachine's answer. */
  describeMachine(): StateMachineDescription {
    return {
      stateMachineArn: this.stateMachineArn,
      name: parseStateMachineArn(this.stateMachineArn).name,
      status: 'ACTIVE',
      definition: JSON.stringify(this.options.definition),
      creationDate: this.creationDate,
      ...(this.options.settings ?? { roleArn: defaultRoleArn(this.stateMachineArn), type: 'STANDARD' }),
    };
  }

  start(stateMachineArn: string, name: string, input: string): Execution {
    this.assertMachine(stateMachineArn);
    const existing = this.executions.get(this.executionArn(name));
    if (existing) {
      // Step Functions: same name and input while running is idempotent.
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${existing.executionArn}'`);
    }
    const parsedInput = JSON.parse(input) as JsonValue;
    const executionArn = this.executionArn(name);
    const recorder = new HistoryRecorder({
      roleArn: this.describeMachine().roleArn,
      stopReason: () => this.stopReasons.get(executionArn),
    });
    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: new Date(),
      input,
      history: recorder.events,
      stateTransitions: 0,
      stateRetries: 0,
      taskInvocations: 0,
      invocationsByState: {},
      done: Promise.resolve(),
    };
    const taskHandlers = Object.fromEntries(
      Object.entries(this.options.taskHandlers).map(([state, handler]) => [
        state,
        async (taskInput: JsonValue) => {
          execution.taskInvocations++;
          execution.invocationsByState[state] = (execution.invocationsByState[state] ?? 0) + 1;
          const scheduling = this.taskScheduling[state];
          const answered = scheduling ? recorder.taskCalled(state, scheduling, taskInput) : undefined;
          const output = await handler(taskInput);
          answered?.(output);
          return output;
        },
      ]),
    );
    const retryIntervalOverrides =
      this.options.retryIntervalMs === undefined
        ? undefined
        : Object.fromEntries(
            Object.keys(this.options.taskHandlers).map((state) => [state, this.options.retryIntervalMs ?? 0]),
          );
    const run = this.machine.run(parsedInput, {
      overrides: { taskResourceLocalHandlers: taskHandlers, retryIntervalOverrides },
      context: {
        Execution: {
          Id: execution.executionArn,
          Name: name,
          Input: parsedInput,
          StartTime: execution.startDate.toISOString(),
        },
      },
    });
    this.aborts.set(execution.executionArn, run.abort);
    const recording = this.record(execution, recorder, run.eventLogs);
    execution.done = run.result
      .then(
        (output) => {
          execution.status = 'SUCCEEDED';
          execution.output = JSON.stringify(output);
        },
        (error: unknown) => this.settleFailure(execution, error),
      )
      .finally(async () => {
        execution.stopDate = new Date();
        this.aborts.delete(execution.executionArn);
        this.statusChanged(execution);
        await recording.catch(() => undefined);
      });
    this.executions.set(execution.executionArn, execution);
    this.statusChanged(execution);
    return execution;
  }

  private statusChanged(execution: Execution): void {
    if (!this.closing) this.options.onStatusChange?.(execution);
  }

  private settleFailure(execution: Execution, error: unknown): void {
    if (error instanceof ExecutionAbortedError) {
      const reason = this.stopReasons.get(execution.executionArn);
      execution.status = 'ABORTED';
      execution.error = reason?.error;
      execution.cause = reason?.cause;
    } else if (error instanceof ExecutionTimeoutError) {
      execution.status = 'TIMED_OUT';
      execution.error = 'States.Timeout';
    } else if (error instanceof ExecutionError) {
      const cause = error.cause as { name?: string; message?: string } | undefined;
      execution.status = 'FAILED';
      execution.error = cause?.name ?? 'States.Runtime';
      execution.cause = cause?.message ?? error.message;
    } else {
      execution.status = 'FAILED';
      execution.error = 'States.Runtime';
      execution.cause = error instanceof Error ? error.message : String(error);
    }
  }

  /** Reads the library's event log into the execution's history and counters. */
  private async record(execution: Execution, recorder: HistoryRecorder, events: AsyncGenerator<LibraryEvent>) {
    for await (const event of events) {
      if (event.type === 'StateEntered') execution.stateTransitions++;
      if (event.type === 'StateRetried') execution.stateRetries++;
      recorder.record(event);
    }
  }

  describe(executionArn: string): Execution {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new ExecutionDoesNotExistError(`Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  async stop(executionArn: string, reason: { error?: string; cause?: string } = {}): Promise<Execution> {
    const execution = this.describe(executionArn);
    const abort = this.aborts.get(executionArn);
    if (execution.status === 'RUNNING' && abort) {
      this.stopReasons.set(executionArn, reason);
      abort();
      await execution.done;
    }
    return execution;
  }

  list(stateMachineArn: string, status?: ExecutionStatus): Execution[] {
    this.assertMachine(stateMachineArn);
    return [...this.executions.values()]
      .filter((execution) => !status || execution.status === status)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }
  /** The executions that ran a job (their input's `jobId`), oldest first: execution names are not job ids. */
  ofJob(stateMachineArn: string, jobId: string): Execution[] {
    return this.list(stateMachineArn).filter((execution) => {
      try {
        return (JSON.parse(execution.input) as { jobId?: unknown }).jobId === jobId;
      } catch {
        return false;
      }
    });
  }

  /** Resolves once no execution is running. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((execution) => execution.done));
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.executions.keys()].map((arn) => this.stop(arn, { error: 'Shutdown' })));
  }
}

/** Each Task state's integration, as its TaskScheduled events name it; direct function ARNs have none. */
function taskSchedulingOf(definition: StateMachineDefinition, region: string): Record<string, TaskScheduling> {
  const scheduling: Record<string, TaskScheduling> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const resource = taskResourceOf(state.Resource);
    if (!resource) continue;
    const heartbeat = (state as { HeartbeatSeconds?: unknown }).HeartbeatSeconds;
    scheduling[name] = {
      ...resource,
      region,
      timeoutInSeconds: state.TimeoutSeconds,
      heartbeatInSeconds: typeof heartbeat === 'number' ? heartbeat : undefined,
    };
  }
  return scheduling;
}
