import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { type ErrorBody, errorBodySchema } from '../../lambdas/core/apiViews';
import {
  API_KEY_HEADER,
  AUTH_REFUSALS,
  AUTHORIZER_CACHE_SECONDS,
  JOBS_TABLE,
  KEYS_TABLE,
  statusOfApiError,
} from '../../lambdas/core/contract';
import { openApiDocument } from '../../lambdas/core/openapi';
import { apiRoutesFromTemplate } from '../../local/apiRoutes';
import {
  actionsOf,
  arnWithSuffix,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  functionIdFor,
  jobsTableId,
  keysTableId,
  logicalIdOfType,
  propertiesOf,
  resourcesFor,
  resourcesOfType,
  roleIdOf,
  stageMethodSettings,
  statementsOf,
} from './templateHelpers';

const CREATE = 'lambdas/jobs/createTransition.ts';
const STATUS = 'lambdas/jobs/getStatus.ts';
const RESULT = 'lambdas/jobs/getResult.ts';
const CANCEL = 'lambdas/jobs/cancelRequest.ts';
const LIST = 'lambdas/jobs/listRequests.ts';
const UPLOAD = 'lambdas/uploads/createUpload.ts';
const OPENAPI = 'lambdas/openapi/getOpenApi.ts';
const EVENTS = 'lambdas/jobs/streamEvents.ts';
const SYNC = 'lambdas/jobs/syncTransition.ts';
const PLAYGROUND = 'lambdas/playground/getPlayground.ts';
const AUTHORIZER = 'lambdas/auth/authorizer.ts';

/** Every route a caller needs a key for. */
const KEYED_ROUTES = [
  ['POST', '/v2/pixverse-5-transition', CREATE],
  ['GET', '/v2/requests/{id}/status', STATUS],
  ['GET', '/v2/requests/{id}', RESULT],
  ['DELETE', '/v2/requests/{id}', CANCEL],
  ['GET', '/v2/requests', LIST],
  ['POST', '/v2/uploads', UPLOAD],
  ['GET', '/v2/requests/{id}/events', EVENTS],
  ['POST', '/v1/pixverse-5-transition', SYNC],
] as const;

/** The routes whose answer API Gateway streams from a streaming Lambda. */
const STREAMED_ROUTES = [
  ['GET', '/v2/requests/{id}/events', EVENTS],
  ['POST', '/v1/pixverse-5-transition', SYNC],
] as const;

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

/** A method's path: its resource's, or `/` for the API's root resource (which has no resource of its own). */
function pathOfMethod(properties: Record<string, unknown>): string {
  const resourceId = properties.ResourceId as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (resourceId['Fn::GetAtt']?.[1] === 'RootResourceId') return '/';
  return resourcePaths()[resourceId.Ref ?? ''] ?? '';
}

function method(httpMethod: string, path: string): Record<string, unknown> {
  const found = resourcesOfType(built.json, 'AWS::ApiGateway::Method').find(
    ([, m]) => m.Properties.HttpMethod === httpMethod && pathOfMethod(m.Properties) === path,
  );
  if (!found) throw new Error(`no method ${httpMethod} ${path}`);
  return found[1].Properties;
}

describe('Infra: api routes', () => {
  it('serves exactly the v2 routes, the v1 route, the playground, /openapi.json and /healthz', () => {
    const routes = resourcesOfType(built.json, 'AWS::ApiGateway::Method')
      .map(([, m]) => `${String(m.Properties.HttpMethod)} ${pathOfMethod(m.Properties)}`)
      .sort();

    expect(routes).toEqual([
      'DELETE /v2/requests/{id}',
      'GET /',
      'GET /healthz',
      'GET /openapi.json',
      'GET /v2/requests',
      'GET /v2/requests/{id}',
      'GET /v2/requests/{id}/events',
      'GET /v2/requests/{id}/status',
      'POST /v1/pixverse-5-transition',
      'POST /v2/pixverse-5-transition',
      'POST /v2/uploads',
    ]);
  });

  it('proxies each keyed route to its own Lambda and requires a key, checked by the authorizer', () => {
    const authorizerId = logicalIdOfType(built.json, 'AWS::ApiGateway::Authorizer');
    for (const [httpMethod, path, handler] of KEYED_ROUTES) {
      const properties = method(httpMethod, path);
      expect(properties, path).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      // Keys are the authorizer's: no usage-plan key is asked for on top.
      expect(properties.ApiKeyRequired, path).not.toBe(true);
      expect(properties.Integration, path).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(JSON.stringify(properties.Integration), path).toContain(`"${functionIdFor(built.json, handler)}","Arn"`);
    }
  });

  it('streams the events and v1 answers from streaming invocations, for up to 15 minutes', () => {
    for (const [httpMethod, path, handler] of STREAMED_ROUTES) {
      const integration = method(httpMethod, path).Integration as Record<string, unknown>;

      expect(integration, path).toMatchObject({ ResponseTransferMode: 'STREAM', TimeoutInMillis: 900_000 });
      expect(JSON.stringify(integration.Uri), path).toContain('/response-streaming-invocations');
      expect(propertiesOf(built.json, handler).Timeout, path).toBe(900);
    }
  });

  it('buffers every other Lambda answer, within the 29 s integration timeout', () => {
    const streamed = new Set(STREAMED_ROUTES.map(([httpMethod, path]) => `${httpMethod} ${path}`));
    const others = resourcesOfType(built.json, 'AWS::ApiGateway::Method').filter(
      ([, m]) =>
        (m.Properties.Integration as { Type?: string }).Type === 'AWS_PROXY' &&
        !streamed.has(`${String(m.Properties.HttpMethod)} ${pathOfMethod(m.Properties)}`),
    );

    expect(others.length).toBeGreaterThan(0);
    for (const [id, m] of others) {
      const integration = m.Properties.Integration as Record<string, unknown>;
      expect(integration.ResponseTransferMode, id).not.toBe('STREAM');
      expect(integration.TimeoutInMillis, id).toBeUndefined();
      expect(JSON.stringify(integration.Uri), id).toContain('/invocations');
      expect(JSON.stringify(integration.Uri), id).not.toContain('response-streaming');
    }
  });

  it('serves the playground page at / from its Lambda without a key', () => {
    const page = method('GET', '/');

    expect(page.AuthorizationType).toBe('NONE');
    expect(page).not.toHaveProperty('AuthorizerId');
    expect(JSON.stringify(page.Integration)).toContain(`"${functionIdFor(built.json, PLAYGROUND)}","Arn"`);
  });

  it('serves /openapi.json from its Lambda without a key', () => {
    const openapi = method('GET', '/openapi.json');

    expect(openapi.ApiKeyRequired).not.toBe(true);
    expect(openapi.AuthorizationType).toBe('NONE');
    expect(openapi).not.toHaveProperty('AuthorizerId');
    expect(JSON.stringify(openapi.Integration)).toContain(`"${functionIdFor(built.json, OPENAPI)}","Arn"`);
  });

  it('documents in /openapi.json exactly the routes it serves, with the same key requirement', () => {
    // Arrange
    const served = apiRoutesFromTemplate(built.json as Parameters<typeof apiRoutesFromTemplate>[0]);
    const doc = openApiDocument();

    // Act
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([httpMethod, operation]) => ({
        route: `${httpMethod.toUpperCase()} ${path}`,
        apiKeyRequired: !(Array.isArray(operation.security) && operation.security.length === 0),
      })),
    );

    // Assert
    expect(documented.map((d) => d.route).sort()).toEqual(served.map((r) => `${r.method} ${r.path}`).sort());
    for (const { route, apiKeyRequired } of documented) {
      const [httpMethod = '', path = ''] = route.split(' ');
      expect(method(httpMethod, path).AuthorizationType === 'CUSTOM', route).toBe(apiKeyRequired);
    }
  });

  it('validates the request id parameter and the JSON bodies at the gateway', () => {
    const validatorId = logicalIdOfType(built.json, 'AWS::ApiGateway::RequestValidator');
    const models = Object.fromEntries(
      resourcesOfType(built.json, 'AWS::ApiGateway::Model').map(([id, model]) => [
        String(model.Properties.Name ?? id),
        id,
      ]),
    );
    built.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    for (const [httpMethod, path] of [
      ['GET', '/v2/requests/{id}'],
      ['DELETE', '/v2/requests/{id}'],
      ['GET', '/v2/requests/{id}/status'],
      ['GET', '/v2/requests/{id}/events'],
    ] as const) {
      expect(method(httpMethod, path), `${httpMethod} ${path}`).toMatchObject({
        RequestParameters: { 'method.request.path.id': true },
        RequestValidatorId: { Ref: validatorId },
      });
    }
    expect(method('GET', '/v2/requests')).toMatchObject({
      RequestParameters: {
        'method.request.querystring.limit': false,
        'method.request.querystring.status': false,
        'method.request.querystring.cursor': false,
      },
    });
    expect(method('GET', '/v2/requests/{id}/events')).toMatchObject({
      RequestParameters: { 'method.request.querystring.last_event_id': false },
    });
    const modelOf = (path: string) =>
      (method('POST', path).RequestModels as Record<string, { Ref: string }>)['application/json']?.Ref;
    expect(modelOf('/v2/pixverse-5-transition')).toMatch(/TransitionRequest/);
    expect(modelOf('/v1/pixverse-5-transition')).toBe(modelOf('/v2/pixverse-5-transition'));
    expect(modelOf('/v2/uploads')).toMatch(/UploadRequest/);
    expect(Object.values(models)).toHaveLength(2);
    built.template.allResourcesProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({ type: 'object' }),
    });
  });

  it('answers /healthz from a mock integration without a key', () => {
    const healthz = method('GET', '/healthz');

    expect(healthz.ApiKeyRequired).not.toBe(true);
    expect(healthz.AuthorizationType).toBe('NONE');
    expect(healthz).not.toHaveProperty('AuthorizerId');
    expect(healthz.Integration).toMatchObject({
      Type: 'MOCK',
      RequestTemplates: { 'application/json': '{"statusCode": 200}' },
      IntegrationResponses: [{ StatusCode: '200', ResponseTemplates: { 'application/json': '{"status":"ok"}' } }],
    });
  });

  it('throttles every route on the stage, with no usage plan or API Gateway key left', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      ]),
    });
    for (const type of ['AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey', 'AWS::ApiGateway::ApiKey']) {
      built.template.resourceCountIs(type, 0);
    }
  });

  it('throttles the paid submit routes (v2 and v1) harder than the stage, and no other route on its own', () => {
    const methodSettings = stageMethodSettings(built.json);

    // API Gateway's method path: '/' escaped as '~1'.
    expect(methodSettings.filter((setting) => setting.ResourcePath !== '/*')).toEqual([
      expect.objectContaining({
        HttpMethod: 'POST',
        ResourcePath: '/~1v2~1pixverse-5-transition',
        ThrottlingRateLimit: 5,
        ThrottlingBurstLimit: 10,
      }),
      expect.objectContaining({
        HttpMethod: 'POST',
        ResourcePath: '/~1v1~1pixverse-5-transition',
        ThrottlingRateLimit: 5,
        ThrottlingBurstLimit: 10,
      }),
    ]);
  });

  it('logs access and execution, and traces, on its stage', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'INFO', DataTraceEnabled: false }),
      ]),
    });
  });

  it('logs, for each request, the tenant and the key id the authorizer resolved, as JSON', () => {
    const [, stage] = resourcesOfType(built.json, 'AWS::ApiGateway::Stage')[0] ?? [];
    const setting = stage?.Properties.AccessLogSetting as { DestinationArn: unknown; Format: string };

    const format = JSON.parse(setting.Format) as Record<string, string>;

    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      tenantId: '$context.authorizer.tenantId',
      keyId: '$context.authorizer.keyId',
    });
    expect(setting.DestinationArn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ApiAccessLogs/), 'Arn'],
    });
  });

  it('answers a missing key 401 and an unknown or revoked key 403, each a JSON error with the contract’s code', () => {
    for (const [type, refusal] of [
      ['UNAUTHORIZED', AUTH_REFUSALS.missing],
      ['ACCESS_DENIED', AUTH_REFUSALS.refused],
    ] as const) {
      const responses = resourcesOfType(built.json, 'AWS::ApiGateway::GatewayResponse').filter(
        ([, response]) => response.Properties.ResponseType === type,
      );
      expect(responses, type).toHaveLength(1);
      const properties = responses[0]?.[1].Properties ?? {};
      expect(properties, type).toMatchObject({
        StatusCode: String(refusal.status),
        ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/json'" },
        RestApiId: { Ref: logicalIdOfType(built.json, 'AWS::ApiGateway::RestApi') },
      });
      const body = JSON.parse((properties.ResponseTemplates as Record<string, string>)['application/json'] ?? '');
      expect(body, type).toEqual({ error: refusal.message, error_code: refusal.code, details: [] });
    }
    expect([AUTH_REFUSALS.missing.status, AUTH_REFUSALS.refused.status]).toEqual([401, 403]);
  });

  /** Each gateway response: its type, status (undefined: API Gateway's own) and body as API Gateway renders it. */
  const gatewayAnswers = () =>
    resourcesOfType(built.json, 'AWS::ApiGateway::GatewayResponse').map(([, response]) => {
      const template = (response.Properties.ResponseTemplates as Record<string, string>)['application/json'] ?? '';
      // The one reference a template may hold: API Gateway's message, a quoted JSON string.
      const rendered = template.replaceAll('$context.error.messageString', JSON.stringify('Gateway says no'));
      return {
        type: String(response.Properties.ResponseType),
        status: response.Properties.StatusCode as string | undefined,
        template,
        body: JSON.parse(rendered) as unknown,
        headers: response.Properties.ResponseParameters,
      };
    });

  it("answers every refusal of the gateway itself in the handlers' shape, with a code of the contract and its status", () => {
    const answers = gatewayAnswers();

    for (const answer of answers) {
      const body = z.strictObject(errorBodySchema.shape).parse(answer.body);
      expect(answer.headers, answer.type).toEqual({ 'gatewayresponse.header.Content-Type': "'application/json'" });
      expect(answer.template.replaceAll('$context.error.messageString', ''), answer.type).not.toMatch(/[$#]/);
      if (answer.status !== undefined)
        expect(answer.status, answer.type).toBe(String(statusOfApiError(body.error_code)));
    }
    const byType = Object.fromEntries(
      answers.map((answer) => [answer.type, { status: answer.status, code: (answer.body as ErrorBody).error_code }]),
    );
    expect(byType).toEqual({
      UNAUTHORIZED: { status: '401', code: 'unauthorized' },
      ACCESS_DENIED: { status: '403', code: 'forbidden' },
      MISSING_AUTHENTICATION_TOKEN: { status: '404', code: 'not_found' },
      BAD_REQUEST_BODY: { status: '400', code: 'invalid_request' },
      BAD_REQUEST_PARAMETERS: { status: '400', code: 'invalid_request' },
      REQUEST_TOO_LARGE: { status: '413', code: 'payload_too_large' },
      UNSUPPORTED_MEDIA_TYPE: { status: '415', code: 'unsupported_media_type' },
      THROTTLED: { status: '429', code: 'throttled' },
      INTEGRATION_FAILURE: { status: '502', code: 'bad_gateway' },
      INTEGRATION_TIMEOUT: { status: '504', code: 'gateway_timeout' },
      AUTHORIZER_FAILURE: { status: '500', code: 'internal_error' },
      AUTHORIZER_CONFIGURATION_ERROR: { status: '500', code: 'internal_error' },
      // The catch-alls keep API Gateway's status and message.
      DEFAULT_4XX: { status: undefined, code: 'bad_request' },
      DEFAULT_5XX: { status: undefined, code: 'internal_error' },
    });
  });

  it("keeps API Gateway's message in the catch-alls and names the body in a body it refuses", () => {
    const answers = Object.fromEntries(gatewayAnswers().map((answer) => [answer.type, answer.body]));

    expect(answers.DEFAULT_4XX).toEqual({ error: 'Gateway says no', error_code: 'bad_request', details: [] });
    expect(answers.DEFAULT_5XX).toEqual({ error: 'Gateway says no', error_code: 'internal_error', details: [] });
    expect(answers.BAD_REQUEST_BODY).toEqual({
      error: 'Invalid request: body must be a JSON object',
      error_code: 'invalid_request',
      details: [{ field: 'body', rule: 'must be a JSON object' }],
    });
  });
});

describe('Infra: api functions', () => {
  const tableId = (): string => jobsTableId(built.json);
  /** The transition workflow (other state machines, such as webhook delivery, may exist). */
  const stateMachineId = (): string => {
    const machines = resourcesOfType(built.json, 'AWS::StepFunctions::StateMachine').filter(([, machine]) =>
      JSON.stringify(machine.Properties.DefinitionString).includes('Submit Job'),
    );
    if (machines.length !== 1) throw new Error(`expected one transition state machine, found ${machines.length}`);
    return (machines[0] as [string, unknown])[0];
  };
  const bucketId = (): string =>
    (built.json.Outputs as Record<string, { Value: { Ref: string } }>).BucketName?.Value.Ref ?? '';
  /** The machine that announces a cancelled job. */
  const cancellationTailId = (): string => {
    const [tail] = resourcesOfType(built.json, 'AWS::StepFunctions::StateMachine').filter(([, machine]) =>
      JSON.stringify(machine.Properties.DefinitionString).includes('Emit Cancelled Event'),
    );
    if (!tail) throw new Error('no cancellation tail state machine');
    return tail[0];
  };
  const base = { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'framebridge' };
  const ownActions = (handler: string) =>
    actionsOf(statementsOf(built.json, handler)).filter((a) => !/^(logs|xray):/.test(a));
  const TABLE_READ = ['dynamodb:GetItem'];
  const TABLE_UPDATE = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];
  const TABLE_CREATE = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

  it('gives each function exactly its environment', () => {
    expect(environmentOf(built.json, CREATE)).toEqual({
      ...base,
      JOBS_TABLE_NAME: { Ref: tableId() },
      STATE_MACHINE_ARN: { Ref: stateMachineId() },
      BUCKET_NAME: { Ref: bucketId() },
    });
    expect(environmentOf(built.json, STATUS)).toEqual({ ...base, JOBS_TABLE_NAME: { Ref: tableId() } });
    expect(environmentOf(built.json, RESULT)).toEqual({
      ...base,
      JOBS_TABLE_NAME: { Ref: tableId() },
      BUCKET_NAME: { Ref: bucketId() },
    });
    expect(environmentOf(built.json, CANCEL)).toEqual({
      ...base,
      JOBS_TABLE_NAME: { Ref: tableId() },
      STATE_MACHINE_ARN: { Ref: stateMachineId() },
      CANCELLATION_TAIL_ARN: { Ref: cancellationTailId() },
    });
    expect(environmentOf(built.json, LIST)).toEqual({ ...base, JOBS_TABLE_NAME: { Ref: tableId() } });
    expect(environmentOf(built.json, UPLOAD)).toEqual({ ...base, BUCKET_NAME: { Ref: bucketId() } });
    expect(environmentOf(built.json, OPENAPI)).toEqual(base);
    expect(environmentOf(built.json, EVENTS)).toEqual({ ...base, JOBS_TABLE_NAME: { Ref: tableId() } });
    expect(environmentOf(built.json, SYNC)).toEqual(environmentOf(built.json, CREATE));
    expect(environmentOf(built.json, PLAYGROUND)).toEqual(base);
  });

  it('lets the create function start this state machine and read frames (objects) of the bucket, nothing more', () => {
    const statements = statementsOf(built.json, CREATE);
    const frameObjects = resourcesFor(statements, 's3:GetObject');

    expect(ownActions(CREATE)).toEqual([...TABLE_CREATE, 's3:GetObject', 'states:StartExecution'].sort());
    expect(resourcesFor(statements, 'states:StartExecution')).toEqual([{ Ref: stateMachineId() }]);
    // Objects of this bucket only; which prefixes is frameGrants.test.ts's.
    expect(frameObjects.length).toBeGreaterThan(0);
    for (const objects of frameObjects) {
      expect(objects).toEqual(arnWithSuffix(bucketId(), expect.stringMatching(/^\/.*\*$/)));
    }
  });

  it('lets the v1 function do what the create function does, and GET objects under jobs/ (the videos it streams)', () => {
    const videoObjects = arnWithSuffix(bucketId(), '/jobs/*');
    const syncReads = resourcesFor(statementsOf(built.json, SYNC), 's3:GetObject');

    expect(ownActions(SYNC)).toEqual(ownActions(CREATE));
    expect(resourcesFor(statementsOf(built.json, SYNC), 'states:StartExecution')).toEqual([{ Ref: stateMachineId() }]);
    expect(syncReads).toContainEqual(videoObjects);
    expect(syncReads.filter((objects) => JSON.stringify(objects) !== JSON.stringify(videoObjects))).toEqual(
      resourcesFor(statementsOf(built.json, CREATE), 's3:GetObject'),
    );
  });

  it('lets the events function only read the jobs table', () => {
    expect(ownActions(EVENTS)).toEqual(TABLE_READ);
    expect(resourcesFor(statementsOf(built.json, EVENTS), 'dynamodb:GetItem')).toEqual([
      { 'Fn::GetAtt': [tableId(), 'Arn'] },
    ]);
  });

  it('gives the playground function no access to anything, and caps it like the OpenAPI function', () => {
    expect(ownActions(PLAYGROUND)).toEqual([]);
    expect(propertiesOf(built.json, PLAYGROUND).ReservedConcurrentExecutions).toBe(2);
  });

  it('lets no API function but the create and v1 functions start the transition workflow', () => {
    const starters = resourcesOfType(built.json, 'AWS::IAM::Policy').filter(([, p]) =>
      (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement.some(
        (s) =>
          JSON.stringify(s.Action).includes('states:StartExecution') &&
          JSON.stringify(s.Resource).includes(JSON.stringify({ Ref: stateMachineId() })),
      ),
    );
    for (const handler of [CREATE, SYNC]) {
      const role = roleIdOf(built.json, functionIdFor(built.json, handler));
      expect(
        starters.map(([, p]) => p.Properties.Roles),
        handler,
      ).toContainEqual([{ Ref: role }]);
    }
    for (const handler of [STATUS, RESULT, CANCEL, LIST, UPLOAD, OPENAPI, EVENTS, PLAYGROUND]) {
      const role = roleIdOf(built.json, functionIdFor(built.json, handler));
      expect(
        starters.map(([, p]) => p.Properties.Roles),
        handler,
      ).not.toContainEqual([{ Ref: role }]);
    }
  });

  it('lets the status function only read the jobs table', () => {
    expect(ownActions(STATUS)).toEqual(TABLE_READ);
  });

  it('lets the result function read the jobs table and GET objects under jobs/ only', () => {
    const statements = statementsOf(built.json, RESULT);

    expect(ownActions(RESULT)).toEqual([...TABLE_READ, 's3:GetObject']);
    expect(resourcesFor(statements, 's3:GetObject')).toEqual([arnWithSuffix(bucketId(), '/jobs/*')]);
  });

  it("lets the cancel function stop only this state machine's executions, update jobs and start the cancellation tail", () => {
    const statements = statementsOf(built.json, CANCEL);

    expect(ownActions(CANCEL)).toEqual([...TABLE_UPDATE, 'states:StartExecution', 'states:StopExecution'].sort());
    expect(resourcesFor(statements, 'states:StartExecution')).toEqual([{ Ref: cancellationTailId() }]);
    expect(resourcesFor(statements, 'states:StopExecution')).toEqual([
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':states:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':execution:',
            { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: stateMachineId() }] }] },
            ':*',
          ],
        ],
      },
    ]);
  });

  it('lets the list function only query the byOwner index', () => {
    const statements = statementsOf(built.json, LIST);

    expect(ownActions(LIST)).toEqual(['dynamodb:Query']);
    expect(resourcesFor(statements, 'dynamodb:Query')).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId(), 'Arn'] }, `/index/${JOBS_TABLE.byOwnerIndex}`]] },
    ]);
  });

  it('lets the upload function only PUT objects under uploads/', () => {
    const statements = statementsOf(built.json, UPLOAD);

    expect(ownActions(UPLOAD)).toEqual(['s3:PutObject']);
    expect(resourcesFor(statements, 's3:PutObject')).toEqual([arnWithSuffix(bucketId(), '/uploads/*')]);
  });

  it('gives the OpenAPI function no access to anything', () => {
    expect(ownActions(OPENAPI)).toEqual([]);
  });

  it('caps the public OpenAPI function with a small reserved concurrency, so it cannot starve the workflow', () => {
    expect(propertiesOf(built.json, OPENAPI).ReservedConcurrentExecutions).toBe(2);
  });
});

describe('Infra: api authorizer', () => {
  const authorizerId = (): string => logicalIdOfType(built.json, 'AWS::ApiGateway::Authorizer');
  const ownActions = (handler: string) =>
    actionsOf(statementsOf(built.json, handler)).filter((a) => !/^(logs|xray):/.test(a));

  it('resolves the x-api-key header with one REQUEST authorizer, its answer cached five minutes per key', () => {
    built.template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    built.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: `method.request.header.${API_KEY_HEADER}`,
      AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS,
      RestApiId: { Ref: logicalIdOfType(built.json, 'AWS::ApiGateway::RestApi') },
    });
    // A revoked key must stop working within five minutes.
    expect(AUTHORIZER_CACHE_SECONDS).toBeGreaterThan(0);
    expect(AUTHORIZER_CACHE_SECONDS).toBeLessThanOrEqual(300);
    expect(API_KEY_HEADER).toBe('x-api-key');
  });

  it('runs the authorizer handler', () => {
    const [, authorizer] = resourcesOfType(built.json, 'AWS::ApiGateway::Authorizer')[0] ?? [];

    expect(JSON.stringify(authorizer?.Properties.AuthorizerUri)).toContain(
      `"${functionIdFor(built.json, AUTHORIZER)}","Arn"`,
    );
  });

  it('guards every /v2 and /v1 method, and none of /, /healthz and /openapi.json', () => {
    const methods = resourcesOfType(built.json, 'AWS::ApiGateway::Method').map(([, m]) => ({
      route: `${String(m.Properties.HttpMethod)} ${pathOfMethod(m.Properties)}`,
      authorizationType: m.Properties.AuthorizationType,
      authorizerId: (m.Properties.AuthorizerId as { Ref?: string } | undefined)?.Ref,
    }));
    const guarded = methods.filter((m) => /^\/v[12]\//.test(m.route.split(' ')[1] ?? ''));

    expect(guarded.map((m) => m.route).sort()).toEqual(KEYED_ROUTES.map(([verb, path]) => `${verb} ${path}`).sort());
    for (const { route, authorizationType, authorizerId: id } of guarded) {
      expect({ authorizationType, id }, route).toEqual({ authorizationType: 'CUSTOM', id: authorizerId() });
    }
    const open = methods.filter((m) => !guarded.includes(m));
    expect(open.map((m) => m.route).sort()).toEqual(['GET /', 'GET /healthz', 'GET /openapi.json']);
    for (const { route, authorizationType, authorizerId: id } of open) {
      expect({ authorizationType, id }, route).toEqual({ authorizationType: 'NONE', id: undefined });
    }
  });

  it('lets API Gateway invoke the authorizer function only as this authorizer', () => {
    const permissions = resourcesOfType(built.json, 'AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter(
        (p) =>
          JSON.stringify(p.FunctionName) ===
          JSON.stringify({ 'Fn::GetAtt': [functionIdFor(built.json, AUTHORIZER), 'Arn'] }),
      );

    expect(permissions).toEqual([
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' }),
    ]);
    expect(JSON.stringify(permissions[0]?.SourceArn)).toContain(`"/authorizers/",{"Ref":"${authorizerId()}"}`);
  });

  it('gives the authorizer function exactly the keys table’s name', () => {
    expect(environmentOf(built.json, AUTHORIZER)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'framebridge',
      KEYS_TABLE_NAME: { Ref: keysTableId(built.json) },
    });
  });

  it('lets the authorizer only read a key and record its use, on the keys table only', () => {
    const statements = statementsOf(built.json, AUTHORIZER);

    expect(ownActions(AUTHORIZER)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem']) {
      expect(resourcesFor(statements, action), action).toEqual([{ 'Fn::GetAtt': [keysTableId(built.json), 'Arn'] }]);
    }
  });

  it('gives no other function the keys table: no grant, no variable', () => {
    const keysTable = `"${keysTableId(built.json)}"`;
    const authorizerRole = roleIdOf(built.json, functionIdFor(built.json, AUTHORIZER));
    const otherPolicies = resourcesOfType(built.json, 'AWS::IAM::Policy').filter(
      ([, p]) => JSON.stringify(p.Properties.Roles) !== JSON.stringify([{ Ref: authorizerRole }]),
    );
    const otherFunctions = resourcesOfType(built.json, 'AWS::Lambda::Function').filter(
      ([id]) => id !== functionIdFor(built.json, AUTHORIZER),
    );

    expect(otherPolicies.length).toBeGreaterThan(0);
    for (const [id, policy] of otherPolicies) {
      expect(JSON.stringify(policy.Properties.PolicyDocument), id).not.toContain(keysTable);
    }
    for (const [id, fn] of otherFunctions) {
      expect(JSON.stringify(fn.Properties.Environment), id).not.toContain(keysTable);
    }
  });
});

describe('Infra: keys table', () => {
  const keysTable = (): Record<string, unknown> =>
    resourcesOfType(built.json, 'AWS::DynamoDB::Table').find(([id]) => id === keysTableId(built.json))?.[1]
      .Properties ?? {};

  it('is keyed by the public key id only, with no index and no expiry', () => {
    expect(keysTable()).toMatchObject({
      KeySchema: [{ AttributeName: KEYS_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: KEYS_TABLE.partitionKey, AttributeType: 'S' }],
    });
    expect(keysTable()).not.toHaveProperty('GlobalSecondaryIndexes');
    expect(keysTable()).not.toHaveProperty('TimeToLiveSpecification');
  });

  it('bills on demand, recovers to a point in time, is encrypted, and is retained when the stack goes', () => {
    expect(keysTable()).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // SSEEnabled without a key: KMS with the AWS managed key aws/dynamodb.
      SSESpecification: { SSEEnabled: true },
    });
    expect(keysTable().SSESpecification).not.toHaveProperty('KMSMasterKeyId');
    built.template.templateMatches({
      Resources: { [keysTableId(built.json)]: { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' } },
    });
  });

  it('is not the jobs table', () => {
    expect(keysTableId(built.json)).not.toBe(jobsTableId(built.json));
    built.template.resourceCountIs('AWS::DynamoDB::Table', 2);
  });
});
