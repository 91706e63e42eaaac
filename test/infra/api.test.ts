import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  arnWithSuffix,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  functionIdFor,
  logicalIdOfType,
  resourcesFor,
  resourcesOfType,
  roleIdOf,
  statementsOf,
} from './templateHelpers';

const CREATE = 'lambdas/api/createTransition.ts';
const STATUS = 'lambdas/api/getStatus.ts';
const RESULT = 'lambdas/api/getResult.ts';

let built: BuiltApp;

beforeAll(() => {
  built = buildTemplate();
}, BUILD_TIMEOUT_MS);

/** The full path of every API Gateway resource, by logical id. */
function resourcePaths(): Record<string, string> {
  const resources = Object.fromEntries(resourcesOfType(built.json, 'AWS::ApiGateway::Resource'));
  const pathOf = (id: string): string => {
    const resource = resources[id];
    if (!resource) return '';
    const parent = resource.Properties.ParentId as { Ref?: string };
    return `${parent.Ref ? pathOf(parent.Ref) : ''}/${String(resource.Properties.PathPart)}`;
  };
  return Object.fromEntries(Object.keys(resources).map((id) => [id, pathOf(id)]));
}

function method(httpMethod: string, path: string): Record<string, unknown> {
  const byPath = Object.entries(resourcePaths()).find(([, p]) => p === path);
  if (!byPath) throw new Error(`no resource ${path}`);
  const found = resourcesOfType(built.json, 'AWS::ApiGateway::Method').find(
    ([, m]) =>
      m.Properties.HttpMethod === httpMethod &&
      JSON.stringify(m.Properties.ResourceId) === JSON.stringify({ Ref: byPath[0] }),
  );
  if (!found) throw new Error(`no method ${httpMethod} ${path}`);
  return found[1].Properties;
}

describe('Infra: api routes', () => {
  it('serves exactly the v2 routes and /healthz', () => {
    const routes = resourcesOfType(built.json, 'AWS::ApiGateway::Method')
      .map(([, m]) => {
        const path = resourcePaths()[(m.Properties.ResourceId as { Ref: string }).Ref];
        return `${String(m.Properties.HttpMethod)} ${path}`;
      })
      .sort();

    expect(routes).toEqual([
      'GET /healthz',
      'GET /v2/requests/{id}',
      'GET /v2/requests/{id}/status',
      'POST /v2/pixverse-5-transition',
    ]);
  });

  it('proxies each v2 route to its Lambda and requires an API key', () => {
    for (const [httpMethod, path, handler] of [
      ['POST', '/v2/pixverse-5-transition', CREATE],
      ['GET', '/v2/requests/{id}/status', STATUS],
      ['GET', '/v2/requests/{id}', RESULT],
    ] as const) {
      const properties = method(httpMethod, path);
      expect(properties.ApiKeyRequired, path).toBe(true);
      expect(properties.Integration, path).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(JSON.stringify(properties.Integration), path).toContain(`"${functionIdFor(built.json, handler)}","Arn"`);
    }
  });

  it('validates the request id parameter and the JSON body at the gateway', () => {
    const validatorId = logicalIdOfType(built.json, 'AWS::ApiGateway::RequestValidator');
    built.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    for (const path of ['/v2/requests/{id}', '/v2/requests/{id}/status']) {
      expect(method('GET', path), path).toMatchObject({
        RequestParameters: { 'method.request.path.id': true },
        RequestValidatorId: { Ref: validatorId },
      });
    }
    expect(method('POST', '/v2/pixverse-5-transition')).toMatchObject({
      RequestValidatorId: { Ref: validatorId },
      RequestModels: { 'application/json': { Ref: logicalIdOfType(built.json, 'AWS::ApiGateway::Model') } },
    });
    built.template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({ type: 'object' }),
    });
  });

  it('answers /healthz from a mock integration without a key', () => {
    const healthz = method('GET', '/healthz');

    expect(healthz.ApiKeyRequired).not.toBe(true);
    expect(healthz.AuthorizationType).toBe('NONE');
    expect(healthz.Integration).toMatchObject({
      Type: 'MOCK',
      RequestTemplates: { 'application/json': '{"statusCode": 200}' },
      IntegrationResponses: [{ StatusCode: '200', ResponseTemplates: { 'application/json': '{"status":"ok"}' } }],
    });
  });

  it('throttles every key through one usage plan holding the first key', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      ApiStages: [{ ApiId: { Ref: logicalIdOfType(built.json, 'AWS::ApiGateway::RestApi') }, Stage: Match.anyValue() }],
    });
    built.template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: logicalIdOfType(built.json, 'AWS::ApiGateway::ApiKey') },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: logicalIdOfType(built.json, 'AWS::ApiGateway::UsagePlan') },
    });
  });

  it('logs access and execution, and traces, on its stage', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'INFO', DataTraceEnabled: false }),
      ],
    });
  });

  it('shapes the gateway’s own errors like the handlers’ `{error:{code,message}}`', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      built.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":\\{"code":') },
      });
    }
  });
});

describe('Infra: api functions', () => {
  const tableId = (): string => logicalIdOfType(built.json, 'AWS::DynamoDB::Table');
  const stateMachineId = (): string => logicalIdOfType(built.json, 'AWS::StepFunctions::StateMachine');
  const bucketId = (): string =>
    (built.json.Outputs as Record<string, { Value: { Ref: string } }>).BucketName?.Value.Ref ?? '';
  const base = { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'framebridge' };

  it('gives each function exactly its environment', () => {
    expect(environmentOf(built.json, CREATE)).toEqual({
      ...base,
      JOBS_TABLE_NAME: { Ref: tableId() },
      STATE_MACHINE_ARN: { Ref: stateMachineId() },
    });
    expect(environmentOf(built.json, STATUS)).toEqual({ ...base, JOBS_TABLE_NAME: { Ref: tableId() } });
    expect(environmentOf(built.json, RESULT)).toEqual({
      ...base,
      JOBS_TABLE_NAME: { Ref: tableId() },
      BUCKET_NAME: { Ref: bucketId() },
    });
  });

  it('lets the create function start this state machine only', () => {
    const statements = statementsOf(built.json, CREATE);

    expect(resourcesFor(statements, 'states:StartExecution')).toEqual([{ Ref: stateMachineId() }]);
    expect(actionsOf(statements).filter((a) => a.startsWith('s3:'))).toEqual([]);
  });

  it('lets no function but the create function start executions', () => {
    const starters = resourcesOfType(built.json, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('states:StartExecution'),
    );
    const createRole = roleIdOf(built.json, functionIdFor(built.json, CREATE));

    expect(starters.map(([, p]) => p.Properties.Roles)).toEqual([[{ Ref: createRole }]]);
  });

  it('lets the status function only read the jobs table', () => {
    const actions = actionsOf(statementsOf(built.json, STATUS));

    expect(actions.filter((a) => !/^(logs|xray):/.test(a))).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
  });

  it('lets the result function read the jobs table and GET objects under jobs/ only', () => {
    const statements = statementsOf(built.json, RESULT);

    expect(actionsOf(statements).filter((a) => !/^(logs|xray):/.test(a))).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      's3:GetObject',
    ]);
    expect(resourcesFor(statements, 's3:GetObject')).toEqual([arnWithSuffix(bucketId(), '/jobs/*')]);
  });
});
