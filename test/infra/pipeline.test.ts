import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { TransitionPipeline, type TransitionPipelineProps } from '../../infra/index';
import {
  arnWithSuffix,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  functionIdFor,
  resourcesFor,
  resourcesOfType,
  statementsOf,
} from './templateHelpers';

/** An app for a quick template: bundling and CloudFormation validation skipped. */
const quickApp = () => new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });

/** Another team's app: its own stack, its own hardened bucket, framebridge embedded without the API. */
function embeddingApp(props: Omit<TransitionPipelineProps, 'bucket'> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'MediaPlatform', { env: { account: '123456789012', region: 'eu-west-1' } });
  const accessLogs = new Bucket(stack, 'AccessLogs', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: BucketEncryption.S3_MANAGED,
  });
  const media = new Bucket(stack, 'Media', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: BucketEncryption.S3_MANAGED,
    serverAccessLogsBucket: accessLogs,
  });
  // EventBridge notifications on the bucket itself, as VideoBucket does (no custom resource).
  (media.node.defaultChild as CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
  const pipeline = new TransitionPipeline(stack, 'Transitions', { ...props, bucket: media, api: false });
  return { app, stack, media, accessLogs, pipeline };
}

const alarmMetrics = (template: Template) =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .map((alarm) => String((alarm as { Properties: { MetricName?: string } }).Properties.MetricName ?? 'expression'))
    .sort();

let defaults: BuiltApp;

beforeAll(() => {
  defaults = buildTemplate();
}, BUILD_TIMEOUT_MS);

describe('Infra: TransitionPipeline defaults', () => {
  it('deploys the API, the S3 intake and every alarm by default', () => {
    const { pipeline } = defaults.stack;

    expect(pipeline.api).toBeDefined();
    expect(pipeline.keysTable).toBeDefined();
    expect(pipeline.intake).toBeDefined();
    expect(pipeline.videoBucket).toBeDefined();
    expect(pipeline.alarms).toHaveLength(6);
    expect(alarmMetrics(defaults.template)).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesVisible',
      'ExecutionThrottled',
      'ExecutionsTimedOut',
      'SystemFailures',
      'expression',
    ]);
  });

  it('alarms on throttled executions of the transition state machine', () => {
    const machineId = (defaults.json.Outputs as Record<string, { Value: { Ref: string } }>).StateMachineArn?.Value.Ref;

    defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionThrottled',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on any message in the intake dead-letter queue', () => {
    defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [
              defaults.stack.getLogicalId(
                defaults.stack.pipeline.intake?.deadLetterQueue.node.defaultChild as CfnElement,
              ),
              'QueueName',
            ],
          },
        },
      ],
      Threshold: 1,
    });
  });

  it('keeps the logical ids the stack had before the pipeline construct (an update, not a replacement)', () => {
    const outputs = defaults.json.Outputs as Record<string, { Value: unknown }>;

    expect(outputs.BucketName?.Value).toEqual({ Ref: expect.stringMatching(/^VideoBucket[0-9A-F]{8}$/) });
    expect(outputs.JobsTableName?.Value).toEqual({ Ref: expect.stringMatching(/^JobsTable[0-9A-F]{8}$/) });
    expect(outputs.StateMachineArn?.Value).toEqual({ Ref: expect.stringMatching(/^WorkflowStateMachine[0-9A-F]{8}$/) });
    // Added with tenants; a table's logical id must not move once deployed.
    expect(outputs.KeysTableName?.Value).toEqual({ Ref: expect.stringMatching(/^KeysTable[0-9A-F]{8}$/) });
    expect(Object.keys(outputs).sort()).toEqual([
      'ApiUrl',
      'BucketName',
      'EventBusName',
      'JobsTableName',
      'KeysTableName',
      'SegmindApiKeySecretArn',
      'StateMachineArn',
      'WebhookSigningSecretArn',
    ]);
  });
});

describe('Infra: TransitionPipeline options', () => {
  it('leaves out the API, the intake and the alarms when asked', () => {
    // Arrange
    const stack = new Stack(quickApp(), 'Minimal');

    // Act
    const pipeline = new TransitionPipeline(stack, 'Transitions', { api: false, intake: false, alarms: false });

    // Assert
    const template = Template.fromStack(stack);
    expect(pipeline.api).toBeUndefined();
    expect(pipeline.keysTable).toBeUndefined();
    expect(pipeline.intake).toBeUndefined();
    expect(pipeline.alarms).toEqual([]);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    // The jobs table only: without the API there are no keys to hold.
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    // The reconciler is always there: its rule and its dead-letter queue.
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    // The transition workflow, its webhook delivery and its cancellation tail.
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 3);
  });

  it('adds the alarm topic as the action of every alarm', () => {
    // Arrange
    const stack = new Stack(quickApp(), 'Alarmed');
    const topic = new Topic(stack, 'OnCall');

    // Act
    const pipeline = new TransitionPipeline(stack, 'Transitions', { alarmTopic: topic });

    // Assert
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(pipeline.alarms.length);
    for (const alarm of alarms) {
      expect((alarm as { Properties: { AlarmActions: unknown } }).Properties.AlarmActions).toEqual([
        { Ref: stack.getLogicalId(topic.node.defaultChild as never) },
      ]);
    }
  });

  it('puts its events on, and listens for them on, a bus it is given', () => {
    // Arrange
    const stack = new Stack(quickApp(), 'SharedBus');
    const bus = new EventBus(stack, 'Platform');

    // Act
    const pipeline = new TransitionPipeline(stack, 'Transitions', { eventBus: bus, api: false });

    // Assert
    const template = Template.fromStack(stack);
    expect(pipeline.eventBus).toBe(bus);
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: stack.getLogicalId(bus.node.defaultChild as never) },
      EventPattern: { source: ['framebridge'] },
    });
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'retentionDays with your own bucket',
      () => embeddingApp({ retentionDays: 7 }),
      /retentionDays applies to the bucket the pipeline creates; with your own bucket, set a lifecycle rule/,
    ],
    [
      'retentionDays below one day',
      () => new TransitionPipeline(new Stack(quickApp(), 'S'), 'P', { retentionDays: 0.5 }),
      /retentionDays must be a whole number of days ≥ 1, got 0.5/,
    ],
    [
      'an alarm topic without alarms',
      () => {
        const stack = new Stack(quickApp(), 'S');
        return new TransitionPipeline(stack, 'P', { alarms: false, alarmTopic: new Topic(stack, 'T') });
      },
      /alarmTopic is set but alarms is false.*drop alarmTopic or set alarms: true/,
    ],
    [
      'API options without the API',
      () => new TransitionPipeline(new Stack(quickApp(), 'S'), 'P', { api: false, apiOptions: { stageName: 'v1' } }),
      /apiOptions is set but api is false/,
    ],
    [
      'a KMS-encrypted bucket',
      () => {
        const stack = new Stack(quickApp(), 'S');
        const bucket = new Bucket(stack, 'B', { encryptionKey: new Key(stack, 'K') });
        return new TransitionPipeline(stack, 'P', { bucket });
      },
      /encrypted with a KMS key.*use SSE-S3/,
    ],
  ])('refuses %s, saying what to do', (_case, build, message) => {
    expect(build).toThrow(message);
  });
});

describe('Infra: embedding TransitionPipeline in another app', () => {
  let embedded: ReturnType<typeof embeddingApp>;
  let template: Template;

  beforeAll(() => {
    embedded = embeddingApp();
    template = Template.fromStack(embedded.stack);
  }, BUILD_TIMEOUT_MS);

  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    // Act
    const report = new AwsSolutionsChecks(embedded.app).validateScope(embedded.app);

    // Assert
    const findings = report.violations.map(
      (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('uses the app’s bucket: no bucket of its own, every grant and the intake rule on it', () => {
    const json = template.toJSON();
    const mediaId = embedded.stack.getLogicalId(embedded.media.node.defaultChild as never);

    expect(embedded.pipeline.bucket).toBe(embedded.media);
    expect(embedded.pipeline.videoBucket).toBeUndefined();
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    expect(resourcesFor(statementsOf(json, 'lambdas/intake/s3Manifest.ts'), 's3:GetObject')).toEqual([
      arnWithSuffix(mediaId, '/inbox/*'),
    ]);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { bucket: { name: [{ Ref: mediaId }] }, object: Match.anyValue() } }),
    });
    expect(() => functionIdFor(json, 'lambdas/jobs/createTransition.ts')).toThrow(/found 0/);
  });

  it('exposes what another construct needs to start and observe jobs', () => {
    const { pipeline } = embedded;

    expect(embedded.stack.resolve(pipeline.stateMachine.stateMachineArn)).toEqual({
      Ref: expect.stringMatching(/^TransitionsWorkflowStateMachine/),
    });
    expect(embedded.stack.resolve(pipeline.table.tableName)).toEqual({
      Ref: expect.stringMatching(/^TransitionsJobsTable/),
    });
    expect(embedded.stack.resolve(pipeline.eventBus.eventBusName)).toEqual({
      Ref: resourcesOfType(template.toJSON(), 'AWS::Events::EventBus')[0]?.[0],
    });
    expect(pipeline.alarms).toHaveLength(6);
  });
});
