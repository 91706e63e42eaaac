import type { LocalEventBus } from './eventBus';
import { invokeLambda } from './lambdaRuntime';
import type { TaskHandler } from './sfn/executions';
import type { StateMachineRegistry } from './sfn/registry';
import type { LocalStateMachine, LocalTemplate } from './template';

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const PUT_EVENTS = 'arn:aws:states:::events:putEvents';
const START_EXECUTION = 'arn:aws:states:::states:startExecution';

type Parameters = Record<string, unknown> | null;

/**
 * A Lambda service failure injected around a task (tests): the service fails
 * before the function runs, or after it ran (the caller sees a failure for work
 * that was done — the case that must not repeat a paid submit), or the task
 * times out after the function ran.
 */
export type TaskFault = 'service-exception-before' | 'service-exception-after' | 'timeout-after';
export type TaskFaultPlan = (stateName: string, payload: unknown) => TaskFault | undefined;

class InjectedTaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Local implementations of the service integrations our Task states use, chosen
 * by the state's Resource — the same calls Step Functions would make, served
 * by the local handlers, bus and state machines. Anything else fails at start.
 */
export function taskHandlersFor(
  machine: LocalStateMachine,
  template: LocalTemplate,
  services: { eventBus: LocalEventBus; stateMachines: StateMachineRegistry; taskFault?: TaskFaultPlan },
): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const [stateName, state] of Object.entries(machine.definition.States)) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    if (resource === LAMBDA_INVOKE) {
      const functionArn = (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName;
      const fn = functionArn ? template.functionsByArn[functionArn] : undefined;
      if (!fn) throw new Error(`Task "${stateName}" calls a function the template does not define`);
      // The lambda:invoke integration's answer: the function's result under Payload.
      handlers[stateName] = async (input) => {
        const payload = (input as Parameters)?.Payload ?? null;
        const fault = services.taskFault?.(stateName, payload);
        if (fault === 'service-exception-before') {
          throw new InjectedTaskError(
            'Lambda.ServiceException',
            'Injected: the Lambda service failed before the invoke',
          );
        }
        const result = await invokeLambda(fn.handler, fn.logicalId, payload, fn.timeoutSeconds * 1000);
        if (fault === 'service-exception-after') {
          throw new InjectedTaskError(
            'Lambda.ServiceException',
            'Injected: the Lambda service failed after the function ran',
          );
        }
        if (fault === 'timeout-after') throw new InjectedTaskError('States.Timeout', 'Injected: the task timed out');
        return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: result } as never;
      };
    } else if (resource === PUT_EVENTS) {
      handlers[stateName] = async (input) => {
        const entries = ((input as Parameters)?.Entries ?? []) as Parameters[];
        return (await services.eventBus.putEvents(entries as never)) as never;
      };
    } else if (resource === START_EXECUTION) {
      handlers[stateName] = async (input) => {
        const params = (input ?? {}) as { StateMachineArn?: string; Input?: unknown; Name?: string };
        const arn = String(params.StateMachineArn);
        const body = typeof params.Input === 'string' ? params.Input : JSON.stringify(params.Input ?? {});
        const execution = services.stateMachines.machine(arn).start(arn, params.Name ?? crypto.randomUUID(), body);
        return { ExecutionArn: execution.executionArn, StartDate: execution.startDate.toISOString() } as never;
      };
    } else {
      throw new Error(`Task "${stateName}" uses ${resource}, which the local stack does not serve`);
    }
  }
  return handlers;
}
