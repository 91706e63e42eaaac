import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AslDefinition, extractStateMachineDefinition } from '../../infra/aslFromTemplate';
import {
  actionsOf,
  arnWithSuffix,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  functionIdFor,
  logicalIdOfType,
  propertiesOf,
  resourcesFor,
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
const CATCH_ALL = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record Failure' }];

const SUBMIT = 'lambdas/workflow/submit.ts';
const CHECK_STATUS = 'lambdas/workflow/checkStatus.ts';
const COPY_TO_S3 = 'lambdas/workflow/copyToS3.ts';
const RECORD_FAILURE = 'lambdas/workflow/recordFailure.ts';

let built: BuiltApp;
let definition: AslDefinition;

function state(name: string): Record<string, unknown> {
  const found = definition.States[name];
  if (!found) throw new Error(`no state named '${name}'`);
  return found;
}

beforeAll(() => {
  built = buildTemplate();
  definition = extractStateMachineDefinition(built.json).definition;
}, BUILD_TIMEOUT_MS);

describe('Infra: workflow state machine', () => {
  it('has exactly the named states, each of its type', () => {
    // Act
    const types = Object.fromEntries(Object.entries(definition.States).map(([name, s]) => [name, s.Type]));

    // Assert
    expect(types).toEqual({
      'Submit Job': 'Task',
      'Wait For Upstream': 'Wait',
      'Check Status': 'Task',
      'Job Complete?': 'Choice',
      'Copy Video To S3': 'Task',
      'Transition Succeeded': 'Succeed',
      'Record Failure': 'Task',
      'Transition Failed': 'Fail',
    });
  });

  it('runs Submit Job → Wait For Upstream → Check Status → Job Complete?', () => {
    expect(definition.StartAt).toBe('Submit Job');
    expect(state('Submit Job').Next).toBe('Wait For Upstream');
    expect(state('Wait For Upstream').Next).toBe('Check Status');
    expect(state('Check Status').Next).toBe('Job Complete?');
    expect(state('Copy Video To S3').Next).toBe('Transition Succeeded');
    expect(state('Record Failure').Next).toBe('Transition Failed');
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
    for (const name of ['Submit Job', 'Check Status', 'Copy Video To S3', 'Record Failure']) {
      const task = state(name);
      expect(task.Resource, name).toBe('arn:aws:states:::lambda:invoke');
      expect(task.OutputPath, name).toBe('$.Payload');
      expect((task.Parameters as Record<string, unknown>)['Payload.$'], name).toBe('$');
    }
  });

  it('retries Lambda service errors on every task, and upstream throttling/outages on Submit Job and Check Status', () => {
    expect(state('Submit Job').Retry).toEqual([LAMBDA_SERVICE_RETRY, UPSTREAM_RETRY]);
    expect(state('Check Status').Retry).toEqual([LAMBDA_SERVICE_RETRY, UPSTREAM_RETRY]);
    expect(state('Record Failure').Retry).toEqual([LAMBDA_SERVICE_RETRY]);
  });

  it('retries failed video downloads on Copy Video To S3', () => {
    expect(state('Copy Video To S3').Retry).toEqual([
      LAMBDA_SERVICE_RETRY,
      {
        ErrorEquals: ['VideoDownloadError'],
        IntervalSeconds: 5,
        MaxAttempts: 3,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      },
    ]);
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

  it('catches every error of Submit Job, Check Status and Copy Video To S3 into Record Failure', () => {
    expect(state('Submit Job').Catch).toEqual(CATCH_ALL);
    expect(state('Check Status').Catch).toEqual(CATCH_ALL);
    expect(state('Copy Video To S3').Catch).toEqual(CATCH_ALL);
    expect(state('Record Failure')).not.toHaveProperty('Catch');
  });

  it('fails with the code and message Record Failure returns', () => {
    expect(state('Transition Failed')).toEqual({ Type: 'Fail', ErrorPath: '$.code', CausePath: '$.message' });
  });

  it('times out before the upstream forgets the job (1 hour)', () => {
    expect(definition.TimeoutSeconds).toBe(55 * 60);
    expect(definition.TimeoutSeconds).toBeLessThan(3600);
  });

  it('is a Standard state machine with full logging (no execution data) and tracing', () => {
    built.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('alarms on one failed and on one timed-out execution', () => {
    const stateMachine = {
      Name: 'StateMachineArn',
      Value: { Ref: logicalIdOfType(built.json, 'AWS::StepFunctions::StateMachine') },
    };
    for (const metricName of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metricName,
        Dimensions: [stateMachine],
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('may invoke its four functions and no other', () => {
    // Arrange
    const roleId = roleIdOf(built.json, logicalIdOfType(built.json, 'AWS::StepFunctions::StateMachine'));
    const invoked = resourcesFor(statementsOfRole(built.json, roleId), 'lambda:InvokeFunction');

    // Assert
    const expected = [SUBMIT, CHECK_STATUS, COPY_TO_S3, RECORD_FAILURE].flatMap((handler) => {
      const id = functionIdFor(built.json, handler);
      return [{ 'Fn::GetAtt': [id, 'Arn'] }, arnWithSuffix(id, ':*')];
    });
    expect(invoked).toHaveLength(expected.length);
    expect(invoked).toEqual(expect.arrayContaining(expected));
  });
});

describe('Infra: workflow functions', () => {
  const tableRef = (): unknown => ({ Ref: logicalIdOfType(built.json, 'AWS::DynamoDB::Table') });
  const outputRef = (name: string): string =>
    (built.json.Outputs as Record<string, { Value: { Ref: string } }>)[name]?.Value.Ref ?? `no output ${name}`;
  const secretRef = (): unknown => ({ Ref: outputRef('SegmindApiKeySecretArn') });
  const bucketId = (): string => outputRef('BucketName');

  it('gives each function exactly its environment', () => {
    const base = { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'framebridge' };
    expect(environmentOf(built.json, SUBMIT)).toEqual({
      ...base,
      JOBS_TABLE_NAME: tableRef(),
      BUCKET_NAME: { Ref: bucketId() },
      SEGMIND_BASE_URL: 'https://api.segmind.com',
      SEGMIND_API_KEY_SECRET_ARN: secretRef(),
    });
    expect(environmentOf(built.json, CHECK_STATUS)).toEqual({
      ...base,
      JOBS_TABLE_NAME: tableRef(),
      SEGMIND_BASE_URL: 'https://api.segmind.com',
      SEGMIND_API_KEY_SECRET_ARN: secretRef(),
    });
    expect(environmentOf(built.json, COPY_TO_S3)).toEqual({
      ...base,
      JOBS_TABLE_NAME: tableRef(),
      BUCKET_NAME: { Ref: bucketId() },
      SEGMIND_BASE_URL: 'https://api.segmind.com',
    });
    expect(environmentOf(built.json, RECORD_FAILURE)).toEqual({ ...base, JOBS_TABLE_NAME: tableRef() });
  });

  it('sizes timeouts and memory per step', () => {
    expect(propertiesOf(built.json, SUBMIT)).toMatchObject({ Timeout: 60, MemorySize: 256 });
    expect(propertiesOf(built.json, CHECK_STATUS)).toMatchObject({ Timeout: 30 });
    expect(propertiesOf(built.json, COPY_TO_S3)).toMatchObject({ Timeout: 300, MemorySize: 512 });
    expect(propertiesOf(built.json, RECORD_FAILURE)).toMatchObject({ Timeout: 30 });
  });

  it('lets Submit read frames anywhere in the bucket and the Segmind key, nothing else of S3 or Secrets Manager', () => {
    const statements = statementsOf(built.json, SUBMIT);

    expect(actionsOf(statements).filter((a) => /^(s3|secretsmanager|states):/.test(a))).toEqual([
      's3:GetObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(resourcesFor(statements, 's3:GetObject')).toEqual([arnWithSuffix(bucketId(), '/*')]);
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

  it('lets Record Failure write the jobs table and nothing else but its logs and traces', () => {
    const actions = actionsOf(statementsOf(built.json, RECORD_FAILURE));

    expect(actions.filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
  });

  it('grants item access on the jobs table and its byOwner index, without Scan', () => {
    for (const handler of [SUBMIT, CHECK_STATUS, COPY_TO_S3, RECORD_FAILURE]) {
      const statements = statementsOf(built.json, handler);
      const table = logicalIdOfType(built.json, 'AWS::DynamoDB::Table');
      expect(resourcesFor(statements, 'dynamodb:Query'), handler).toEqual([
        { 'Fn::GetAtt': [table, 'Arn'] },
        arnWithSuffix(table, '/index/byOwner'),
      ]);
      expect(actionsOf(statements), handler).not.toContain('dynamodb:Scan');
    }
  });
});
