import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  WEBHOOK_RETRY,
  WebhookDelivery,
  type WebhookDeliveryProps,
  webhookRetryWaitsSeconds,
} from '../../infra/constructs/webhookDelivery';
import { type AslDefinition, extractStateMachineDefinition } from '../../local/template';
import {
  actionsOf,
  arnWithSuffix,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  functionIdFor,
  jobsTableId,
  propertiesOf,
  resourcesFor,
  resourcesOfType,
  roleIdOf,
  statementsOf,
  statementsOfRole,
} from './templateHelpers';

const DELIVER = 'lambdas/webhooks/deliverWebhook.ts';
const RECORD_WEBHOOK_FAILURE = 'lambdas/webhooks/recordWebhookFailure.ts';
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

let built: BuiltApp;
let deliveryId: string;
let definition: AslDefinition;

function state(name: string): Record<string, unknown> {
  const found = definition.States[name];
  if (!found) throw new Error(`no state named '${name}'`);
  return found;
}

beforeAll(() => {
  built = buildTemplate();
  const ids = resourcesOfType(built.json, 'AWS::StepFunctions::StateMachine').map(([id]) => id);
  const found = ids.find(
    (id) =>
      extractStateMachineDefinition(built.json, { stateMachineLogicalId: id }).definition.StartAt === 'Deliver Webhook',
  );
  if (!found) throw new Error('no webhook delivery state machine');
  deliveryId = found;
  definition = extractStateMachineDefinition(built.json, { stateMachineLogicalId: deliveryId }).definition;
}, BUILD_TIMEOUT_MS);

describe('Infra: webhook delivery state machine', () => {
  it('delivers, or records the failure and ends failed', () => {
    const types = Object.fromEntries(Object.entries(definition.States).map(([name, s]) => [name, s.Type]));

    expect(definition.StartAt).toBe('Deliver Webhook');
    expect(types).toEqual({
      'Deliver Webhook': 'Task',
      'Webhook Delivered': 'Succeed',
      'Record Webhook Failure': 'Task',
      'Webhook Failed': 'Fail',
    });
    expect(state('Deliver Webhook').Next).toBe('Webhook Delivered');
    expect(state('Deliver Webhook').Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record Webhook Failure' },
    ]);
    expect(state('Record Webhook Failure').Next).toBe('Webhook Failed');
    expect(state('Record Webhook Failure')).not.toHaveProperty('Catch');
    expect(state('Webhook Failed')).toEqual({ Type: 'Fail', Error: 'WebhookDeliveryFailed', CausePath: '$.message' });
  });

  it('retries a failed attempt with exponential backoff and full jitter for over an hour, never a 410 or a refusal', () => {
    // Act
    const retry = state('Deliver Webhook').Retry as Record<string, unknown>[];

    // Assert
    expect(retry).toEqual([
      {
        ErrorEquals: LAMBDA_SERVICE_ERRORS,
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      },
      {
        ErrorEquals: ['WebhookRetryableError'],
        IntervalSeconds: 30,
        MaxAttempts: 10,
        BackoffRate: 2,
        MaxDelaySeconds: 1800,
        JitterStrategy: 'FULL',
      },
    ]);
    const retried = retry.flatMap((r) => r.ErrorEquals as string[]);
    for (const never of ['WebhookGoneError', 'WebhookRefusedError', 'States.ALL', 'States.TaskFailed']) {
      expect(retried).not.toContain(never);
    }
  });

  it('spreads the retries over more than an hour, even on average under full jitter', () => {
    // Act
    const waits = webhookRetryWaitsSeconds();
    const nominal = waits.reduce((sum, wait) => sum + wait, 0);

    // Assert
    expect(waits).toEqual([30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]);
    expect(nominal).toBe(9090);
    expect(nominal / 2).toBeGreaterThan(3600);
    expect(WEBHOOK_RETRY.maxAttempts + 1).toBe(11);
  });

  it('times out after the whole schedule could have run (3 hours), below nothing it must wait for', () => {
    expect(definition.TimeoutSeconds).toBe(3 * 3600);
    expect(definition.TimeoutSeconds).toBeGreaterThan(9090 + 11 * 30);
  });

  it('is a Standard state machine with its own log group, full logging without data, and tracing', () => {
    const machine = Object.fromEntries(resourcesOfType(built.json, 'AWS::StepFunctions::StateMachine'))[deliveryId];
    const logging = machine?.Properties.LoggingConfiguration as
      | { Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[] }
      | undefined;
    const logGroupArn = logging?.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] ?? 'none';
    const others = resourcesOfType(built.json, 'AWS::StepFunctions::StateMachine').filter(([id]) => id !== deliveryId);

    expect(machine?.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
    expect(logGroupArn).toMatch(/^WorkflowWebhookDeliveryExecutionLogs/);
    for (const [id, other] of others) expect(JSON.stringify(other.Properties), id).not.toContain(logGroupArn);
  });

  it('raises DeadWebhooksAlarm on one failed or timed-out delivery', () => {
    const alarms = resourcesOfType(built.json, 'AWS::CloudWatch::Alarm').filter(([id]) => id.includes('DeadWebhooks'));

    expect(alarms).toHaveLength(1);
    const [, alarm] = alarms[0] as [string, { Properties: Record<string, unknown> }];
    expect(alarm.Properties).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const metrics = alarm.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] }; Stat: string };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0)');
    const byId = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat]));
    expect(byId).toMatchObject({
      failed: { Metric: { MetricName: 'ExecutionsFailed', Dimensions: [{ Value: { Ref: deliveryId } }] }, Stat: 'Sum' },
      timedOut: {
        Metric: { MetricName: 'ExecutionsTimedOut', Dimensions: [{ Value: { Ref: deliveryId } }] },
        Stat: 'Sum',
      },
    });
  });

  it('may invoke its two functions and no other', () => {
    const invoked = resourcesFor(
      statementsOfRole(built.json, roleIdOf(built.json, deliveryId)),
      'lambda:InvokeFunction',
    );

    const expected = [DELIVER, RECORD_WEBHOOK_FAILURE].flatMap((handler) => {
      const id = functionIdFor(built.json, handler);
      return [{ 'Fn::GetAtt': [id, 'Arn'] }, arnWithSuffix(id, ':*')];
    });
    expect(invoked).toHaveLength(expected.length);
    expect(invoked).toEqual(expect.arrayContaining(expected));
  });
});

describe('Infra: webhook delivery functions', () => {
  const outputRef = (name: string): string =>
    (built.json.Outputs as Record<string, { Value: { Ref: string } }>)[name]?.Value.Ref ?? `no output ${name}`;
  const base = { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'framebridge' };
  const tableRef = () => ({ Ref: jobsTableId(built.json) });
  const webhookSecretId = () => {
    const ids = resourcesOfType(built.json, 'AWS::SecretsManager::Secret')
      .map(([id]) => id)
      .filter((id) => id.includes('WebhookSigningSecret'));
    if (ids.length !== 1) throw new Error(`expected one webhook signing secret, found ${ids.join(', ')}`);
    return ids[0] as string;
  };

  it('gives Deliver Webhook the table, the bucket and the signing secret’s ARN, and nothing else', () => {
    expect(environmentOf(built.json, DELIVER)).toEqual({
      ...base,
      JOBS_TABLE_NAME: tableRef(),
      BUCKET_NAME: { Ref: outputRef('BucketName') },
      WEBHOOK_SECRET_ARN: { Ref: webhookSecretId() },
    });
    expect(environmentOf(built.json, RECORD_WEBHOOK_FAILURE)).toEqual({ ...base, JOBS_TABLE_NAME: tableRef() });
  });

  it('signs with the one webhook secret of the stack (no second one generated)', () => {
    expect(webhookSecretId()).toEqual(expect.any(String));
  });

  it('lets Deliver Webhook presign the videos only, and read the signing secret only', () => {
    const statements = statementsOf(built.json, DELIVER);

    expect(actionsOf(statements).filter((a) => /^(s3|secretsmanager|states|events):/.test(a))).toEqual([
      's3:GetObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(resourcesFor(statements, 's3:GetObject')).toEqual([
      arnWithSuffix(outputRef('BucketName'), '/jobs/*/video.mp4'),
    ]);
    expect(resourcesFor(statements, 'secretsmanager:GetSecretValue')).toEqual([{ Ref: webhookSecretId() }]);
  });

  it('lets Record Webhook Failure write the jobs table and nothing else but its logs and traces', () => {
    const actions = actionsOf(statementsOf(built.json, RECORD_WEBHOOK_FAILURE));

    expect(actions.filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
  });

  it('gives one attempt 30 s: the POST’s 15 s deadline plus presign and DynamoDB', () => {
    expect(propertiesOf(built.json, DELIVER)).toMatchObject({ Timeout: 30 });
    expect(propertiesOf(built.json, RECORD_WEBHOOK_FAILURE)).toMatchObject({ Timeout: 30 });
  });
});

describe('Infra: WebhookDelivery on its own', () => {
  const deliveryIn = (props: Partial<WebhookDeliveryProps> = {}) => {
    const stack = new Stack(
      new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }),
      'Embedding',
    );
    new WebhookDelivery(stack, 'Webhooks', {
      table: new Table(stack, 'Jobs', { partitionKey: { name: 'id', type: AttributeType.STRING } }),
      bucket: new Bucket(stack, 'Videos'),
      ...props,
    });
    return Template.fromStack(stack);
  };

  it('generates its own signing secret when given none', () => {
    const template = deliveryIn();

    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('refuses a timeout shorter than its retry schedule, saying what it must cover', () => {
    expect(() => deliveryIn({ timeout: Duration.hours(1) })).toThrow(
      /timeout must cover the retry schedule \(157 minutes: 9090 s of waits and 11 attempts of up to 30 s\)/,
    );
    expect(() => deliveryIn({ timeout: Duration.hours(4) })).not.toThrow();
  });
});
