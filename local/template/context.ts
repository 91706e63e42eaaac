/** What resolving a template's intrinsics needs: its resources, parameter defaults and the names to use. */

/** How to name the resources of a template while resolving it. */
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

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface ResolveContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly physicalNames: Readonly<Record<string, string>>;
  readonly resources: Readonly<Record<string, TemplateResource>>;
  readonly parameters: Readonly<Record<string, unknown>>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createContext(template: Record<string, unknown>, options: ExtractOptions): ResolveContext {
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
