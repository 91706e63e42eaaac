import { EXECUTION_STATUS_CHANGE, type ExecutionStatusChangeDetail } from '../../lambdas/core/contract/executionEvents';
import type { BusEvent } from '../eventBus';
import type { Execution } from './executions';

/**
 * The "Step Functions Execution Status Change" event Step Functions puts on the
 * default bus when an execution starts or ends, for the local bus to route to
 * the template's rules (the reconciler's among them).
 */
export function executionStatusChangeEvent(execution: Execution): BusEvent {
  const detail: ExecutionStatusChangeDetail = {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    stopDate: execution.stopDate?.getTime() ?? null,
    input: execution.input,
    output: execution.output ?? null,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
  };
  return {
    source: EXECUTION_STATUS_CHANGE.source,
    'detail-type': EXECUTION_STATUS_CHANGE.detailType,
    resources: [execution.executionArn],
    detail,
  };
}
