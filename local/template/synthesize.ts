import { createFramebridgeApp } from '../../infra/framebridgeApp';
import { STACK_OUTPUTS } from '../../lambdas/core/contract/names';
import type { ExtractOptions } from './context';
import { extractFunctions } from './functions';
import { resolveTemplateValue } from './intrinsics';
import { type AslDefinition, extractStateMachineDefinition } from './stateMachine';

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export type CloudFormationTemplate = {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown }>;
};

export interface LocalFunction {
  logicalId: string;
  handler: string;
  environment: Record<string, unknown>;
  timeoutSeconds: number;
}

export interface LocalStateMachine {
  logicalId: string;
  arn: string;
  definition: AslDefinition;
}

export interface LocalRule {
  logicalId: string;
  /** Bus name, `default` when the rule names none. */
  busName: string;
  pattern: Record<string, unknown>;
  /** Functions the rule invokes. */
  targets: LocalFunction[];
}

/** What the local stack runs, read from the synthesized template. */
export interface LocalTemplate {
  template: CloudFormationTemplate;
  functionsByArn: Record<string, LocalFunction>;
  stateMachines: LocalStateMachine[];
  /** The transition workflow (the stack's StateMachineArn output). */
  mainStateMachineArn: string;
  rules: LocalRule[];
  /** Every DynamoDB table of the template, under its local name (the jobs table, the keys table). */
  tables: { name: string; props: Record<string, unknown> }[];
}

/** Local names for resources; everything else keeps its logical id. */
export interface LocalNames {
  bucket: string;
  jobsTable: string;
  keysTable: string;
  transitionStateMachine: string;
  eventBus: string;
}

const outputRef = (template: CloudFormationTemplate, output: string): string | undefined => {
  const value = template.Outputs?.[output]?.Value;
  return value && typeof value === 'object' && 'Ref' in value ? String((value as { Ref: unknown }).Ref) : undefined;
};

const getAttTarget = (value: unknown): string | undefined => {
  const getAtt = value && typeof value === 'object' ? (value as Record<string, unknown>)['Fn::GetAtt'] : undefined;
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  return typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
};

const idsOfType = (template: CloudFormationTemplate, type: string) =>
  Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type === type);

/** Synthesizes the CDK app in-process, bundling skipped: only the template is needed. */
export function synthesizeCloudFormationTemplate(): CloudFormationTemplate {
  const { app, stack } = createFramebridgeApp({ skipBundling: true, nag: false });
  return app.synth().getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
}

/** The logical ids the stack's outputs name, each given its local physical name. */
function localResources(template: CloudFormationTemplate, names: LocalNames) {
  const mainMachineId =
    outputRef(template, STACK_OUTPUTS.stateMachineArn) ?? idsOfType(template, 'AWS::StepFunctions::StateMachine')[0];
  if (!mainMachineId) throw new Error('The template defines no state machine');
  const physicalNames: Record<string, string> = {};
  const bucketId = outputRef(template, STACK_OUTPUTS.bucketName);
  const tableId = outputRef(template, STACK_OUTPUTS.jobsTableName) ?? idsOfType(template, 'AWS::DynamoDB::Table')[0];
  const busId = outputRef(template, STACK_OUTPUTS.eventBusName) ?? idsOfType(template, 'AWS::Events::EventBus')[0];
  if (bucketId) physicalNames[bucketId] = names.bucket;
  if (tableId) physicalNames[tableId] = names.jobsTable;
  const keysTableId = outputRef(template, STACK_OUTPUTS.keysTableName);
  if (keysTableId) physicalNames[keysTableId] = names.keysTable;
  if (busId) physicalNames[busId] = names.eventBus;
  physicalNames[mainMachineId] = names.transitionStateMachine;
  return { mainMachineId, tableId, physicalNames };
}

/** The enabled EventBridge rules, each with the functions it targets. */
function rulesOf(
  template: CloudFormationTemplate,
  options: ExtractOptions,
  functionByLogicalId: ReadonlyMap<string, LocalFunction>,
): LocalRule[] {
  return idsOfType(template, 'AWS::Events::Rule').flatMap((logicalId): LocalRule[] => {
    const props = template.Resources[logicalId]?.Properties ?? {};
    if (props.State === 'DISABLED' || !props.EventPattern) return [];
    const busName = props.EventBusName
      ? String(resolveTemplateValue(template, props.EventBusName, options, `${logicalId}.EventBusName`))
      : 'default';
    const targets = ((props.Targets as { Arn: unknown }[] | undefined) ?? []).flatMap((target) => {
      const fn = functionByLogicalId.get(getAttTarget(target.Arn) ?? '');
      return fn ? [fn] : [];
    });
    const pattern = resolveTemplateValue(template, props.EventPattern, options, `${logicalId}.EventPattern`);
    return [{ logicalId, busName, pattern: pattern as Record<string, unknown>, targets }];
  });
}

/**
 * Synthesizes the CDK app and reads from it what the local stack runs: every
 * state machine's definition, which module each function runs with which
 * environment, the EventBridge rules and their targets, and the jobs table's
 * keys. Intrinsics resolve to the local names, so handlers get the
 * configuration CDK wrote.
 */
export async function synthesizeTemplate(names: LocalNames, region: string, accountId: string): Promise<LocalTemplate> {
  const template = synthesizeCloudFormationTemplate();
  const resources = template.Resources;
  const { mainMachineId, tableId, physicalNames } = localResources(template, names);
  const options: ExtractOptions = { region, accountId, physicalNames };

  const functionsByArn = Object.fromEntries(
    Object.entries(extractFunctions(template, options)).map(([arn, fn]) => [
      arn,
      { ...fn, timeoutSeconds: Number(resources[fn.logicalId]?.Properties?.Timeout ?? 3) },
    ]),
  );
  const functionByLogicalId = new Map(Object.values(functionsByArn).map((fn) => [fn.logicalId, fn]));

  const stateMachines = idsOfType(template, 'AWS::StepFunctions::StateMachine').map((logicalId) => ({
    logicalId,
    arn: `arn:aws:states:${region}:${accountId}:stateMachine:${physicalNames[logicalId] ?? logicalId}`,
    definition: extractStateMachineDefinition(template, { ...options, stateMachineLogicalId: logicalId }).definition,
  }));

  if (!tableId || !resources[tableId]?.Properties) throw new Error('The template defines no jobs table');
  return {
    template,
    functionsByArn,
    stateMachines,
    mainStateMachineArn: stateMachines.find((machine) => machine.logicalId === mainMachineId)?.arn ?? '',
    rules: rulesOf(template, options, functionByLogicalId),
    tables: idsOfType(template, 'AWS::DynamoDB::Table').map((logicalId) => ({
      name: physicalNames[logicalId] ?? logicalId,
      props: resources[logicalId]?.Properties ?? {},
    })),
  };
}
