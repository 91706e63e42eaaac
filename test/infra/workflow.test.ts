import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { TransitionWorkflow } from '../../infra/constructs/transitionWorkflow';
import { EVENT_ATTEMPT_SECONDS, EVENT_RETRY_SCHEDULE, workflowTimeBudget } from '../../lambdas/core/timeBudget';
import { type AslDefinition, extractStateMachineDefinition, lambdaPlaceholderArn } from '../../local/template';
import {
  actionsOf,
  arnWithSuffix,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  functionIdFor,
  jobsTableId,
  logicalIdOfType,
  propertiesOf,
  resourcesFor,
  resourcesOfType,
  roleIdOf,
  statementsOf,
  statementsOfRole,
} from './templateHelpers';

const LAMBDA_SERVICE_RETRY = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'Lambda.ClientExecutionTimeoutException',
  ],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};
const UPSTREAM_RETRY = {
  ErrorEquals: ['UpstreamThrottledError', 'UpstreamUnavailableError'],
  IntervalSeconds: 5,
  MaxAttempts: 5,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: 'FULL',
};
/** How AWS reports a task that ran out of time: its TimeoutSeconds, the function's timeout, an unhandled Lambda failure. */
const TIMEOUT_ERRORS = ['States.Timeout', 'Sandbox.Timedout', 'Lambda.Unknown'];
const CATCH_ALL = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record Failure' }];
const EVENTBRIDGE_RETRY = {
  ErrorEquals: [
    'EventBridge.FailedEntry',
    'EventBridge.InternalException',
    'EventBridge.ThrottlingException',
    'EventBridge.SdkClientException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

const SUBMIT = 'lambdas/workflow/submit.ts';
const CHECK_STATUS = 'lambdas/workflow/checkStatus.ts';
const COPY_TO_S3 = 'lambdas/workflow/copyToS3.ts';
const RECORD_FAILURE = 'lambdas/workflow/recordFailure.ts';
const NOTIFY = 'lambdas/webhooks/notify.ts';

let built: BuiltApp;
let definition: AslDefinition;
let workflowId: string;

/** The logical id of the state machine whose definition starts at `startAt` (the template holds two). */
function stateMachineStartingAt(json: Record<string, unknown>, startAt: string): string {
  const ids = resourcesOfType(json, 'AWS::StepFunctions::StateMachine')
    .map(([id]) => id)
    .filter((id) => extractStateMachineDefinition(json, { stateMachineLogicalId: id }).definition.StartAt === startAt);
  if (ids.length !== 1) throw new Error(`expected one state machine starting at '${startAt}', found ${ids.length}`);
  return ids[0] as string;
}

/** The bus's literal Name (CDK generates one when none is given). */
function busName(): string {
  const [, bus] = resourcesOfType(built.json, 'AWS::Events::EventBus')[0] ?? [];
  return String(bus?.Properties.Name);
}

// biome-ignore lint/suspicious/noExplicitAny: a state of the synthesized definition, read as the test needs it
function state(name: string): Record<string, any> {
  const found = definition.States[name];
  if (!found) throw new Error(`no state named '${name}'`);
  return found;
}

beforeAll(() => {
  built = buildTemplate();
  workflowId = stateMachineStartingAt(built.json, 'Submit Job');
  definition = extractStateMachineDefinition(built.json, { stateMachineLogicalId: workflowId }).definition;
}, BUILD_TIMEOUT_MS);

describe('Infra: workflow state machine', () => {
  it('has exactly the named states, each of its type', () => {
    // Act
    const types = Object.fromEntries(Object.entries(definition.States).map(([name, s]) => [name, s.Type]));

    // Assert
    expect(types).toEqual({
      'Submit Job': 'Task',
      'Read Capacity Wait': 'Pass',
      'Wait For Capacity': 'Wait',
      'Wait For Upstream': 'Wait',
      'Check Status': 'Task',
      'Job Complete?': 'Choice',
      'Copy Video To S3': 'Task',
      'Announce Outcome?': 'Choice',
      'Emit Completed Event': 'Task',
      'Record Failure': 'Task',
      'Emit Failed Event': 'Task',
      Notify: 'Task',
      'Job Succeeded?': 'Choice',
      'Transition Succeeded': 'Succeed',
      'Transition Failed': 'Fail',
    });
  });

  it('runs Submit Job → Wait For Upstream → Check Status → Job Complete?', () => {
    expect(definition.StartAt).toBe('Submit Job');
    expect(state('Submit Job').Next).toBe('Wait For Upstream');
    expect(state('Wait For Upstream').Next).toBe('Check Status');
    expect(state('Check Status').Next).toBe('Job Complete?');
  });

  it('ends both paths in one tail: Announce Outcome? → event → Notify → Job Succeeded? → Succeed or Fail', () => {
    expect(state('Copy Video To S3').Next).toBe('Announce Outcome?');
    expect(state('Record Failure').Next).toBe('Announce Outcome?');
    expect(state('Emit Completed Event').Next).toBe('Notify');
    expect(state('Emit Failed Event').Next).toBe('Notify');
    expect(state('Notify').Next).toBe('Job Succeeded?');
    expect(state('Job Succeeded?')).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.status', StringEquals: 'COMPLETED', Next: 'Transition Succeeded' }],
      Default: 'Transition Failed',
    });
  });

  it('puts Transition Completed on the bus with the request id, status, S3 URI and size, discarding the answer', () => {
    expect(state('Emit Completed Event')).toMatchObject({
      Resource: 'arn:aws:states:::events:putEvents',
      ResultPath: null,
      Parameters: {
        Entries: [
          {
            Source: 'framebridge',
            DetailType: 'Transition Completed',
            EventBusName: `arn:aws:events:us-east-1:000000000000:event-bus/${busName()}`,
            Detail: { 'request_id.$': '$.jobId', 'status.$': '$.status', 's3_uri.$': '$.s3Uri', 'bytes.$': '$.bytes' },
          },
        ],
      },
    });
  });

  it('puts Transition Failed with the request id, status, code and message', () => {
    expect(state('Emit Failed Event')).toMatchObject({
      Resource: 'arn:aws:states:::events:putEvents',
      ResultPath: null,
      Parameters: {
        Entries: [
          {
            Source: 'framebridge',
            DetailType: 'Transition Failed',
            Detail: { 'request_id.$': '$.jobId', 'status.$': '$.status', 'code.$': '$.code', 'message.$': '$.message' },
          },
        ],
      },
    });
  });

  it('announces the outcome Copy or Record Failure found, unless another writer ended the job and announced it', () => {
    expect(state('Announce Outcome?')).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.announce', BooleanEquals: false, Next: 'Job Succeeded?' },
        { Variable: '$.status', StringEquals: 'COMPLETED', Next: 'Emit Completed Event' },
      ],
      Default: 'Emit Failed Event',
    });
  });

  it('passes on Record Failure’s answer, the job’s real outcome (a cancel stays a cancel)', () => {
    expect(state('Record Failure').OutputPath).toBe('$.Payload');
    expect(state('Record Failure')).not.toHaveProperty('ResultSelector');
  });

  it('never lets an event or Notify fail the job: retried, then caught beside the state', () => {
    for (const name of ['Emit Completed Event', 'Emit Failed Event']) {
      expect(state(name).Retry, name).toEqual([EVENTBRIDGE_RETRY]);
      expect(state(name).Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.eventError', Next: 'Notify' },
      ]);
    }
    expect(state('Notify').Retry).toEqual([LAMBDA_SERVICE_RETRY]);
    expect(state('Notify').Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.notifyError', Next: 'Job Succeeded?' },
    ]);
  });

  it('retries the events as the time budget counts them', () => {
    for (const name of ['Emit Completed Event', 'Emit Failed Event']) {
      expect(state(name).Retry, name).toEqual([
        expect.objectContaining({
          IntervalSeconds: EVENT_RETRY_SCHEDULE.intervalSeconds,
          MaxAttempts: EVENT_RETRY_SCHEDULE.maxAttempts,
          BackoffRate: EVENT_RETRY_SCHEDULE.backoffRate,
        }),
      ]);
      // One attempt may take no longer than the budget assumes.
      expect(state(name).TimeoutSeconds, name).toBe(EVENT_ATTEMPT_SECONDS);
    }
  });

  it('passes the whole state to Notify and discards its answer', () => {
    expect(state('Notify')).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      ResultPath: null,
      Parameters: { 'Payload.$': '$', FunctionName: lambdaPlaceholderArn(functionIdFor(built.json, NOTIFY)) },
    });
    expect(state('Notify')).not.toHaveProperty('OutputPath');
  });

  it('waits the number of seconds the status check planned', () => {
    const wait = state('Wait For Upstream');

    expect(wait.SecondsPath).toBe('$.waitSeconds');
    expect(wait).not.toHaveProperty('Seconds');
  });

  it('routes every upstream status, and anything else to Record Failure', () => {
    // Arrange
    const choice = state('Job Complete?');
    const choices = choice.Choices as Record<string, unknown>[];
    const nextFor = (status: string): unknown =>
      choices.find((c) => {
        const rules = (c.Or as Record<string, unknown>[] | undefined) ?? [c];
        return rules.some((r) => r.Variable === '$.status' && r.StringEquals === status);
      })?.Next;

    // Assert
    expect(nextFor('QUEUED')).toBe('Wait For Upstream');
    expect(nextFor('PROCESSING')).toBe('Wait For Upstream');
    expect(nextFor('COMPLETED')).toBe('Copy Video To S3');
    expect(nextFor('FAILED')).toBe('Record Failure');
    expect(nextFor('CANCELLED')).toBeUndefined();
    expect(choice.Default).toBe('Record Failure');
  });

  it('invokes each Lambda with the whole state and passes on its Payload only', () => {
    for (const name of ['Check Status', 'Copy Video To S3', 'Record Failure']) {
      const task = state(name);
      expect(task.Resource, name).toBe('arn:aws:states:::lambda:invoke');
      expect(task.OutputPath, name).toBe('$.Payload');
      expect((task.Parameters as Record<string, unknown>)['Payload.$'], name).toBe('$');
    }
  });

  it('gives Submit Job the job id and the execution’s start time, which the deadlines count from', () => {
    expect(state('Submit Job')).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      OutputPath: '$.Payload',
      Parameters: { Payload: { 'jobId.$': '$.jobId', 'executionStartedAt.$': '$$.Execution.StartTime' } },
    });
  });

  it('retries Lambda service errors on every task, and upstream throttling/outages on Submit Job', () => {
    expect(state('Submit Job').Retry).toEqual([LAMBDA_SERVICE_RETRY, UPSTREAM_RETRY]);
    expect(state('Record Failure').Retry).toEqual([LAMBDA_SERVICE_RETRY]);
  });

  it('retries Check Status’s upstream failures and its timeouts on the same attempts', () => {
    expect(state('Check Status').Retry).toEqual([
      LAMBDA_SERVICE_RETRY,
      { ...UPSTREAM_RETRY, ErrorEquals: [...UPSTREAM_RETRY.ErrorEquals, ...TIMEOUT_ERRORS] },
    ]);
  });

  it('retries a failed video download or a timeout of Copy Video To S3 once', () => {
    expect(state('Copy Video To S3').Retry).toEqual([
      LAMBDA_SERVICE_RETRY,
      {
        ErrorEquals: ['VideoDownloadError', ...TIMEOUT_ERRORS],
        IntervalSeconds: 5,
        MaxAttempts: 1,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      },
    ]);
  });

  it('never retries a timed-out Submit Job: it may have been sent', () => {
    const retried = (state('Submit Job').Retry as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);

    for (const error of TIMEOUT_ERRORS) expect(retried).not.toContain(error);
  });

  it('bounds every Lambda task by its function timeout plus 10 s, as the time budget counts it', () => {
    const { steps } = workflowTimeBudget();

    expect(state('Submit Job').TimeoutSeconds).toBe(70);
    expect(state('Check Status').TimeoutSeconds).toBe(55);
    expect(state('Copy Video To S3').TimeoutSeconds).toBe(570);
    expect(state('Record Failure').TimeoutSeconds).toBe(25);
    expect(state('Notify').TimeoutSeconds).toBe(25);
    expect(state('Copy Video To S3').TimeoutSeconds).toBe(steps.copyToS3.attemptSeconds);
  });

  it('never retries an ambiguous submit, nor anything on States.ALL', () => {
    // Arrange
    const retriedBy = (name: string): string[] =>
      ((state(name).Retry as { ErrorEquals: string[] }[] | undefined) ?? []).flatMap((r) => r.ErrorEquals);
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

    // Assert
    expect(retriedBy('Submit Job')).not.toContain('SubmitOutcomeUnknownError');
    for (const [name] of tasks) {
      expect(retriedBy(name), name).not.toContain('States.ALL');
      expect(retriedBy(name), name).not.toContain('SubmitOutcomeUnknownError');
    }
  });

  it('waits for capacity when Submit finds none: until the time its refusal names, then Submit again', () => {
    expect(state('Submit Job').Catch?.[0]).toEqual({
      ErrorEquals: ['AwaitingCapacityError'],
      ResultPath: '$.admission',
      Next: 'Read Capacity Wait',
    });
    expect(state('Read Capacity Wait')).toMatchObject({
      Type: 'Pass',
      Parameters: { 'jobId.$': '$.jobId', 'admission.$': 'States.StringToJson($.admission.Cause)' },
      Next: 'Wait For Capacity',
    });
    expect(state('Wait For Capacity')).toEqual({
      Type: 'Wait',
      TimestampPath: '$.admission.errorMessage',
      Next: 'Submit Job',
    });
    // Never retried: a refusal is not a failure, and a retry would only spend a Submit attempt.
    const retried = (state('Submit Job').Retry ?? []).flatMap((retry: { ErrorEquals: string[] }) => retry.ErrorEquals);
    expect(retried).not.toContain('AwaitingCapacityError');
  });

  it('catches every error of Submit Job, Check Status and Copy Video To S3 into Record Failure', () => {
    // Submit's first Catch is the wait for capacity; everything else goes to Record Failure.
    expect(state('Submit Job').Catch?.slice(1)).toEqual(CATCH_ALL);
    expect(state('Check Status').Catch).toEqual(CATCH_ALL);
    expect(state('Copy Video To S3').Catch).toEqual(CATCH_ALL);
    expect(state('Record Failure')).not.toHaveProperty('Catch');
    const intoRecordFailure = Object.entries(definition.States)
      .filter(([, s]) => JSON.stringify(s.Catch ?? []).includes('"Next":"Record Failure"'))
      .map(([name]) => name);
    expect(intoRecordFailure.sort()).toEqual(['Check Status', 'Copy Video To S3', 'Submit Job']);
  });

  it('fails with the code and message of the job’s outcome', () => {
    expect(state('Transition Failed')).toEqual({ Type: 'Fail', ErrorPath: '$.code', CausePath: '$.message' });
  });

  it('times out after the longest wait for capacity, the Submit attempt that ends it and the work (below the upstream’s 1 hour)', () => {
    const work = 55 * 60;
    expect(work).toBeLessThan(3600);
    expect(definition.TimeoutSeconds).toBe(6 * 3600 + 70 + work);
  });

  it('is a Standard state machine with full logging (no execution data) and tracing', () => {
    expect(
      resourcesOfType(built.json, 'AWS::StepFunctions::StateMachine').find(([id]) => id === workflowId)?.[1].Properties,
    ).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.any(Object) } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('alarms on one timed-out execution', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsTimedOut',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: workflowId } }],
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('pages on system failures only: one alarm on SystemFailures, none on every failed execution', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'framebridge',
      MetricName: 'SystemFailures',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    for (const metricName of ['ExecutionsFailed', 'UpstreamFailures', 'UserFailures']) {
      expect(
        resourcesOfType(built.json, 'AWS::CloudWatch::Alarm').filter(
          ([, alarm]) => alarm.Properties.MetricName === metricName,
        ),
        metricName,
      ).toEqual([]);
    }
  });

  it("counts Record Failure's failed jobs per class from its 'job failed' log line", () => {
    const logGroup = { Ref: Match.stringLikeRegexp('^WorkflowRecordFailureFunctionLogGroup') };
    for (const [failureClass, metricName] of [
      ['system', 'SystemFailures'],
      ['upstream', 'UpstreamFailures'],
      ['user', 'UserFailures'],
    ]) {
      built.template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: logGroup,
        FilterPattern: `{ ($.message = "job failed") && ($.failureClass = "${failureClass}") }`,
        MetricTransformations: [{ MetricNamespace: 'framebridge', MetricName: metricName, MetricValue: '1' }],
      });
    }
  });

  it('may invoke its five functions and no other', () => {
    // Arrange
    const roleId = roleIdOf(built.json, workflowId);
    const invoked = resourcesFor(statementsOfRole(built.json, roleId), 'lambda:InvokeFunction');

    // Assert
    const expected = [SUBMIT, CHECK_STATUS, COPY_TO_S3, RECORD_FAILURE, NOTIFY].flatMap((handler) => {
      const id = functionIdFor(built.json, handler);
      return [{ 'Fn::GetAtt': [id, 'Arn'] }, arnWithSuffix(id, ':*')];
    });
    expect(invoked).toHaveLength(expected.length);
    expect(invoked).toEqual(expect.arrayContaining(expected));
  });

  it('may put events on its bus only, and start no execution itself', () => {
    const statements = statementsOfRole(built.json, roleIdOf(built.json, workflowId));

    expect(resourcesFor(statements, 'events:PutEvents')).toEqual([
      { 'Fn::GetAtt': [logicalIdOfType(built.json, 'AWS::Events::EventBus'), 'Arn'] },
    ]);
    expect(
      actionsOf(statements).filter((a) => !/^(lambda:InvokeFunction|events:PutEvents|logs:|xray:)/.test(a)),
    ).toEqual([]);
  });
});

describe('Infra: workflow functions', () => {
  const tableRef = (): unknown => ({ Ref: jobsTableId(built.json) });
  const outputRef = (name: string): string =>
    (built.json.Outputs as Record<string, { Value: { Ref: string } }>)[name]?.Value.Ref ?? `no output ${name}`;
  const secretRef = (): unknown => ({ Ref: outputRef('SegmindApiKeySecretArn') });
  const bucketId = (): string => outputRef('BucketName');

  it('gives each function exactly its environment', () => {
    const base = { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'framebridge' };
    // The poll deadline the time budget leaves: 55 min less 2221 s after it.
    const pollDeadline = { FRAMEBRIDGE_POLL_DEADLINE_S: '1079' };
    expect(environmentOf(built.json, SUBMIT)).toEqual({
      ...base,
      JOBS_TABLE_NAME: tableRef(),
      BUCKET_NAME: { Ref: bucketId() },
      SEGMIND_BASE_URL: 'https://api.segmind.com',
      SEGMIND_API_KEY_SECRET_ARN: secretRef(),
      ...pollDeadline,
      // The wait for capacity the time budget allows, from the execution's start.
      FRAMEBRIDGE_CAPACITY_WAIT_S: '21600',
    });
    expect(environmentOf(built.json, CHECK_STATUS)).toEqual({
      ...base,
      JOBS_TABLE_NAME: tableRef(),
      SEGMIND_BASE_URL: 'https://api.segmind.com',
      SEGMIND_API_KEY_SECRET_ARN: secretRef(),
      ...pollDeadline,
    });
    expect(environmentOf(built.json, COPY_TO_S3)).toEqual({
      ...base,
      JOBS_TABLE_NAME: tableRef(),
      BUCKET_NAME: { Ref: bucketId() },
      SEGMIND_BASE_URL: 'https://api.segmind.com',
    });
    expect(environmentOf(built.json, RECORD_FAILURE)).toEqual({ ...base, JOBS_TABLE_NAME: tableRef() });
    expect(environmentOf(built.json, NOTIFY)).toEqual({
      ...base,
      JOBS_TABLE_NAME: tableRef(),
      WEBHOOK_STATE_MACHINE_ARN: { Ref: stateMachineStartingAt(built.json, 'Deliver Webhook') },
    });
  });

  it('lets Notify start the webhook delivery and nothing else but the jobs table', () => {
    const statements = statementsOf(built.json, NOTIFY);
    const delivery = stateMachineStartingAt(built.json, 'Deliver Webhook');

    expect(resourcesFor(statements, 'states:StartExecution')).toEqual([{ Ref: delivery }]);
    expect(actionsOf(statements).filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual(['states:StartExecution']);
  });

  it('sizes timeouts as the time budget computes them, and memory per step', () => {
    const { steps } = workflowTimeBudget();

    expect(propertiesOf(built.json, SUBMIT)).toMatchObject({ Timeout: 60, MemorySize: 256 });
    expect(propertiesOf(built.json, CHECK_STATUS)).toMatchObject({ Timeout: 45 });
    // 500 MiB at 1 MiB/s, plus 30 s for the headers and 30 s to finish.
    expect(propertiesOf(built.json, COPY_TO_S3)).toMatchObject({ Timeout: 560, MemorySize: 512 });
    expect(propertiesOf(built.json, RECORD_FAILURE)).toMatchObject({ Timeout: 15 });
    expect(propertiesOf(built.json, NOTIFY)).toMatchObject({ Timeout: 15 });
    for (const [handler, step] of [
      [SUBMIT, steps.submit],
      [CHECK_STATUS, steps.checkStatus],
      [COPY_TO_S3, steps.copyToS3],
      [RECORD_FAILURE, steps.recordFailure],
      [NOTIFY, steps.notify],
    ] as const) {
      expect(propertiesOf(built.json, handler).Timeout, handler).toBe(step.functionTimeoutSeconds);
    }
  });

  it('lets Submit read frames (objects of the bucket) and the Segmind key, nothing else of S3 or Secrets Manager', () => {
    const statements = statementsOf(built.json, SUBMIT);
    const frameObjects = resourcesFor(statements, 's3:GetObject');

    expect(actionsOf(statements).filter((a) => /^(s3|secretsmanager|states):/.test(a))).toEqual([
      's3:GetObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    // Objects of this bucket only; which prefixes is frameGrants.test.ts's.
    expect(frameObjects.length).toBeGreaterThan(0);
    for (const objects of frameObjects) {
      expect(objects).toEqual(arnWithSuffix(bucketId(), expect.stringMatching(/^\/.*\*$/)));
    }
    expect(resourcesFor(statements, 'secretsmanager:GetSecretValue')).toEqual([secretRef()]);
  });

  it('lets Check Status read the Segmind key and touch no S3 object', () => {
    const actions = actionsOf(statementsOf(built.json, CHECK_STATUS));

    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
    expect(actions).toContain('secretsmanager:GetSecretValue');
  });

  it('lets Copy Video To S3 write, abort and delete under jobs/ only, and read nothing from S3', () => {
    const statements = statementsOf(built.json, COPY_TO_S3);

    expect(actionsOf(statements).filter((a) => a.startsWith('s3:'))).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:PutObject',
    ]);
    for (const action of ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject']) {
      expect(resourcesFor(statements, action), action).toEqual([arnWithSuffix(bucketId(), '/jobs/*')]);
    }
    expect(actionsOf(statements).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('lets Record Failure update the jobs table and nothing else but its logs and traces', () => {
    const actions = actionsOf(statementsOf(built.json, RECORD_FAILURE));

    expect(actions.filter((a) => !/^(logs|xray):/.test(a))).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  });

  it('lets every workflow step get and update jobs by id only (Submit also counts the waiting line): no put, delete, batch or scan', () => {
    for (const handler of [SUBMIT, CHECK_STATUS, COPY_TO_S3, RECORD_FAILURE, NOTIFY]) {
      const statements = statementsOf(built.json, handler);
      const table = jobsTableId(built.json);
      expect(
        actionsOf(statements).filter((a) => a.startsWith('dynamodb:')),
        handler,
      ).toEqual(
        handler === SUBMIT
          ? ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']
          : ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      );
      if (handler === SUBMIT) {
        expect(resourcesFor(statements, 'dynamodb:Query')).toEqual([
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/waitingForCapacity']] },
        ]);
      }
      expect(resourcesFor(statements, 'dynamodb:UpdateItem'), handler).toEqual([{ 'Fn::GetAtt': [table, 'Arn'] }]);
    }
  });
});

describe('Infra: TransitionWorkflow on its own', () => {
  const workflowIn = (props: Partial<ConstructorParameters<typeof TransitionWorkflow>[2]> = {}) => {
    const stack = new Stack(
      new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }),
      'Embedding',
    );
    const table = new Table(stack, 'Jobs', { partitionKey: { name: 'id', type: AttributeType.STRING } });
    const workflow = new TransitionWorkflow(stack, 'Workflow', {
      table,
      bucket: new Bucket(stack, 'Videos'),
      segmindApiKey: new Secret(stack, 'SegmindKey'),
      ...props,
    });
    return { stack, workflow, template: Template.fromStack(stack) };
  };

  it('creates its own event bus by default and exposes it', () => {
    const { stack, workflow, template } = workflowIn();

    template.resourceCountIs('AWS::Events::EventBus', 1);
    expect(stack.resolve(workflow.eventBus.eventBusArn)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^WorkflowEventsBus/), 'Arn'],
    });
  });

  it('puts its events on a bus it is given, creating none, and grants PutEvents on it', () => {
    // Arrange
    const busArn = 'arn:aws:events:us-east-1:111122223333:event-bus/shared';

    // Act
    const { stack, workflow, template } = workflowIn({
      eventBus: EventBus.fromEventBusArn(new Stack(), 'Shared', busArn),
    });

    // Assert
    template.resourceCountIs('AWS::Events::EventBus', 0);
    expect(stack.resolve(workflow.eventBus.eventBusArn)).toBe(busArn);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: busArn })]),
      },
    });
  });

  it('signs webhooks with the secret it is given, generating none', () => {
    const stack = new Stack(
      new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }),
      'WithSecret',
    );
    const signing = new Secret(stack, 'Signing');
    new TransitionWorkflow(stack, 'Workflow', {
      table: new Table(stack, 'Jobs', { partitionKey: { name: 'id', type: AttributeType.STRING } }),
      bucket: new Bucket(stack, 'Videos'),
      segmindApiKey: new Secret(stack, 'SegmindKey'),
      webhookSigningSecret: signing,
    });
    const json = Template.fromStack(stack).toJSON();

    expect(
      resourcesOfType(json, 'AWS::SecretsManager::Secret')
        .map(([id]) => id)
        .sort(),
    ).toEqual([expect.stringMatching(/^SegmindKey/), expect.stringMatching(/^Signing/)]);
    expect(environmentOf(json, 'lambdas/webhooks/deliverWebhook.ts').WEBHOOK_SECRET_ARN).toEqual({
      Ref: expect.stringMatching(/^Signing/),
    });
  });
});
