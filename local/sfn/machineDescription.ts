import type { LocalStateMachine, LocalTemplate } from '../template';
import { resolveTemplateValue } from '../template';
import { parseStateMachineArn } from './arns';

/** What DescribeStateMachine tells about a machine besides its ARN, name and definition. */
export interface StateMachineSettings {
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  loggingConfiguration?: unknown;
  tracingConfiguration?: unknown;
}

/** CloudFormation spells the API's members with a capital (`IncludeExecutionData` → `includeExecutionData`). */
function apiCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(apiCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key.charAt(0).toLowerCase() + key.slice(1), apiCase(inner)]),
  );
}

/**
 * The machine's role, type, logging and tracing as its template resource
 * declares them, intrinsics resolved to the local placeholder ARNs, so
 * DescribeStateMachine answers what the deployed machine would.
 */
export function settingsFromTemplate(template: LocalTemplate, machine: LocalStateMachine): StateMachineSettings {
  const properties = template.template.Resources[machine.logicalId]?.Properties ?? {};
  const { region } = parseStateMachineArn(machine.arn);
  const accountId = machine.arn.split(':')[4];
  const resolve = (name: string) =>
    properties[name] === undefined
      ? undefined
      : resolveTemplateValue(
          template.template,
          properties[name],
          { region, accountId },
          `${machine.logicalId}.${name}`,
        );
  const roleArn = resolve('RoleArn');
  return {
    roleArn: typeof roleArn === 'string' ? roleArn : defaultRoleArn(machine.arn),
    type: properties.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
    loggingConfiguration: apiCase(resolve('LoggingConfiguration')),
    tracingConfiguration: apiCase(resolve('TracingConfiguration')),
  };
}

/** A role for a machine built without a template (tests): DescribeStateMachine always names one. */
export function defaultRoleArn(stateMachineArn: string): string {
  const { name } = parseStateMachineArn(stateMachineArn);
  return `arn:aws:iam::${stateMachineArn.split(':')[4]}:role/${name}-role`;
}
