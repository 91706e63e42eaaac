import { parseExecutionArn, parseStateMachineArn } from './arns';
import { ExecutionDoesNotExistError, type LocalStepFunctions, StateMachineDoesNotExistError } from './executions';

/** Every local state machine, found by its ARN or by one of its executions' ARNs. */
export class StateMachineRegistry {
  private readonly machines = new Map<string, LocalStepFunctions>();

  add(machine: LocalStepFunctions): void {
    this.machines.set(machine.stateMachineArn, machine);
  }

  /** Every machine, in ARN order (a stable order to page ListStateMachines through). */
  all(): LocalStepFunctions[] {
    return [...this.machines.values()].sort((a, b) => a.stateMachineArn.localeCompare(b.stateMachineArn));
  }

  /** A malformed ARN is InvalidArn; a well-formed one the stack does not run, StateMachineDoesNotExist. */
  machine(stateMachineArn: string): LocalStepFunctions {
    parseStateMachineArn(stateMachineArn);
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new StateMachineDoesNotExistError(`State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  /** `…:execution:<machine name>:<execution name>` belongs to `…:stateMachine:<machine name>`. */
  machineOfExecution(executionArn: string): LocalStepFunctions {
    const machine = this.machines.get(parseExecutionArn(executionArn).stateMachineArn);
    if (!machine) throw new ExecutionDoesNotExistError(`Execution Does Not Exist: '${executionArn}'`);
    return machine;
  }

  async idle(): Promise<void> {
    await Promise.all(this.all().map((machine) => machine.idle()));
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((machine) => machine.close()));
  }
}
