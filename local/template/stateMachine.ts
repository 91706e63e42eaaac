import { createContext, type ExtractOptions, isRecord, type ResolveContext, type TemplateResource } from './context';
import { functionsOf, type TemplateFunction } from './functions';
import { resolveToString, resolveValue } from './intrinsics';

/** The Amazon States Language document of a state machine. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly Comment?: string;
  readonly TimeoutSeconds?: number;
  readonly [key: string]: unknown;
}

export interface ExtractedStateMachine {
  readonly definition: AslDefinition;
  readonly functionsByArn: Record<string, TemplateFunction>;
  readonly stateMachineLogicalId: string;
}

/**
 * The runnable ASL of one state machine of the template, intrinsics resolved,
 * with every function that carries handler metadata by its placeholder ARN.
 */
export function extractStateMachineDefinition(
  template: Record<string, unknown>,
  options: ExtractOptions = {},
): ExtractedStateMachine {
  const context = createContext(template, options);
  const [stateMachineLogicalId, stateMachine] = findStateMachine(context.resources, options.stateMachineLogicalId);
  const definition = readDefinition(stateMachineLogicalId, stateMachine.Properties ?? {}, context);
  if (!isAslDefinition(definition)) {
    throw new Error(`State machine ${stateMachineLogicalId}: the definition has no StartAt/States.`);
  }
  return { definition, functionsByArn: functionsOf(context), stateMachineLogicalId };
}

function readDefinition(logicalId: string, properties: Record<string, unknown>, context: ResolveContext): unknown {
  if (properties.DefinitionString !== undefined) {
    let text = resolveToString(properties.DefinitionString, context, `${logicalId}.DefinitionString`);
    text = applySubstitutions(text, properties.DefinitionSubstitutions, context, logicalId);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`State machine ${logicalId}: the resolved DefinitionString is not JSON.`, { cause: error });
    }
  }
  if (properties.Definition !== undefined) {
    const substituted = applySubstitutions(
      JSON.stringify(resolveValue(properties.Definition, context, `${logicalId}.Definition`)),
      properties.DefinitionSubstitutions,
      context,
      logicalId,
    );
    return JSON.parse(substituted);
  }
  throw new Error(
    `State machine ${logicalId} has neither DefinitionString nor Definition (DefinitionS3Location is not supported).`,
  );
}

function findStateMachine(
  resources: Readonly<Record<string, TemplateResource>>,
  wanted: string | undefined,
): [string, TemplateResource] {
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (wanted !== undefined) {
    const found = machines.find(([id]) => id === wanted);
    if (!found) {
      throw new Error(
        `No AWS::StepFunctions::StateMachine '${wanted}' in the template; it has: ${machines.map(([id]) => id).join(', ') || 'none'}.`,
      );
    }
    return found;
  }
  const [only, ...others] = machines;
  if (!only) throw new Error('The template holds no AWS::StepFunctions::StateMachine.');
  if (others.length > 0) {
    throw new Error(
      `The template holds ${machines.length} state machines (${machines.map(([id]) => id).join(', ')}); pass stateMachineLogicalId.`,
    );
  }
  return only;
}

function applySubstitutions(text: string, substitutions: unknown, context: ResolveContext, logicalId: string): string {
  if (!isRecord(substitutions)) return text;
  let result = text;
  for (const [key, value] of Object.entries(substitutions)) {
    const replacement = resolveToString(value, context, `${logicalId}.DefinitionSubstitutions.${key}`);
    result = result.split(`\${${key}}`).join(replacement);
  }
  return result;
}

function isAslDefinition(value: unknown): value is AslDefinition {
  return (
    isRecord(value) &&
    typeof value.StartAt === 'string' &&
    isRecord(value.States) &&
    Object.values(value.States).every(isRecord)
  );
}
