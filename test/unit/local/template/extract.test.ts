// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub and DefinitionSubstitutions syntax, on purpose.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_METADATA_KEY, STATE_NAMES } from '../../../../lambdas/core/contract';
import { repoRoot } from '../../../../local/lambdaRuntime';
import {
  type AslDefinition,
  extractStateMachineDefinition,
  lambdaPlaceholderArn,
  synthesizeCloudFormationTemplate,
} from '../../../../local/template';

let built: { json: Record<string, unknown> };
/** The transition workflow (the template also holds the webhook delivery state machine). */
let workflowId: string;

beforeAll(() => {
  built = { json: synthesizeCloudFormationTemplate() };
  workflowId = (built.json.Outputs as Record<string, { Value: { Ref: string } }>).StateMachineArn?.Value.Ref ?? '';
});

/** The logical id a stack output refers to. */
function outputTarget(output: string): string {
  return (built.json.Outputs as Record<string, { Value: { Ref: string } }>)[output]?.Value.Ref ?? '';
}

function submitFunctionName(definition: AslDefinition): string {
  const parameters = definition.States[STATE_NAMES.submit]?.Parameters as { FunctionName?: string } | undefined;
  if (parameters?.FunctionName === undefined) throw new Error(`${STATE_NAMES.submit} has no FunctionName`);
  return parameters.FunctionName;
}

/** A hand-written template exercising the intrinsics CDK may emit. */
function syntheticTemplate(definition: Record<string, unknown>): Record<string, unknown> {
  return {
    Parameters: { Stage: { Type: 'String', Default: 'dev' } },
    Resources: {
      Worker: {
        Type: 'AWS::Lambda::Function',
        Metadata: { [HANDLER_METADATA_KEY]: 'lambdas/workflow/submit.ts' },
        Properties: {
          Environment: {
            Variables: {
              TABLE: { Ref: 'Jobs' },
              TOPIC: { 'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${Stage}' },
              OPTIONAL: { Ref: 'AWS::NoValue' },
              IMPORTED: { 'Fn::ImportValue': 'Elsewhere' },
            },
          },
        },
      },
      Helper: { Type: 'AWS::Lambda::Function', Properties: {} },
      Jobs: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'framebridge-events' } },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: definition },
    },
  };
}

describe('Local: extractStateMachineDefinition on the synthesized stack', () => {
  it('maps every Task to a function whose handler module exists', () => {
    // Act
    const { definition, functionsByArn } = extractStateMachineDefinition(built.json, {
      stateMachineLogicalId: workflowId,
    });

    // Assert
    const tasks = Object.entries(definition.States).filter(
      ([, s]) => s.Type === 'Task' && s.Resource === 'arn:aws:states:::lambda:invoke',
    );
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [
        STATE_NAMES.checkStatus,
        STATE_NAMES.copyToS3,
        STATE_NAMES.notify,
        STATE_NAMES.recordFailure,
        STATE_NAMES.submit,
      ].sort(),
    );
    for (const [name, task] of tasks) {
      const functionName = (task.Parameters as { FunctionName: string }).FunctionName;
      const fn = functionsByArn[functionName];
      expect(fn, name).toBeDefined();
      expect(existsSync(join(repoRoot, fn?.handler ?? 'missing')), `${name} → ${fn?.handler}`).toBe(true);
    }
  });

  it('names each function by its logical id in the placeholder ARN format', () => {
    const { definition, functionsByArn } = extractStateMachineDefinition(built.json, {
      stateMachineLogicalId: workflowId,
    });
    const submitArn = submitFunctionName(definition);

    expect(submitArn).toMatch(/^arn:aws:lambda:us-east-1:000000000000:function:WorkflowSubmitFunction[0-9A-F]{8}$/);
    expect(functionsByArn[submitArn]).toMatchObject({
      handler: 'lambdas/workflow/submit.ts',
      logicalId: submitArn.split(':').at(-1),
    });
    expect(lambdaPlaceholderArn(functionsByArn[submitArn]?.logicalId ?? '')).toBe(submitArn);
  });

  it('lists the API functions too, with their environment resolved', () => {
    const { functionsByArn } = extractStateMachineDefinition(built.json, { stateMachineLogicalId: workflowId });
    const create = Object.values(functionsByArn).find((f) => f.handler === 'lambdas/jobs/createTransition.ts');

    expect(Object.keys(functionsByArn)).toHaveLength(
      Object.keys(built.json.Resources as object).filter((id) =>
        JSON.stringify((built.json.Resources as Record<string, unknown>)[id]).includes(HANDLER_METADATA_KEY),
      ).length,
    );
    expect(create?.environment).toMatchObject({
      JOBS_TABLE_NAME: outputTarget('JobsTableName'),
      STATE_MACHINE_ARN: `arn:aws:states:us-east-1:000000000000:stateMachine:${workflowId}`,
    });
  });

  it('uses the physical names, region and account it is given', () => {
    const tableId = outputTarget('JobsTableName');
    const bucketId = (built.json.Outputs as Record<string, { Value: { Ref: string } }>).BucketName?.Value.Ref ?? '';

    const { definition, functionsByArn } = extractStateMachineDefinition(built.json, {
      stateMachineLogicalId: workflowId,
      region: 'eu-west-1',
      accountId: '123456789012',
      physicalNames: { [tableId]: 'framebridge-jobs', [bucketId]: 'framebridge-local' },
    });

    const submitArn = submitFunctionName(definition);
    expect(submitArn).toMatch(/^arn:aws:lambda:eu-west-1:123456789012:function:/);
    expect(functionsByArn[submitArn]?.environment).toMatchObject({
      JOBS_TABLE_NAME: 'framebridge-jobs',
      BUCKET_NAME: 'framebridge-local',
      SEGMIND_API_KEY_SECRET_ARN: expect.stringMatching(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:/),
    });
  });
});

describe('Local: extractStateMachineDefinition on other templates', () => {
  it('resolves Fn::Sub, Fn::GetAtt strings, Fn::Select/Split and DefinitionSubstitutions', () => {
    // Arrange
    const template = syntheticTemplate({
      DefinitionString: {
        'Fn::Join': [
          '',
          [
            {
              'Fn::Sub': [
                '{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:${AWS::Partition}:states:::lambda:invoke","Parameters":{"FunctionName":"${Worker.Arn}","Literal":"${!NotResolved}","Region":"${Zone}",',
                { Zone: { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/eu-north-1/c'] }] } },
              ],
            },
            '"Bus":"${bus}"},"End":true}}}',
          ],
        ],
      },
      DefinitionSubstitutions: { bus: { 'Fn::GetAtt': 'Bus.Arn' } },
    });

    // Act
    const { definition, functionsByArn } = extractStateMachineDefinition(template);

    // Assert
    expect(definition.States.Run).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:Worker',
        Bus: 'arn:aws:events:us-east-1:000000000000:event-bus/framebridge-events',
        Literal: '${NotResolved}',
        Region: 'eu-north-1',
      },
    });
    expect(Object.keys(functionsByArn)).toEqual(['arn:aws:lambda:us-east-1:000000000000:function:Worker']);
  });

  it('keeps unresolvable environment values as they are and drops AWS::NoValue', () => {
    const template = syntheticTemplate({ Definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } } });

    const { functionsByArn } = extractStateMachineDefinition(template);

    expect(Object.values(functionsByArn)[0]?.environment).toEqual({
      TABLE: 'Jobs',
      TOPIC: 'arn:aws:sns:us-east-1:000000000000:dev',
      IMPORTED: { 'Fn::ImportValue': 'Elsewhere' },
    });
  });

  it('accepts a Definition object as well as a DefinitionString', () => {
    const template = syntheticTemplate({
      Definition: {
        StartAt: 'Run',
        States: { Run: { Type: 'Task', Resource: { 'Fn::GetAtt': ['Worker', 'Arn'] }, End: true } },
      },
    });

    const { definition } = extractStateMachineDefinition(template);

    expect(definition.States.Run?.Resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:Worker');
  });

  it('explains what is wrong with a template it cannot use', () => {
    const noMachine = { Resources: { Jobs: { Type: 'AWS::DynamoDB::Table' } } };
    const twoMachines = syntheticTemplate({ Definition: { StartAt: 'A', States: { A: { Type: 'Succeed' } } } });
    (twoMachines.Resources as Record<string, unknown>).Other = (
      twoMachines.Resources as Record<string, unknown>
    ).Machine;
    const conditional = syntheticTemplate({ DefinitionString: { 'Fn::If': ['IsProd', 'a', 'b'] } });
    const notAsl = syntheticTemplate({ DefinitionString: '{"Comment":"no states"}' });

    expect(() => extractStateMachineDefinition({})).toThrow(/no Resources/);
    expect(() => extractStateMachineDefinition(noMachine)).toThrow(/no AWS::StepFunctions::StateMachine/);
    expect(() => extractStateMachineDefinition(twoMachines)).toThrow(/2 state machines .*pass stateMachineLogicalId/);
    expect(extractStateMachineDefinition(twoMachines, { stateMachineLogicalId: 'Other' }).stateMachineLogicalId).toBe(
      'Other',
    );
    expect(() => extractStateMachineDefinition(conditional)).toThrow(
      /Machine\.DefinitionString: intrinsic Fn::If is not supported/,
    );
    expect(() => extractStateMachineDefinition(notAsl)).toThrow(/no StartAt\/States/);
  });
});
