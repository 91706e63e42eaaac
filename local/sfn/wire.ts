import type { Execution, StateMachineDescription } from './executions';
import type { HistoryEvent } from './history';
import { redriveStatusOf } from './redrive';

/**
 * The Step Functions JSON protocol's shapes of local executions, machines and
 * history events. Timestamps are epoch seconds, as the service sends them.
 */

export const seconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

/** An ExecutionListItem. */
export function executionSummary(execution: Execution) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    stopDate: seconds(execution.stopDate),
    redriveCount: 0,
  };
}

/** DescribeExecution's answer. */
export function executionDescription(execution: Execution) {
  return {
    ...executionSummary(execution),
    input: execution.input,
    inputDetails: { included: true },
    ...(execution.output === undefined ? {} : { output: execution.output, outputDetails: { included: true } }),
    error: execution.error,
    cause: execution.cause,
    ...redriveStatusOf(execution),
  };
}

/** DescribeStateMachine's answer (DescribeStateMachineForExecution's is built from it). */
export function machineDescription(description: StateMachineDescription) {
  return { ...description, creationDate: seconds(description.creationDate) };
}

/** A StateMachineListItem. */
export function machineSummary(description: StateMachineDescription) {
  const { stateMachineArn, name, type, creationDate } = description;
  return { stateMachineArn, name, type, creationDate: seconds(creationDate) };
}

/** The HistoryEvent member holding an event type's details: `TaskScheduled` → `taskScheduledEventDetails`. */
function detailsMember(type: string): string | undefined {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  if (type.endsWith('StateAborted')) return undefined;
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

const EXECUTION_DATA = new Set(['input', 'inputDetails', 'output', 'outputDetails']);

/** A HistoryEvent; without execution data, its inputs and outputs are left out (`includeExecutionData: false`). */
export function historyEventWire(event: HistoryEvent, includeExecutionData: boolean) {
  const member = detailsMember(event.type);
  const details =
    event.details && !includeExecutionData
      ? Object.fromEntries(Object.entries(event.details).filter(([key]) => !EXECUTION_DATA.has(key)))
      : event.details;
  return {
    id: event.id,
    previousEventId: event.previousEventId,
    timestamp: seconds(event.timestamp),
    type: event.type,
    ...(member && details ? { [member]: details } : {}),
  };
}
