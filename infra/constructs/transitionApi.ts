import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AuthorizationType,
  EndpointType,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type MethodOptions,
  type RequestAuthorizer,
  type RequestValidator,
  ResponseTransferMode,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
import type { TenantLimits } from '../../lambdas/core/tenants';
import { apiAuthorizer } from './apiAuthorizer';
import { accessLogFormat, acknowledgeApiFindings, addErrorResponses, addHealthCheck } from './apiGateway';
import { API_GRANTS } from './apiGrants';
import { API_ROUTES, type ApiFunctionName, SUBMIT_PATH, SYNC_SUBMIT_PATH } from './apiRoutes';
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
  /** The API keys the authorizer resolves to tenants. */
  readonly keysTable: ITable;
  /**
   * Every tenant's spend limits, unless its key sets its own.
   * @default - the handler's: 20 active jobs, 1000 jobs per UTC day
   */
  readonly tenantLimits?: TenantLimits;
  /**
   * Steady-state requests per second the stage allows, across all callers.
   * @default 50
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of requests the stage allows, across all callers.
   * @default 100
   */
  readonly throttleBurstLimit?: number;
  /**
   * Steady-state submits per second (`POST /v2/pixverse-5-transition`), across
   * all callers; each tenant is further held to its active-job cap and daily quota.
   * @default 5
   */
  readonly submitRateLimit?: number;
  /**
   * Burst of submits allowed, across all callers.
   * @default 10
   */
  readonly submitBurstLimit?: number;
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
 * The Segmind-v2-compatible REST API: `x-api-key` on every `/v2` route,
 * resolved to a tenant by a cached REQUEST authorizer; stage and submit
 * throttling; Lambda proxy integrations (one function per route, each granted
 * only what it uses); and the public `/healthz` and `/openapi.json`.
 */
export class TransitionApi extends Construct {
  public readonly api: RestApi;
  public readonly functions: Readonly<Record<ApiFunctionName, TransitionFunction>>;
  /** Resolves `x-api-key` to a tenant; its answer is cached for five minutes per key. */
  public readonly authorizer: RequestAuthorizer;
  public readonly authorizerFunction: TransitionFunction;
  public readonly accessLogGroup: LogGroup;
  public readonly requestValidator: RequestValidator;

  constructor(scope: Construct, id: string, props: TransitionApiProps) {
    super(scope, id);
    const limits = validateApiProps(props);

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
        stageName: limits.stageName,
        throttlingRateLimit: limits.throttleRateLimit,
        throttlingBurstLimit: limits.throttleBurstLimit,
        methodOptions: {
          [`/${SUBMIT_PATH}/POST`]: {
            throttlingRateLimit: limits.submitRateLimit,
            throttlingBurstLimit: limits.submitBurstLimit,
          },
          [`/${SYNC_SUBMIT_PATH}/POST`]: {
            throttlingRateLimit: limits.submitRateLimit,
            throttlingBurstLimit: limits.submitBurstLimit,
          },
        },
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
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
    ({ authorizer: this.authorizer, fn: this.authorizerFunction } = apiAuthorizer(this, props.keysTable));
    addRoutes(this.api, { requestValidator: this.requestValidator, authorizer: this.authorizer }, this.functions);
    addHealthCheck(this.api);

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
      reservedConcurrentExecutions: route.reservedConcurrency,
      commandHooks: route.commandHooks,
    });
    API_GRANTS[route.functionName](fn, props);
    functions[route.functionName] = fn;
  }
  return functions;
}

/** The props, defaulted, or an error naming the prop and its rule. */
function validateApiProps(props: TransitionApiProps) {
  const limits = {
    throttleRateLimit: props.throttleRateLimit ?? 50,
    throttleBurstLimit: props.throttleBurstLimit ?? 100,
    submitRateLimit: props.submitRateLimit ?? 5,
    submitBurstLimit: props.submitBurstLimit ?? 10,
  };
  for (const name of ['throttleRateLimit', 'submitRateLimit'] as const) {
    if (!Number.isFinite(limits[name]) || limits[name] <= 0) {
      throw new Error(`TransitionApi: ${name} must be a positive number of requests per second, got ${limits[name]}.`);
    }
  }
  for (const name of ['throttleBurstLimit', 'submitBurstLimit'] as const) {
    if (!Number.isInteger(limits[name]) || limits[name] < 1) {
      throw new Error(`TransitionApi: ${name} must be a whole number of requests ≥ 1, got ${limits[name]}.`);
    }
  }
  const stageName = props.stageName ?? 'prod';
  if (!/^[A-Za-z0-9_]{1,128}$/.test(stageName)) {
    throw new Error(
      `TransitionApi: stageName may only hold letters, digits and underscores (1–128), got '${stageName}'.`,
    );
  }
  return { ...limits, stageName };
}

/**
 * The Lambda-backed routes of the route table. The handler validates every
 * field against the zod schema and names the field in its answer; the gateway
 * only refuses bodies that are not a JSON object.
 */
function addRoutes(
  api: RestApi,
  guards: { requestValidator: RequestValidator; authorizer: RequestAuthorizer },
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
          authorizer: guards.authorizer,
          authorizationType: AuthorizationType.CUSTOM,
          requestValidator: guards.requestValidator,
          requestModels: route.bodyModel ? { 'application/json': bodyModels[route.bodyModel] } : undefined,
          requestParameters: route.parameters,
        }
      : {};
    const integration = new LambdaIntegration(
      functions[route.functionName],
      route.streaming ? { responseTransferMode: ResponseTransferMode.STREAM, timeout: route.timeout } : {},
    );
    api.root.resourceForPath(route.path).addMethod(route.method, integration, options);
  }
}
