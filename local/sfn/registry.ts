import { ExecutionDoesNotExistError, type LocalStepFunctions, StateMachineDoesNotExistError } from './executions';

/** Every local state machine, found by its ARN or by one of its executions' ARNs. */
export class StateMachineRegistry {
  private readonly machines = new Map<string, LocalStepFunctions>();

  add(machine: LocalStepFunctions): void {
    this.machines.set(machine.stateMachineArn, machine);
  }

  all(): LocalStepFunctions[] {
    return [...this.machines.values()];
  }

  machine(stateMachineArn: string): LocalStepFunctions {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new StateMachineDoesNotExistError(`State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  /** `…:execution:<machine name>:<execution name>` belongs to `…:stateMachine:<machine name>`. */
  machineOfExecution(executionArn: string): LocalStepFunctions {
    const machineArn = executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
    const machine = this.machines.get(machineArn);
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
