import { extractStateMachineDefinition } from '../infra/aslFromTemplate';
import { createFramebridgeApp } from '../infra/framebridgeApp';

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export type CloudFormationTemplate = { Resources: Record<string, Resource> };

export interface SynthesizedStack {
  template: CloudFormationTemplate;
  definition: { StartAt: string; States: Record<string, { Type: string; Parameters?: unknown }> };
  functionsByArn: Record<string, { logicalId: string; handler: string; timeoutSeconds: number }>;
  jobsTableProperties: Record<string, unknown>;
}

/**
 * Synthesizes the CDK app in-process (bundling skipped: only the template is
 * needed) and takes from it what the local stack runs: the state machine
 * definition, which module each function runs, and the jobs table's keys.
 */
export async function synthesizeTemplate(): Promise<SynthesizedStack> {
  const { app, stack } = createFramebridgeApp({ skipBundling: true, nag: false });
  const template = app.synth().getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
  const extracted = extractStateMachineDefinition(template);
  const functionsByArn = Object.fromEntries(
    Object.entries(extracted.functionsByArn).map(([arn, fn]) => [
      arn,
      {
        logicalId: fn.logicalId,
        handler: fn.handler,
        timeoutSeconds: Number(template.Resources[fn.logicalId]?.Properties?.Timeout ?? 60),
      },
    ]),
  );
  const table = Object.values(template.Resources).find(
    (resource) => resource.Type === 'AWS::DynamoDB::Table' || resource.Type === 'AWS::DynamoDB::GlobalTable',
  );
  if (!table?.Properties) throw new Error('The template defines no jobs table');
  return {
    template,
    definition: extracted.definition as SynthesizedStack['definition'],
    functionsByArn,
    jobsTableProperties: table.Properties,
  };
}
