import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  type IApiKey,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
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
import {
  bindBucketObjects,
  bindCancellationTailStart,
  bindJobsTable,
  bindStateMachineStart,
  bindStateMachineStop,
} from './bindings';
import { TransitionFunction } from './transitionFunction';

/** API Gateway answers 504 after 29 s; a handler must not outlive its request. */
const READ_TIMEOUT = Duration.seconds(10);

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

export type ApiFunctionName =
  | 'createTransition'
  | 'getStatus'
  | 'getResult'
  | 'cancelRequest'
  | 'listRequests'
  | 'createUpload'
  | 'getOpenApi';

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

    const createTransition = new TransitionFunction(this, 'CreateTransitionFunction', {
      entry: 'lambdas/jobs/createTransition.ts',
      description: 'POST /v2/pixverse-5-transition: validates, records and starts a job',
      timeout: Duration.seconds(25),
    });
    const getStatus = new TransitionFunction(this, 'GetStatusFunction', {
      entry: 'lambdas/jobs/getStatus.ts',
      description: 'GET /v2/requests/{id}/status',
      timeout: READ_TIMEOUT,
    });
    const getResult = new TransitionFunction(this, 'GetResultFunction', {
      entry: 'lambdas/jobs/getResult.ts',
      description: 'GET /v2/requests/{id}: the result with a freshly presigned video URL',
      timeout: READ_TIMEOUT,
    });
    const cancelRequest = new TransitionFunction(this, 'CancelRequestFunction', {
      entry: 'lambdas/jobs/cancelRequest.ts',
      description: 'DELETE /v2/requests/{id}: stops the execution and records the job cancelled',
      timeout: READ_TIMEOUT,
    });
    const listRequests = new TransitionFunction(this, 'ListRequestsFunction', {
      entry: 'lambdas/jobs/listRequests.ts',
      description: "GET /v2/requests: the caller's requests, newest first, paginated",
      timeout: READ_TIMEOUT,
    });
    const createUpload = new TransitionFunction(this, 'CreateUploadFunction', {
      entry: 'lambdas/uploads/createUpload.ts',
      description: 'POST /v2/uploads: a presigned PUT URL for a frame under uploads/',
      timeout: READ_TIMEOUT,
    });
    const getOpenApi = new TransitionFunction(this, 'GetOpenApiFunction', {
      entry: 'lambdas/openapi/getOpenApi.ts',
      description: 'GET /openapi.json: the OpenAPI 3.1 document, generated from the zod schemas',
      timeout: READ_TIMEOUT,
    });
    this.functions = {
      createTransition,
      getStatus,
      getResult,
      cancelRequest,
      listRequests,
      createUpload,
      getOpenApi,
    };

    bindJobsTable(createTransition, props.table, 'create');
    bindStateMachineStart(createTransition, props.stateMachine);
    bindBucketObjects(createTransition, props.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: '*',
      reason:
        'Checks s3:// frames before the paid submit (HeadObject, then the first 64 KiB for format and dimensions); a frame may be any key of this bucket, as for Submit Job, so the grant is every object, read only.',
    });
    bindJobsTable(getStatus, props.table, 'read');
    bindJobsTable(getResult, props.table, 'read');
    bindBucketObjects(getResult, props.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: 'jobs/*',
      reason:
        'Presigns GET URLs for jobs/{id}/video.mp4 on every query; job ids are only known at run time, so the grant is the jobs/ prefix, read only.',
    });
    bindJobsTable(cancelRequest, props.table, 'update');
    bindStateMachineStop(cancelRequest, props.stateMachine);
    if (props.cancellationTail) bindCancellationTailStart(cancelRequest, props.cancellationTail);
    bindJobsTable(listRequests, props.table, 'list');
    bindBucketObjects(createUpload, props.bucket, {
      actions: ['s3:PutObject'],
      keyPattern: 'uploads/*',
      reason:
        'Presigns PUT URLs for uploads/{upload id}/{name}, a fresh prefix per upload chosen at run time, so the grant is the uploads/ prefix, write only.',
    });

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
    // API Gateway's own rejections (missing key, throttling, validation) in the
    // same `{error:{code,message}}` shape as the handlers' errors.
    for (const [id, type] of [
      ['Default4xx', ResponseType.DEFAULT_4XX],
      ['Default5xx', ResponseType.DEFAULT_5XX],
    ] as const) {
      this.api.addGatewayResponse(id, {
        type,
        responseHeaders: { 'Content-Type': "'application/json'" },
        templates: {
          'application/json': '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}',
        },
      });
    }

    this.requestValidator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The handler validates every field against the zod schema and names the
    // field in its answer; the gateway only refuses bodies that are not a JSON object.
    const transitionRequestModel = this.api.addModel('TransitionRequest', {
      contentType: 'application/json',
      schema: { type: JsonSchemaType.OBJECT },
    });

    const uploadRequestModel = this.api.addModel('UploadRequest', {
      contentType: 'application/json',
      schema: { type: JsonSchemaType.OBJECT },
    });

    const v2 = this.api.root.addResource('v2');
    v2.addResource('pixverse-5-transition').addMethod('POST', new LambdaIntegration(createTransition), {
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestModels: { 'application/json': transitionRequestModel },
    });
    const requests = v2.addResource('requests');
    requests.addMethod('GET', new LambdaIntegration(listRequests), {
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      // Optional: declared for the record; the handler validates their values.
      requestParameters: {
        'method.request.querystring.limit': false,
        'method.request.querystring.status': false,
        'method.request.querystring.cursor': false,
      },
    });
    const request = requests.addResource('{id}');
    const idParameter = { 'method.request.path.id': true };
    request.addMethod('GET', new LambdaIntegration(getResult), {
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestParameters: idParameter,
    });
    request.addMethod('DELETE', new LambdaIntegration(cancelRequest), {
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestParameters: idParameter,
    });
    request.addResource('status').addMethod('GET', new LambdaIntegration(getStatus), {
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestParameters: idParameter,
    });

    v2.addResource('uploads').addMethod('POST', new LambdaIntegration(createUpload), {
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestModels: { 'application/json': uploadRequestModel },
    });
    // Public, like the documentation of the API it describes.
    this.api.root.addResource('openapi.json').addMethod('GET', new LambdaIntegration(getOpenApi));

    this.api.root.addResource('healthz').addMethod(
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

    Validations.of(this.api).acknowledge(
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
    Validations.of(this.api.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-level role API Gateway needs to write execution logs (APIG6); this AWS managed policy is the one AWS documents for it.',
    });
  }
}
