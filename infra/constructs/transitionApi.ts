import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  type IApiKey,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type MethodOptions,
  MockIntegration,
  PassthroughBehavior,
  type RequestValidator,
  ResponseType,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
import { API_GRANTS } from './apiGrants';
import { API_ROUTES, type ApiFunctionName } from './apiRoutes';
import { TransitionFunction } from './transitionFunction';

export interface TransitionApiProps {
  /** The jobs table: created jobs are written here, status and results read from it. */
  readonly table: ITable;
  /** The bucket holding finished videos under `jobs/` and uploaded frames under `uploads/`. */
  readonly bucket: IBucket;
  /** The transition workflow each accepted job starts. */
  readonly stateMachine: IStateMachine;
  /**
   * Started when a job is cancelled, to put its event and send its webhook.
   * @default - cancelled jobs emit no event and send no webhook
   */
  readonly cancellationTail?: IStateMachine;
  /**
   * Steady-state requests per second allowed per API key.
   * @default 10
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of requests allowed per API key.
   * @default 20
   */
  readonly throttleBurstLimit?: number;
  /**
   * Name of the deployment stage (the first path segment of the API URL).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Retention of the API access log.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The Segmind-v2-compatible REST API: `x-api-key` on every `/v2` route, one
 * usage plan with throttling, Lambda proxy integrations (one function per
 * route, each granted only what it uses), and the public `/healthz` and `/openapi.json`.
 */
export class TransitionApi extends Construct {
  public readonly api: RestApi;
  public readonly functions: Readonly<Record<ApiFunctionName, TransitionFunction>>;
  public readonly usagePlan: UsagePlan;
  /** The first API key; its value is readable with `aws apigateway get-api-key --include-value`. */
  public readonly apiKey: IApiKey;
  public readonly accessLogGroup: LogGroup;
  public readonly requestValidator: RequestValidator;

  constructor(scope: Construct, id: string, props: TransitionApiProps) {
    super(scope, id);
    const { throttleRateLimit, throttleBurstLimit, stageName } = validateApiProps(props);

    this.functions = createApiFunctions(this, props);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: 'framebridge',
      description: 'framebridge: Segmind v2 compatible API for AI video transitions',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        stageName,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
    });
    // The stack outputs ApiUrl; drop RestApi's automatic, hash-named duplicate.
    this.api.node.tryRemoveChild('Endpoint');
    addErrorResponses(this.api);
    this.requestValidator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    addRoutes(this.api, this.requestValidator, this.functions);
    addHealthCheck(this.api);

    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      name: 'framebridge-default',
      description: 'Default plan: every framebridge API key is an owner throttled here',
      throttle: { rateLimit: throttleRateLimit, burstLimit: throttleBurstLimit },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    this.apiKey = this.api.addApiKey('DefaultApiKey', {
      description: 'First framebridge API key (an owner); add more keys to the usage plan for more owners',
    });
    this.usagePlan.addApiKey(this.apiKey);

    acknowledgeApiFindings(this.api);
  }
}

/** One function per route, each granted only what its handler uses. */
function createApiFunctions(scope: Construct, props: TransitionApiProps): Record<ApiFunctionName, TransitionFunction> {
  const functions = {} as Record<ApiFunctionName, TransitionFunction>;
  for (const route of API_ROUTES) {
    const fn = new TransitionFunction(scope, route.functionId, {
      entry: FUNCTION_ENTRIES[route.functionName],
      description: route.description,
      timeout: route.timeout,
    });
    API_GRANTS[route.functionName](fn, props);
    functions[route.functionName] = fn;
  }
  return functions;
}

/** The props, defaulted, or an error naming the prop and its rule. */
function validateApiProps(props: TransitionApiProps): {
  throttleRateLimit: number;
  throttleBurstLimit: number;
  stageName: string;
} {
  const throttleRateLimit = props.throttleRateLimit ?? 10;
  const throttleBurstLimit = props.throttleBurstLimit ?? 20;
  if (!Number.isFinite(throttleRateLimit) || throttleRateLimit <= 0) {
    throw new Error(
      `TransitionApi: throttleRateLimit must be a positive number of requests per second, got ${throttleRateLimit}.`,
    );
  }
  if (!Number.isInteger(throttleBurstLimit) || throttleBurstLimit < 1) {
    throw new Error(
      `TransitionApi: throttleBurstLimit must be a whole number of requests ≥ 1, got ${throttleBurstLimit}.`,
    );
  }
  const stageName = props.stageName ?? 'prod';
  if (!/^[A-Za-z0-9_]{1,128}$/.test(stageName)) {
    throw new Error(
      `TransitionApi: stageName may only hold letters, digits and underscores (1–128), got '${stageName}'.`,
    );
  }
  return { throttleRateLimit, throttleBurstLimit, stageName };
}

/**
 * API Gateway's own rejections (missing key, throttling, validation) in the
 * same `{error:{code,message}}` shape as the handlers' errors.
 */
function addErrorResponses(api: RestApi): void {
  for (const [id, type] of [
    ['Default4xx', ResponseType.DEFAULT_4XX],
    ['Default5xx', ResponseType.DEFAULT_5XX],
  ] as const) {
    api.addGatewayResponse(id, {
      type,
      responseHeaders: { 'Content-Type': "'application/json'" },
      templates: {
        'application/json': '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}',
      },
    });
  }
}

/**
 * The Lambda-backed routes of the route table. The handler validates every
 * field against the zod schema and names the field in its answer; the gateway
 * only refuses bodies that are not a JSON object.
 */
function addRoutes(
  api: RestApi,
  requestValidator: RequestValidator,
  functions: Readonly<Record<ApiFunctionName, TransitionFunction>>,
): void {
  const transitionRequestModel = api.addModel('TransitionRequest', {
    contentType: 'application/json',
    schema: { type: JsonSchemaType.OBJECT },
  });

  const uploadRequestModel = api.addModel('UploadRequest', {
    contentType: 'application/json',
    schema: { type: JsonSchemaType.OBJECT },
  });

  const bodyModels = { TransitionRequest: transitionRequestModel, UploadRequest: uploadRequestModel };
  for (const route of API_ROUTES) {
    const options: MethodOptions = route.apiKeyRequired
      ? {
          apiKeyRequired: true,
          requestValidator: requestValidator,
          requestModels: route.bodyModel ? { 'application/json': bodyModels[route.bodyModel] } : undefined,
          requestParameters: route.parameters,
        }
      : {};
    api.root
      .resourceForPath(route.path)
      .addMethod(route.method, new LambdaIntegration(functions[route.functionName]), options);
  }
}

/** GET /healthz: liveness, answered by the gateway itself. */
function addHealthCheck(api: RestApi): void {
  api.root.addResource('healthz').addMethod(
    'GET',
    new MockIntegration({
      passthroughBehavior: PassthroughBehavior.NEVER,
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      integrationResponses: [
        {
          statusCode: '200',
          responseParameters: { 'method.response.header.Content-Type': "'application/json'" },
          responseTemplates: { 'application/json': '{"status":"ok"}' },
        },
      ],
    }),
    {
      methodResponses: [{ statusCode: '200', responseParameters: { 'method.response.header.Content-Type': true } }],
    },
  );
}

/** The cdk-nag findings this API accepts, each with its reason. */
function acknowledgeApiFindings(api: RestApi): void {
  Validations.of(api).acknowledge(
    {
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL: per-key usage-plan throttling bounds abuse, and a web ACL (~$5/month plus per-request fees) is left to the operator to associate.',
    },
    {
      id: 'AwsSolutions-APIG4',
      reason:
        'Authorization is the x-api-key header with usage-plan keys (each key is an owner), as in the Segmind v2 API this is a drop-in for; GET /healthz (liveness) and GET /openapi.json (the API description) are public on purpose.',
    },
    {
      id: 'AwsSolutions-COG4',
      reason:
        'No Cognito user pool: Segmind v2 clients authenticate with x-api-key only, and each API key is an owner.',
    },
  );
  Validations.of(api.node.findChild('CloudWatchRole')).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      'The account-level role API Gateway needs to write execution logs (APIG6); this AWS managed policy is the one AWS documents for it.',
  });
}
