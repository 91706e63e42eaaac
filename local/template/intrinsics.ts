import { arnFor, physicalName } from './arns';
import { createContext, type ExtractOptions, isRecord, type ResolveContext } from './context';

/**
 * Resolves CloudFormation intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`, `Fn::Split`) to placeholder names and ARNs. Anything else is
 * refused with the path of the value, so a template the local stack cannot run
 * fails at start rather than mid-execution.
 */

/** Marks `Ref: AWS::NoValue`: the enclosing property or list item is dropped. */
export const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves intrinsics in any template value (an event pattern, a rule target)
 * with the same placeholder names as the definition. `undefined` for AWS::NoValue.
 */
export function resolveTemplateValue(
  template: Record<string, unknown>,
  value: unknown,
  options: ExtractOptions = {},
  path = 'value',
): unknown {
  const resolved = resolveValue(value, createContext(template, options), path);
  return resolved === NO_VALUE ? undefined : resolved;
}

export function resolveToString(value: unknown, context: ResolveContext, path: string): string {
  const resolved = resolveValue(value, context, path);
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  throw new Error(`${path}: expected a string after resolving intrinsics, got ${JSON.stringify(resolved)}.`);
}

export function resolveValue(value: unknown, context: ResolveContext, path: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item, i) => resolveValue(item, context, `${path}[${i}]`)).filter((item) => item !== NO_VALUE);
  }
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  const [intrinsic] = keys;
  if (keys.length === 1 && intrinsic !== undefined && (intrinsic === 'Ref' || intrinsic.startsWith('Fn::'))) {
    return resolveIntrinsic(intrinsic, value[intrinsic], context, path);
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolveValue(item, context, `${path}.${key}`);
    if (resolved !== NO_VALUE) result[key] = resolved;
  }
  return result;
}

function resolveIntrinsic(name: string, argument: unknown, context: ResolveContext, path: string): unknown {
  switch (name) {
    case 'Ref':
      return resolveRef(asString(argument, `${path}.Ref`), context, path);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = parseGetAtt(argument, path);
      return resolveGetAtt(logicalId, attribute, context, path);
    }
    case 'Fn::Join': {
      if (!Array.isArray(argument) || argument.length !== 2 || !Array.isArray(argument[1])) {
        throw new Error(`${path}: Fn::Join expects [delimiter, [parts]].`);
      }
      const delimiter = asString(argument[0], `${path}.Fn::Join[0]`);
      const parts = argument[1] as unknown[];
      return parts.map((part, i) => resolveToString(part, context, `${path}.Fn::Join[1][${i}]`)).join(delimiter);
    }
    case 'Fn::Sub':
      return resolveSub(argument, context, path);
    case 'Fn::Select': {
      if (!Array.isArray(argument) || argument.length !== 2)
        throw new Error(`${path}: Fn::Select expects [index, list].`);
      const index = Number(resolveValue(argument[0], context, `${path}.Fn::Select[0]`));
      const list = resolveValue(argument[1], context, `${path}.Fn::Select[1]`);
      if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new Error(`${path}: Fn::Select index ${index} is out of range.`);
      }
      return list[index];
    }
    case 'Fn::Split': {
      if (!Array.isArray(argument) || argument.length !== 2)
        throw new Error(`${path}: Fn::Split expects [delimiter, string].`);
      const delimiter = asString(argument[0], `${path}.Fn::Split[0]`);
      return resolveToString(argument[1], context, `${path}.Fn::Split[1]`).split(delimiter);
    }
    default:
      throw new Error(`${path}: intrinsic ${name} is not supported when extracting the state machine.`);
  }
}

function resolveSub(argument: unknown, context: ResolveContext, path: string): string {
  let template: string;
  const variables: Record<string, unknown> = {};
  if (typeof argument === 'string') {
    template = argument;
  } else if (Array.isArray(argument) && typeof argument[0] === 'string') {
    template = argument[0];
    if (isRecord(argument[1])) {
      for (const [key, value] of Object.entries(argument[1])) {
        variables[key] = resolveToString(value, context, `${path}.Fn::Sub[1].${key}`);
      }
    }
  } else {
    throw new Error(`${path}: Fn::Sub expects a string or [string, variables].`);
  }
  return template.replace(/\$\{([^}]+)\}/g, (_match, expression: string) => {
    if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
    if (expression in variables) return String(variables[expression]);
    const dot = expression.indexOf('.');
    if (dot > 0 && !expression.startsWith('AWS::')) {
      return resolveToString(
        resolveGetAtt(expression.slice(0, dot), expression.slice(dot + 1), context, path),
        context,
        path,
      );
    }
    return resolveToString(resolveRef(expression, context, path), context, path);
  });
}

function resolveRef(target: string, context: ResolveContext, path: string): unknown {
  switch (target) {
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/00000000-0000-0000-0000-000000000000`;
    case 'AWS::NoValue':
      return NO_VALUE;
    case 'AWS::NotificationARNs':
      return [];
  }
  if (target in context.parameters) return context.parameters[target];
  const resource = context.resources[target];
  if (!resource)
    throw new Error(`${path}: Ref to '${target}', which is neither a resource nor a parameter with a default.`);
  const name = physicalName(target, resource, context);
  switch (resource.Type) {
    case 'AWS::StepFunctions::StateMachine':
    case 'AWS::SecretsManager::Secret':
    case 'AWS::SNS::Topic':
    case 'AWS::IAM::ManagedPolicy':
      return arnFor(target, resource, context);
    case 'AWS::SQS::Queue':
      return `https://sqs.${context.region}.amazonaws.com/${context.accountId}/${name}`;
    default:
      return name;
  }
}

function resolveGetAtt(logicalId: string, attribute: string, context: ResolveContext, path: string): unknown {
  const resource = context.resources[logicalId];
  if (!resource) throw new Error(`${path}: Fn::GetAtt on '${logicalId}', which is not a resource of the template.`);
  if (attribute === 'Arn') return arnFor(logicalId, resource, context);
  if (attribute === 'Name' || attribute === 'QueueName' || attribute === 'TopicName') {
    return physicalName(logicalId, resource, context);
  }
  return `${physicalName(logicalId, resource, context)}.${attribute}`;
}

function parseGetAtt(argument: unknown, path: string): [string, string] {
  if (typeof argument === 'string') {
    const dot = argument.indexOf('.');
    if (dot > 0) return [argument.slice(0, dot), argument.slice(dot + 1)];
  }
  if (Array.isArray(argument) && typeof argument[0] === 'string' && typeof argument[1] === 'string') {
    return [argument[0], argument[1]];
  }
  throw new Error(`${path}: Fn::GetAtt expects [logicalId, attribute] or 'logicalId.attribute'.`);
}

function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new Error(`${path}: expected a string, got ${JSON.stringify(value)}.`);
  return value;
}
