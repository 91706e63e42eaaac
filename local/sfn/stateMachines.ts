import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LocalEventBus } from '../eventBus';
import type { LocalStackOptions } from '../stack';
import { taskHandlersFor } from '../taskHandlers';
import type { LocalTemplate } from '../template';
import { LocalStepFunctions } from './executions';
import { settingsFromTemplate } from './machineDescription';
import { StateMachineRegistry } from './registry';
import { executionStatusChangeEvent } from './statusChangeEvents';

/** Every state machine of the template, its Tasks served by the local handlers, bus and machines. */
export function startStateMachines(
  template: LocalTemplate,
  eventBus: LocalEventBus,
  options: Pick<LocalStackOptions, 'executionTimeoutSeconds' | 'taskFault' | 'retryIntervalMs'>,
) {
  const registry = new StateMachineRegistry();
  for (const machine of template.stateMachines) {
    registry.add(
      new LocalStepFunctions({
        stateMachineArn: machine.arn,
        definition: {
          ...machine.definition,
          ...(machine.arn === template.mainStateMachineArn && options.executionTimeoutSeconds
            ? { TimeoutSeconds: options.executionTimeoutSeconds }
            : {}),
        } as unknown as StateMachineDefinition,
        taskHandlers: taskHandlersFor(machine, template, {
          eventBus,
          stateMachines: registry,
          taskFault: options.taskFault,
        }),
        retryIntervalMs: options.retryIntervalMs,
        settings: settingsFromTemplate(template, machine),
        // As Step Functions does, every execution's start and end goes to the default bus.
        onStatusChange: (execution) => eventBus.publish('default', executionStatusChangeEvent(execution)),
      }),
    );
  }
  return registry;
}
