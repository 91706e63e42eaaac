/**
 * Turns the state machine of a synthesized CloudFormation template into
 * runnable ASL: intrinsics (`Fn::Join`, `Fn::GetAtt`, `Ref`, `Fn::Sub`, …) are
 * resolved to placeholder names and ARNs, and every Lambda function that
 * carries `framebridge:handler` metadata is mapped from its placeholder ARN to
 * its handler module. The local stack runs the result; infra tests assert on it.
 * No CDK import here: it also works on a template read from disk.
 */
import { HANDLER_METADATA_KEY } from './handlerMetadata';

export interface ExtractOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default 'framebridge' */
  readonly stackName?: string;
  /**
   * Physical names to use instead of the logical id for `Ref` and ARNs (for
   * example the local table and bucket names), keyed by logical id.
   * @default - resources are named by their logical id (buckets lower-cased)
   */
  readonly physicalNames?: Readonly<Record<string, string>>;
  /**
   * Which state machine to extract when the template holds several.
   * @default - the only `AWS::StepFunctions::StateMachine` of the template
   */
  readonly stateMachineLogicalId?: string;
}

/** The Amazon States Language document of a state machine. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly Comment?: string;
  readonly TimeoutSeconds?: number;
  readonly [key: string]: unknown;
}

export interface TemplateFunction {
  readonly logicalId: string;
  /** The repo-relative handler module, for example `lambdas/workflow/submit.ts`. */
  readonly handler: string;
  /** The function's environment with intrinsics resolved to placeholders (an unresolvable value is kept as is). */
  readonly environment: Record<string, unknown>;
}

export interface ExtractedStateMachine {
  readonly definition: AslDefinition;
  readonly functionsByArn: Record<string, TemplateFunction>;
  readonly stateMachineLogicalId: string;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

interface ResolveContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly physicalNames: Readonly<Record<string, string>>;
  readonly resources: Readonly<Record<string, TemplateResource>>;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** Marks `Ref: AWS::NoValue`: the enclosing property or list item is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

export function extractStateMachineDefinition(
  template: Record<string, unknown>,
  options: ExtractOptions = {},
): ExtractedStateMachine {
  const context = createContext(template, options);
  const [stateMachineLogicalId, stateMachine] = findStateMachine(context.resources, options.stateMachineLogicalId);
  const properties = stateMachine.Properties ?? {};

  let definition: unknown;
  if (properties.DefinitionString !== undefined) {
    let text = resolveToString(properties.DefinitionString, context, `${stateMachineLogicalId}.DefinitionString`);
    text = applySubstitutions(text, properties.DefinitionSubstitutions, context, stateMachineLogicalId);
    try {
      definition = JSON.parse(text);
    } catch (error) {
      throw new Error(`State machine ${stateMachineLogicalId}: the resolved DefinitionString is not JSON.`, {
        cause: error,
      });
    }
  } else if (properties.Definition !== undefined) {
    const substituted = applySubstitutions(
      JSON.stringify(resolveValue(properties.Definition, context, `${stateMachineLogicalId}.Definition`)),
      properties.DefinitionSubstitutions,
      context,
      stateMachineLogicalId,
    );
    definition = JSON.parse(substituted);
  } else {
    throw new Error(
      `State machine ${stateMachineLogicalId} has neither DefinitionString nor Definition (DefinitionS3Location is not supported).`,
    );
  }
  if (!isAslDefinition(definition)) {
    throw new Error(`State machine ${stateMachineLogicalId}: the definition has no StartAt/States.`);
  }
  return { definition, functionsByArn: functionsOf(context), stateMachineLogicalId };
}

/** The placeholder ARN of a Lambda function, as it appears in the extracted definition. */
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

/** Every function with handler metadata, by placeholder ARN, environment resolved. */
export function extractFunctions(
  template: Record<string, unknown>,
  options: ExtractOptions = {},
): Record<string, TemplateFunction> {
  return functionsOf(createContext(template, options));
}

export function lambdaPlaceholderArn(logicalId: string, options: ExtractOptions = {}): string {
  const name = options.physicalNames?.[logicalId] ?? logicalId;
  return `arn:aws:lambda:${options.region ?? 'us-east-1'}:${options.accountId ?? '000000000000'}:function:${name}`;
}

function createContext(template: Record<string, unknown>, options: ExtractOptions): ResolveContext {
  const resources = template.Resources;
  if (!isRecord(resources)) {
    throw new Error('Not a CloudFormation template: it has no Resources object.');
  }
  const typed: Record<string, TemplateResource> = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (isRecord(resource) && typeof resource.Type === 'string') {
      typed[logicalId] = {
        Type: resource.Type,
        Properties: isRecord(resource.Properties) ? resource.Properties : undefined,
        Metadata: isRecord(resource.Metadata) ? resource.Metadata : undefined,
      };
    }
  }
  const parameters: Record<string, unknown> = {};
  if (isRecord(template.Parameters)) {
    for (const [name, parameter] of Object.entries(template.Parameters)) {
      if (isRecord(parameter) && parameter.Default !== undefined) parameters[name] = parameter.Default;
    }
  }
  return {
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
    stackName: options.stackName ?? 'framebridge',
    physicalNames: options.physicalNames ?? {},
    resources: typed,
    parameters,
  };
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

function functionsOf(context: ResolveContext): Record<string, TemplateFunction> {
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

function applySubstitutions(text: string, substitutions: unknown, context: ResolveContext, logicalId: string): string {
  if (!isRecord(substitutions)) return text;
  let result = text;
  for (const [key, value] of Object.entries(substitutions)) {
    const replacement = resolveToString(value, context, `${logicalId}.DefinitionSubstitutions.${key}`);
    result = result.split(`\${${key}}`).join(replacement);
  }
  return result;
}

function resolveToString(value: unknown, context: ResolveContext, path: string): string {
  const resolved = resolveValue(value, context, path);
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  throw new Error(`${path}: expected a string after resolving intrinsics, got ${JSON.stringify(resolved)}.`);
}

function resolveValue(value: unknown, context: ResolveContext, path: string): unknown {
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

function arnFor(logicalId: string, resource: TemplateResource, context: ResolveContext): string {
  const name = physicalName(logicalId, resource, context);
  const { region, accountId } = context;
  switch (resource.Type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${accountId}:role/${name}`;
    case 'AWS::IAM::ManagedPolicy':
      return `arn:aws:iam::${accountId}:policy/${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${region}:${accountId}:event-bus/${name}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${accountId}:${name}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${region}:${accountId}:${name}`;
    default: {
      const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
      return `arn:aws:${service}:${region}:${accountId}:${name}`;
    }
  }
}

/** Explicit override, else a literal name property of the resource, else the logical id. */
function physicalName(logicalId: string, resource: TemplateResource, context: ResolveContext): string {
  const override = context.physicalNames[logicalId];
  if (override !== undefined) return override;
  const nameProperty = NAME_PROPERTIES[resource.Type];
  const literal = nameProperty === undefined ? undefined : resource.Properties?.[nameProperty];
  if (typeof literal === 'string') return literal;
  return resource.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
}

const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Events::EventBus': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
};

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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAslDefinition(value: unknown): value is AslDefinition {
  return (
    isRecord(value) &&
    typeof value.StartAt === 'string' &&
    isRecord(value.States) &&
    Object.values(value.States).every(isRecord)
  );
}
