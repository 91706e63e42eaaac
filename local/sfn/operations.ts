import * as z from 'zod';
import type { ExecutionStatus } from './executions';
import { pageOf } from './paging';
import { refuseRedrive } from './redrive';
import type { StateMachineRegistry } from './registry';
import {
  executionDescription,
  executionSummary,
  historyEventWire,
  machineDescription,
  machineSummary,
  seconds,
} from './wire';

/**
 * The Step Functions operations the local endpoint serves, each parsing its
 * request as the service's model describes it and answering in its shape.
 */

export class InvalidExecutionInputError extends Error {
  override readonly name = 'InvalidExecutionInput';
}

/** StartExecution's input must be JSON text, as AWS requires. */
function executionInput(text: string | undefined): string {
  if (text === undefined) return '{}';
  try {
    JSON.parse(text);
    return text;
  } catch (error) {
    throw new InvalidExecutionInputError(
      `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`,
    );
  }
}

type Operation = (sfn: StateMachineRegistry, body: unknown) => Promise<unknown> | unknown;

const maxResults = z.number().int().min(0).max(1000).optional();
const nextToken = z.string().min(1).optional();
const executionArnInput = z.object({ executionArn: z.string() });
const stateMachineArnInput = z.object({ stateMachineArn: z.string() });

export const operations: Record<string, Operation> = {
  StartExecution: (sfn, body) => {
    const input = stateMachineArnInput
      .extend({ name: z.string().optional(), input: z.string().optional() })
      .parse(body);
    const execution = sfn
      .machine(input.stateMachineArn)
      .start(input.stateMachineArn, input.name ?? crypto.randomUUID(), executionInput(input.input));
    return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
  },

  DescribeExecution: (sfn, body) => {
    const { executionArn } = executionArnInput.parse(body);
    return executionDescription(sfn.machineOfExecution(executionArn).describe(executionArn));
  },

  StopExecution: async (sfn, body) => {
    const input = executionArnInput.extend({ error: z.string().optional(), cause: z.string().optional() }).parse(body);
    const execution = await sfn
      .machineOfExecution(input.executionArn)
      .stop(input.executionArn, { error: input.error, cause: input.cause });
    return { stopDate: seconds(execution.stopDate ?? new Date()) };
  },

  RedriveExecution: (sfn, body) => {
    const { executionArn } = executionArnInput.extend({ clientToken: z.string().optional() }).parse(body);
    refuseRedrive(sfn.machineOfExecution(executionArn).describe(executionArn));
  },

  ListExecutions: (sfn, body) => {
    const input = stateMachineArnInput
      .extend({
        statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']).optional(),
        maxResults,
        nextToken,
      })
      .parse(body);
    const all = sfn
      .machine(input.stateMachineArn)
      .list(input.stateMachineArn, input.statusFilter as ExecutionStatus | undefined);
    const { page, nextToken: next } = pageOf(
      all,
      (execution) => execution.executionArn,
      input,
      `executions:${input.stateMachineArn}:${input.statusFilter ?? ''}`,
    );
    return { executions: page.map(executionSummary), nextToken: next };
  },

  DescribeStateMachine: (sfn, body) => {
    const { stateMachineArn } = stateMachineArnInput.extend({ includedData: z.string().optional() }).parse(body);
    return machineDescription(sfn.machine(stateMachineArn).describeMachine());
  },

  ListStateMachines: (sfn, body) => {
    const input = z.object({ maxResults, nextToken }).parse(body);
    const descriptions = sfn.all().map((machine) => machine.describeMachine());
    const { page, nextToken: next } = pageOf(descriptions, (machine) => machine.stateMachineArn, input, 'machines');
    return { stateMachines: page.map(machineSummary), nextToken: next };
  },

  DescribeStateMachineForExecution: (sfn, body) => {
    const { executionArn } = executionArnInput.extend({ includedData: z.string().optional() }).parse(body);
    const machine = sfn.machineOfExecution(executionArn);
    machine.describe(executionArn); // ExecutionDoesNotExist for an execution the machine never ran.
    const { stateMachineArn, name, definition, roleArn, creationDate, loggingConfiguration, tracingConfiguration } =
      machine.describeMachine();
    // A local machine is never updated: the version an execution ran is the one created.
    return {
      stateMachineArn,
      name,
      definition,
      roleArn,
      updateDate: seconds(creationDate),
      loggingConfiguration,
      tracingConfiguration,
    };
  },

  GetExecutionHistory: (sfn, body) => {
    const input = executionArnInput
      .extend({
        reverseOrder: z.boolean().optional(),
        includeExecutionData: z.boolean().optional(),
        maxResults,
        nextToken,
      })
      .parse(body);
    const history = sfn.machineOfExecution(input.executionArn).describe(input.executionArn).history;
    const ordered = input.reverseOrder ? [...history].reverse() : [...history];
    const { page, nextToken: next } = pageOf(
      ordered,
      (event) => String(event.id),
      input,
      `history:${input.executionArn}:${input.reverseOrder ? 'reverse' : 'forward'}`,
    );
    return {
      events: page.map((event) => historyEventWire(event, input.includeExecutionData ?? true)),
      nextToken: next,
    };
  },
};
