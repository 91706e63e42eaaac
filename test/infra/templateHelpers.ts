import { type App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createFramebridgeApp } from '../../infra/framebridgeApp';
import type { FramebridgeStack, FramebridgeStackProps } from '../../infra/stack';
import { HANDLER_METADATA_KEY, STACK_OUTPUTS } from '../../lambdas/core/contract/names';

/** Generous: a synth takes ~2 s alone, more when test files run in parallel on two cores. */
export const BUILD_TIMEOUT_MS = 60_000;

export interface BuiltApp {
  readonly app: App;
  readonly stack: FramebridgeStack;
  readonly template: Template;
  readonly json: Record<string, unknown>;
}

export function buildTemplate(props?: FramebridgeStackProps): BuiltApp {
  const { app, stack } = createFramebridgeApp({ skipBundling: true, nag: false, props });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() };
}

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: unknown[];
}

export function resourcesOfType(json: Record<string, unknown>, type: string): [string, Resource][] {
  const resources = json.Resources as Record<string, Resource>;
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** The logical id of the Lambda function whose `framebridge:handler` metadata is `handler`. */
export function functionIdFor(json: Record<string, unknown>, handler: string): string {
  const matches = resourcesOfType(json, 'AWS::Lambda::Function').filter(
    ([, r]) => r.Metadata?.[HANDLER_METADATA_KEY] === handler,
  );
  if (matches.length !== 1) throw new Error(`expected one function for ${handler}, found ${matches.length}`);
  return (matches[0] as [string, Resource])[0];
}

export function environmentOf(json: Record<string, unknown>, handler: string): Record<string, unknown> {
  const [, fn] =
    resourcesOfType(json, 'AWS::Lambda::Function').find(([id]) => id === functionIdFor(json, handler)) ?? [];
  const environment = fn?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined;
  return environment?.Variables ?? {};
}

export function propertiesOf(json: Record<string, unknown>, handler: string): Record<string, unknown> {
  const id = functionIdFor(json, handler);
  return (json.Resources as Record<string, Resource>)[id]?.Properties ?? {};
}

/** The logical id of the role a resource names in `Role` (Lambda) or `RoleArn` (Step Functions). */
export function roleIdOf(json: Record<string, unknown>, logicalId: string): string {
  const properties = (json.Resources as Record<string, Resource>)[logicalId]?.Properties ?? {};
  const role = (properties.Role ?? properties.RoleArn) as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const roleId = role?.['Fn::GetAtt']?.[0];
  if (roleId === undefined) throw new Error(`${logicalId} names no role`);
  return roleId;
}

/** Every statement of every IAM policy attached to the role. */
export function statementsOfRole(json: Record<string, unknown>, roleId: string): PolicyStatementJson[] {
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
    .map((s) => ({
      Effect: s.Effect as string,
      Action: ([] as string[]).concat(s.Action as string | string[]),
      Resource: ([] as unknown[]).concat(s.Resource),
    }));
}

/** Every statement of every IAM policy attached to the function's role. */
export function statementsOf(json: Record<string, unknown>, handler: string): PolicyStatementJson[] {
  return statementsOfRole(json, roleIdOf(json, functionIdFor(json, handler)));
}

export function actionsOf(statements: readonly PolicyStatementJson[]): string[] {
  return [...new Set(statements.flatMap((s) => s.Action))].sort();
}

/** The resources of the statements granting `action`. */
export function resourcesFor(statements: readonly PolicyStatementJson[], action: string): unknown[] {
  return statements.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
}

/** The logical id a stack output refers to (`{"Ref": id}`). */
export function outputRef(json: Record<string, unknown>, name: string): string {
  const ref = (json.Outputs as Record<string, { Value: { Ref?: string } }> | undefined)?.[name]?.Value.Ref;
  if (ref === undefined) throw new Error(`no output ${name} referring to a resource`);
  return ref;
}

/** The jobs table (the template also holds the keys table): the one the JobsTableName output names. */
export function jobsTableId(json: Record<string, unknown>): string {
  return outputRef(json, STACK_OUTPUTS.jobsTableName);
}

/** The API keys table: the one the KeysTableName output names. */
export function keysTableId(json: Record<string, unknown>): string {
  return outputRef(json, STACK_OUTPUTS.keysTableName);
}

/** The `MethodSettings` of the API's one stage: `ResourcePath` '/*' for the stage, '/~1v2~1…' for one method. */
export function stageMethodSettings(json: Record<string, unknown>): Record<string, unknown>[] {
  const [, stage] = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0] ?? [];
  if (!stage) throw new Error('no AWS::ApiGateway::Stage');
  return (stage.Properties.MethodSettings ?? []) as Record<string, unknown>[];
}

export function logicalIdOfType(json: Record<string, unknown>, type: string): string {
  const matches = resourcesOfType(json, type);
  if (matches.length !== 1) throw new Error(`expected one ${type}, found ${matches.length}`);
  return (matches[0] as [string, Resource])[0];
}

/** `{"Fn::Join": ["", [{"Fn::GetAtt": [id, "Arn"]}, suffix]]}`, the shape CDK gives `arnForObjects` and friends. */
export function arnWithSuffix(logicalId: string, suffix: string): unknown {
  return { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId, 'Arn'] }, suffix]] };
}

export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every cdk-nag finding acknowledged in the app, with the construct path that acknowledges it. */
export function acknowledgements(root: App): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** The acknowledged wildcards on objects of the video bucket, as `<role path> <rule>[Resource::<bucket>/<pattern>]`. */
export function objectWildcardAcknowledgements(root: App): string[] {
  return acknowledgements(root)
    .filter(({ id }) => /^AwsSolutions-IAM5\[Resource::<VideoBucket[^>]*\.Arn>/.test(id))
    .map(({ path, id }) => `${path} ${id.replace(/<VideoBucket[^>]*\.Arn>/, '<bucket>')}`)
    .sort();
}
