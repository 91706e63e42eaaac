import { type Duration, Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  type IChainable,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { wildcardFindingId } from './bindings';
import type { TransitionFunction } from './transitionFunction';

export interface LoggedStateMachineProps {
  readonly definition: IChainable;
  readonly comment: string;
  readonly timeout: Duration;
  /** The functions its LambdaInvoke tasks call (their `:*` invoke grants are acknowledged). */
  readonly invokedFunctions: readonly TransitionFunction[];
  /** @default one month */
  readonly logRetention?: RetentionDays;
}

/** Where AWS recommends Step Functions log groups live (short resource policies for vended logs). */
export const STATE_MACHINE_LOG_GROUP_PREFIX = '/aws/vendedlogs/states/';

/**
 * The name of the execution log group of the state machine made in `scope`:
 * under `/aws/vendedlogs/states/`, unique per stack and construct path.
 */
export function executionLogGroupName(scope: Construct): string {
  const unique = Names.uniqueResourceName(scope, {
    maxLength: 512 - STATE_MACHINE_LOG_GROUP_PREFIX.length,
    separator: '-',
    allowedSpecialCharacters: '-_',
  });
  return `${STATE_MACHINE_LOG_GROUP_PREFIX}${unique}`;
}

/**
 * The one way framebridge makes a state machine: Standard, X-Ray tracing, an
 * execution log group (named under `/aws/vendedlogs/states/`) at level ALL
 * without execution data, and the cdk-nag acknowledgements its role always
 * needs. Creates `ExecutionLogs` and `StateMachine` in `scope`.
 */
export function loggedStateMachine(
  scope: Construct,
  props: LoggedStateMachineProps,
): { stateMachine: StateMachine; logGroup: LogGroup } {
  const logGroup = new LogGroup(scope, 'ExecutionLogs', {
    logGroupName: executionLogGroupName(scope),
    retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const stateMachine = new StateMachine(scope, 'StateMachine', {
    comment: props.comment,
    stateMachineType: StateMachineType.STANDARD,
    definitionBody: DefinitionBody.fromChainable(props.definition),
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
  });
  const role = stateMachine.role;
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and X-Ray (xray:PutTraceSegments) support no resource-level permissions; Lambda invocations are scoped per function.',
  });
  for (const fn of props.invokedFunctions) {
    Validations.of(role).acknowledge({
      id: wildcardFindingId(role, `${fn.functionArn}:*`),
      reason: `lambda:InvokeFunction on versions and aliases (:*) of ${fn.handlerEntry} only, added by the LambdaInvoke task.`,
    });
  }
  return { stateMachine, logGroup };
}
