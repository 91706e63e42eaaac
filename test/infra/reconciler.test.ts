import { App, Duration, Stack } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { Reconciler, type ReconcilerProps } from '../../infra/constructs/reconciler';
import { matchesEventPattern } from '../../local/eventPattern';
import {
  actionsOf,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  functionIdFor,
  jobsTableId,
  outputRef,
  resourcesFor,
  resourcesOfType,
  statementsOf,
} from './templateHelpers';

const RECONCILER = 'lambdas/reconciler/reconcileExecution.ts';
const CANCEL = 'lambdas/jobs/cancelRequest.ts';

let built: BuiltApp;

beforeAll(() => {
  built = buildTemplate();
}, BUILD_TIMEOUT_MS);

const transitionMachineId = () => outputRef(built.json, 'StateMachineArn');
const reconcilerQueueId = () => {
  const [id] =
    resourcesOfType(built.json, 'AWS::SQS::Queue').find(([queueId]) => queueId.startsWith('Reconciler')) ?? [];
  if (!id) throw new Error('no reconciler dead-letter queue');
  return id;
};

interface RuleProperties {
  EventBusName?: unknown;
  EventPattern: Record<string, unknown>;
  Targets: { Arn: unknown; DeadLetterConfig?: { Arn: unknown }; RetryPolicy?: Record<string, number> }[];
}

function reconcilerRule(): RuleProperties {
  const functionId = functionIdFor(built.json, RECONCILER);
  const rules = resourcesOfType(built.json, 'AWS::Events::Rule').filter(([, rule]) =>
    JSON.stringify(rule.Properties.Targets).includes(`"${functionId}","Arn"`),
  );
  const properties = rules[0]?.[1].Properties;
  if (!properties || rules.length !== 1)
    throw new Error(`expected one rule targeting the reconciler, found ${rules.length}`);
  return properties as unknown as RuleProperties;
}

/** A status change event of a machine, its ARN standing for the `Ref` in the pattern. */
const statusChange = (status: string, stateMachineArn: unknown = { Ref: transitionMachineId() }) => ({
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: { stateMachineArn, status, name: 'job-run', input: '{"jobId":"job"}' },
});
/** Compares with each `Ref` turned into a string (the matcher compares JSON values). */
const refsAsStrings = (value: unknown) => JSON.parse(JSON.stringify(value).replace(/\{"Ref":"(\w+)"\}/g, '"ref:$1"'));
const ruleMatches = (event: ReturnType<typeof statusChange>) =>
  matchesEventPattern(refsAsStrings(reconcilerRule().EventPattern), refsAsStrings(event));

describe('Infra: the reconciler rule', () => {
  it("sends the transition workflow's FAILED, TIMED_OUT and ABORTED status changes, from the default bus, to the reconciler", () => {
    const rule = reconcilerRule();

    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: transitionMachineId() }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
  });

  it('matches only ended-outside-success executions of the transition workflow', () => {
    for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED'])
      expect(ruleMatches(statusChange(status)), status).toBe(true);
    for (const status of ['RUNNING', 'SUCCEEDED']) expect(ruleMatches(statusChange(status)), status).toBe(false);
    for (const [machineId] of resourcesOfType(built.json, 'AWS::StepFunctions::StateMachine')) {
      if (machineId === transitionMachineId()) continue;
      expect(ruleMatches(statusChange('FAILED', { Ref: machineId })), machineId).toBe(false);
    }
  });

  it('retries the delivery, then keeps the event in an encrypted, TLS-only dead-letter queue', () => {
    expect(reconcilerRule().Targets).toEqual([
      expect.objectContaining({
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [reconcilerQueueId(), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
      }),
    ]);
    const [, queue] = resourcesOfType(built.json, 'AWS::SQS::Queue').find(([id]) => id === reconcilerQueueId()) ?? [];
    expect(queue?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const [, policy] =
      resourcesOfType(built.json, 'AWS::SQS::QueuePolicy').find(([, p]) =>
        JSON.stringify(p.Properties.Queues).includes(reconcilerQueueId()),
      ) ?? [];
    expect(policy?.Properties.PolicyDocument).toMatchObject({
      Statement: expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } }),
      ]),
    });
  });

  it('sends an invocation whose handler kept throwing to the same dead-letter queue (Lambda onFailure)', () => {
    built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionIdFor(built.json, RECONCILER) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 7200,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [reconcilerQueueId(), 'Arn'] } } },
    });
  });
});

describe('Infra: the reconciler function', () => {
  const nonLogging = (actions: string[]) => actions.filter((a) => !/^(logs|xray):/.test(a));

  it('gets the jobs table and the cancellation tail, the same tail cancel announces through', () => {
    const tail = environmentOf(built.json, CANCEL).CANCELLATION_TAIL_ARN;

    expect(tail).toEqual({ Ref: expect.stringMatching(/CancellationTail/) });
    expect(environmentOf(built.json, RECONCILER)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'framebridge',
      JOBS_TABLE_NAME: { Ref: jobsTableId(built.json) },
      CANCELLATION_TAIL_ARN: tail,
    });
  });

  it('may read and update jobs, start the cancellation tail and send to its queue, nothing else', () => {
    const statements = statementsOf(built.json, RECONCILER);

    expect(nonLogging(actionsOf(statements))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'states:StartExecution',
    ]);
    expect(resourcesFor(statements, 'dynamodb:UpdateItem')).toEqual([
      { 'Fn::GetAtt': [jobsTableId(built.json), 'Arn'] },
    ]);
    expect(resourcesFor(statements, 'states:StartExecution')).toEqual([
      environmentOf(built.json, RECONCILER).CANCELLATION_TAIL_ARN,
    ]);
    expect(resourcesFor(statements, 'sqs:SendMessage')).toEqual([{ 'Fn::GetAtt': [reconcilerQueueId(), 'Arn'] }]);
  });
});

describe('Infra: Reconciler props', () => {
  function reconcilerIn(props: Partial<ReconcilerProps> = {}) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Probe');
    const machine = (id: string) =>
      new StateMachine(stack, id, { definitionBody: DefinitionBody.fromChainable(new Pass(stack, `${id}Pass`)) });
    const table = new Table(stack, 'Jobs', { partitionKey: { name: 'id', type: AttributeType.STRING } });
    return () =>
      new Reconciler(stack, 'Reconciler', {
        stateMachine: machine('Transition'),
        cancellationTail: machine('Tail'),
        table,
        ...props,
      });
  }

  it.each([
    [{ retryAttempts: 186 }, /retryAttempts must be a whole number between 0 and 185, got 186/],
    [{ retryAttempts: 1.5 }, /retryAttempts must be a whole number/],
    [{ maxEventAge: Duration.seconds(30) }, /maxEventAge must be a concrete duration between 1 minute and 6 hours/],
    [{ maxEventAge: Duration.hours(7) }, /maxEventAge must be a concrete duration between 1 minute and 6 hours/],
  ])('refuses %o with an actionable message', (props, message) => {
    expect(reconcilerIn(props)).toThrow(message);
  });

  it('adds no cdk-nag finding of its own', () => {
    const create = reconcilerIn();
    const reconciler = create();

    const report = new AwsSolutionsChecks(reconciler.node.root as App).validateScope(reconciler);

    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});
