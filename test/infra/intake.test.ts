import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3Intake, type S3IntakeProps } from '../../infra/constructs/s3Intake';
import { matchesEventPattern } from '../../local/eventPattern';
import {
  actionsOf,
  arnWithSuffix,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  functionIdFor,
  jobsTableId,
  resourcesFor,
  resourcesOfType,
  roleIdOf,
  statementsOf,
} from './templateHelpers';

const INTAKE = 'lambdas/intake/s3Manifest.ts';
const OUTBOX = 'lambdas/intake/writeOutbox.ts';

let built: BuiltApp;

beforeAll(() => {
  built = buildTemplate();
}, BUILD_TIMEOUT_MS);

const output = (name: string): string =>
  (built.json.Outputs as Record<string, { Value: { Ref: string } }>)[name]?.Value.Ref ?? `no output ${name}`;
const bucketId = () => output('BucketName');
const busId = () => output('EventBusName');
const transitionMachineId = () => output('StateMachineArn');
/** The intake's dead-letter queue (the pipeline has other queues). */
const queueId = () => {
  const ids = resourcesOfType(built.json, 'AWS::SQS::Queue')
    .map(([id]) => id)
    .filter((id) => id.startsWith('IntakeDeadLetterQueue'));
  if (ids.length !== 1) throw new Error(`expected one intake dead-letter queue, found ${ids.length}`);
  return ids[0] ?? '';
};
const queueArn = () => ({ 'Fn::GetAtt': [queueId(), 'Arn'] });
/** What `SqsDestination` grants a function: sending to the queue (and finding it). */
const SEND_TO_QUEUE = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];

interface RuleProperties {
  EventBusName?: unknown;
  EventPattern: Record<string, unknown>;
  Targets: { Arn: unknown; DeadLetterConfig?: { Arn: unknown }; RetryPolicy?: Record<string, number> }[];
}

function ruleTargeting(handler: string): RuleProperties {
  const functionId = functionIdFor(built.json, handler);
  const rules = resourcesOfType(built.json, 'AWS::Events::Rule').filter(([, rule]) =>
    JSON.stringify(rule.Properties.Targets).includes(`"${functionId}","Arn"`),
  );
  const properties = rules[0]?.[1].Properties;
  if (!properties || rules.length !== 1)
    throw new Error(`expected one rule targeting ${handler}, found ${rules.length}`);
  return properties as unknown as RuleProperties;
}

/** An `Object Created` event as S3 puts it on the default bus, bucket name resolved to its logical id. */
const objectCreated = (key: string, bucket = { Ref: bucketId() }) => ({
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: { bucket: { name: bucket }, object: { key, size: 120 } },
});

/** Compares the pattern with the bucket still a `Ref` (the matcher compares JSON values). */
const manifestRuleMatches = (event: ReturnType<typeof objectCreated>) =>
  matchesEventPattern(
    JSON.parse(JSON.stringify(ruleTargeting(INTAKE).EventPattern).replace(`{"Ref":"${bucketId()}"}`, '"bucket"')),
    JSON.parse(JSON.stringify(event).replace(`{"Ref":"${bucketId()}"}`, '"bucket"')),
  );

describe('Infra: S3 intake rules', () => {
  it('sends Object Created under inbox/ of the video bucket, from the default bus, to the intake function', () => {
    const rule = ruleTargeting(INTAKE);

    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: bucketId() }] }, object: { key: [{ prefix: 'inbox/' }] } },
    });
  });

  it('never matches outbox/, jobs/ or another bucket: outputs cannot trigger intake', () => {
    expect(manifestRuleMatches(objectCreated('inbox/clip.json'))).toBe(true);
    expect(manifestRuleMatches(objectCreated('inbox/2025/clip.json'))).toBe(true);
    expect(manifestRuleMatches(objectCreated('outbox/clip.json'))).toBe(false);
    expect(manifestRuleMatches(objectCreated('outbox/inbox/clip.json'))).toBe(false);
    expect(manifestRuleMatches(objectCreated('jobs/01J/result.json'))).toBe(false);
    expect(manifestRuleMatches(objectCreated('inbox/clip.json', { Ref: 'OtherBucket' }))).toBe(false);
  });

  it('sends Transition Completed / Failed on the pipeline bus to the outbox function', () => {
    const rule = ruleTargeting(OUTBOX);

    expect(rule.EventBusName).toEqual({ Ref: busId() });
    expect(rule.EventPattern).toEqual({
      source: ['framebridge'],
      'detail-type': ['Transition Completed', 'Transition Failed'],
    });
  });

  it('retries both targets, then keeps the event in an encrypted, TLS-only dead-letter queue', () => {
    for (const handler of [INTAKE, OUTBOX]) {
      expect(ruleTargeting(handler).Targets, handler).toEqual([
        expect.objectContaining({
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId(), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
        }),
      ]);
    }
    built.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    const policies = resourcesOfType(built.json, 'AWS::SQS::QueuePolicy').filter(
      ([, policy]) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([{ Ref: queueId() }]),
    );
    expect(policies).toHaveLength(1);
    const document = policies[0]?.[1].Properties.PolicyDocument as { Statement: Record<string, unknown>[] };
    const statements = document.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const senders = statements.filter((s) => s.Effect === 'Allow');
    expect(senders.map((s) => s.Principal)).toEqual([
      { Service: 'events.amazonaws.com' },
      { Service: 'events.amazonaws.com' },
    ]);
    expect(senders.map((s) => s.Action)).toEqual(['sqs:SendMessage', 'sqs:SendMessage']);
  });

  it("sends the event of a function that threw, after Lambda's two retries, to the same dead-letter queue", () => {
    // EventBridge invokes Lambda asynchronously: its DLQ covers delivery only, this covers the handler.
    const configs = resourcesOfType(built.json, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties);
    for (const handler of [INTAKE, OUTBOX]) {
      expect(
        configs.filter(
          (c) => JSON.stringify(c.FunctionName) === JSON.stringify({ Ref: functionIdFor(built.json, handler) }),
        ),
        handler,
      ).toEqual([
        {
          FunctionName: { Ref: functionIdFor(built.json, handler) },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 7200,
          DestinationConfig: { OnFailure: { Destination: queueArn() } },
        },
      ]);
      expect(resourcesFor(statementsOf(built.json, handler), 'sqs:SendMessage'), handler).toEqual([queueArn()]);
    }
  });

  it('lets EventBridge invoke each function only from its rule', () => {
    const permissions = resourcesOfType(built.json, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
    for (const handler of [INTAKE, OUTBOX]) {
      const invokers = permissions.filter(
        (p) =>
          JSON.stringify(p.FunctionName) ===
          JSON.stringify({ 'Fn::GetAtt': [functionIdFor(built.json, handler), 'Arn'] }),
      );
      expect(invokers, handler).toEqual([
        expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' }),
      ]);
    }
  });
});

describe('Infra: S3 intake functions', () => {
  const base = { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'framebridge' };
  const tableId = () => jobsTableId(built.json);
  const nonLogging = (actions: string[]) => actions.filter((a) => !/^(logs|xray):/.test(a));

  it('gives each function exactly its environment', () => {
    expect(environmentOf(built.json, INTAKE)).toEqual({
      ...base,
      JOBS_TABLE_NAME: { Ref: tableId() },
      BUCKET_NAME: { Ref: bucketId() },
      STATE_MACHINE_ARN: { Ref: transitionMachineId() },
    });
    expect(environmentOf(built.json, OUTBOX)).toEqual({
      ...base,
      JOBS_TABLE_NAME: { Ref: tableId() },
      BUCKET_NAME: { Ref: bucketId() },
    });
  });

  it('lets the intake read inbox/*, write outbox/*, write jobs and start the transition workflow, nothing else', () => {
    const statements = statementsOf(built.json, INTAKE);

    expect(nonLogging(actionsOf(statements))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      's3:GetObject',
      's3:PutObject',
      ...SEND_TO_QUEUE,
      'states:StartExecution',
    ]);
    expect(resourcesFor(statements, 's3:GetObject')).toEqual([arnWithSuffix(bucketId(), '/inbox/*')]);
    expect(resourcesFor(statements, 's3:PutObject')).toEqual([arnWithSuffix(bucketId(), '/outbox/*')]);
    expect(resourcesFor(statements, 'states:StartExecution')).toEqual([{ Ref: transitionMachineId() }]);
  });

  it('lets the outbox function read jobs and jobs/*, and write outbox/* only', () => {
    const statements = statementsOf(built.json, OUTBOX);

    expect(nonLogging(actionsOf(statements))).toEqual([
      'dynamodb:GetItem',
      's3:GetObject',
      's3:PutObject',
      ...SEND_TO_QUEUE,
    ]);
    expect(resourcesFor(statements, 's3:GetObject')).toEqual([arnWithSuffix(bucketId(), '/jobs/*')]);
    expect(resourcesFor(statements, 's3:PutObject')).toEqual([arnWithSuffix(bucketId(), '/outbox/*')]);
  });

  it('grants no wildcard action and no managed policy to either function', () => {
    for (const handler of [INTAKE, OUTBOX]) {
      expect(
        actionsOf(statementsOf(built.json, handler)).filter((a) => a.includes('*')),
        handler,
      ).toEqual([]);
      const roleId = roleIdOf(built.json, functionIdFor(built.json, handler));
      const [, role] = resourcesOfType(built.json, 'AWS::IAM::Role').find(([id]) => id === roleId) ?? [];
      expect(role?.Properties.ManagedPolicyArns, handler).toBeUndefined();
    }
  });
});

describe('Infra: S3Intake props', () => {
  const intakeWith = (props: Partial<S3IntakeProps>) => () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
    new S3Intake(stack, 'Intake', {
      bucket: Bucket.fromBucketName(stack, 'Bucket', 'framebridge-bucket'),
      table: Table.fromTableName(stack, 'Table', 'framebridge-jobs'),
      stateMachine: StateMachine.fromStateMachineName(stack, 'Machine', 'framebridge-transition'),
      eventBus: EventBus.fromEventBusName(stack, 'Bus', 'framebridge-events'),
      ...props,
    });
    return Template.fromStack(stack).toJSON();
  };

  it.each<[string, Partial<S3IntakeProps>, RegExp]>([
    [
      'three handler retries',
      { handlerRetryAttempts: 3 },
      /handlerRetryAttempts must be a whole number between 0 and 2, got 3/,
    ],
    [
      'a handler event age over 6 hours',
      { handlerMaxEventAge: Duration.hours(7) },
      /handlerMaxEventAge must be a concrete duration between 1 minute and 6 hours, got 7 hours/,
    ],
    [
      'a retention of half a day',
      { jobRetentionDays: 0.5 },
      /jobRetentionDays must be a whole number of days ≥ 1, got 0.5/,
    ],
  ])('refuses %s, naming the prop and its bounds', (_case, props, message) => {
    expect(intakeWith(props)).toThrow(message);
  });

  it("sets Lambda's retries and the job-record retention it is given", () => {
    const json = intakeWith({
      handlerRetryAttempts: 0,
      handlerMaxEventAge: Duration.minutes(5),
      jobRetentionDays: 90,
    })();

    const configs = resourcesOfType(json, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties);
    expect(configs).toHaveLength(2);
    for (const config of configs)
      expect(config).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
    expect(environmentOf(json, INTAKE)).toMatchObject({ FRAMEBRIDGE_JOB_RETENTION_DAYS: '90' });
  });
});
