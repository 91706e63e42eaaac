import { HANDLER_METADATA_KEY } from '../../lambdas/core/contract';
import { arnFor } from './arns';
import { createContext, type ExtractOptions, isRecord, type ResolveContext } from './context';
import { NO_VALUE, resolveValue } from './intrinsics';

export interface TemplateFunction {
  readonly logicalId: string;
  /** The repo-relative handler module, for example `lambdas/workflow/submit.ts`. */
  readonly handler: string;
  /** The function's environment with intrinsics resolved to placeholders (an unresolvable value is kept as is). */
  readonly environment: Record<string, unknown>;
}

/** Every function with handler metadata, by placeholder ARN, environment resolved. */
export function extractFunctions(
  template: Record<string, unknown>,
  options: ExtractOptions = {},
): Record<string, TemplateFunction> {
  return functionsOf(createContext(template, options));
}

export function functionsOf(context: ResolveContext): Record<string, TemplateFunction> {
  const functionsByArn: Record<string, TemplateFunction> = {};
  for (const [logicalId, resource] of Object.entries(context.resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const handler = resource.Metadata?.[HANDLER_METADATA_KEY];
    if (typeof handler !== 'string') continue;
    const environment: Record<string, unknown> = {};
    const variables = resource.Properties?.Environment;
    if (isRecord(variables) && isRecord(variables.Variables)) {
      for (const [name, value] of Object.entries(variables.Variables)) {
        try {
          const resolved = resolveValue(value, context, `${logicalId}.Environment.${name}`);
          if (resolved !== NO_VALUE) environment[name] = resolved;
        } catch {
          environment[name] = value;
        }
      }
    }
    functionsByArn[arnFor(logicalId, resource, context)] = { logicalId, handler, environment };
  }
  return functionsByArn;
}
