import { Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  MockIntegration,
  PassthroughBehavior,
  ResponseType,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { errorView } from '../../lambdas/core/apiViews';
import { type ApiErrorCode, statusOfApiError } from '../../lambdas/core/contract/apiErrors';
import { AUTH_REFUSALS } from '../../lambdas/core/contract/names';
import { type FieldIssue, invalidMessage } from '../../lambdas/core/errors';

/* What the gateway itself answers and records: refusals, liveness, the access log, and the nag findings it accepts. */

/** The access log: API Gateway's standard fields plus the tenant and key the authorizer resolved. */
export function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      ip: AccessLogField.contextIdentitySourceIp(),
      requestTime: AccessLogField.contextRequestTime(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      status: AccessLogField.contextStatus(),
      protocol: AccessLogField.contextProtocol(),
      responseLength: AccessLogField.contextResponseLength(),
      tenantId: AccessLogField.contextAuthorizer('tenantId'),
      keyId: AccessLogField.contextAuthorizer('keyId'),
      errorType: AccessLogField.contextErrorResponseType(),
    }),
  );
}

/** Stands for API Gateway's own message (already a quoted JSON string) in a template. */
const GATEWAY_MESSAGE = Symbol('$context.error.messageString');

/** The one rule API Gateway checks of a body (its models require a JSON object); the handler checks the rest. */
const BODY_NOT_OBJECT = { field: 'body', rule: 'must be a JSON object' };

interface GatewayError {
  readonly id: string;
  readonly type: ResponseType;
  readonly code: ApiErrorCode;
  readonly message: string | typeof GATEWAY_MESSAGE;
  readonly details?: readonly FieldIssue[];
  /** Whether the answer keeps API Gateway's own status (a catch-all) instead of the code's. */
  readonly gatewayStatus?: true;
}

/**
 * API Gateway's own answers, each with a code of the contract and the status
 * that code has; the catch-alls keep API Gateway's status and message.
 */
const GATEWAY_ERRORS: readonly GatewayError[] = [
  {
    id: 'MissingKey',
    type: ResponseType.UNAUTHORIZED,
    code: AUTH_REFUSALS.missing.code,
    message: AUTH_REFUSALS.missing.message,
  },
  {
    id: 'RefusedKey',
    type: ResponseType.ACCESS_DENIED,
    code: AUTH_REFUSALS.refused.code,
    message: AUTH_REFUSALS.refused.message,
  },
  // What API Gateway answers for a path or method it does not serve (there is no IAM auth to miss).
  {
    id: 'NoRoute',
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    code: 'not_found',
    message: 'No such route: GET /openapi.json lists the routes this API serves',
  },
  {
    id: 'BodyNotObject',
    type: ResponseType.BAD_REQUEST_BODY,
    code: 'invalid_request',
    message: invalidMessage('request', [BODY_NOT_OBJECT]),
    details: [BODY_NOT_OBJECT],
  },
  { id: 'BadParameters', type: ResponseType.BAD_REQUEST_PARAMETERS, code: 'invalid_request', message: GATEWAY_MESSAGE },
  {
    id: 'TooLarge',
    type: ResponseType.REQUEST_TOO_LARGE,
    code: 'payload_too_large',
    message: 'The body exceeds 10 MB',
  },
  {
    id: 'NotJson',
    type: ResponseType.UNSUPPORTED_MEDIA_TYPE,
    code: 'unsupported_media_type',
    message: 'The body must be JSON (content-type: application/json)',
  },
  {
    id: 'Throttled',
    type: ResponseType.THROTTLED,
    code: 'throttled',
    message: "Too many requests: over the API's request rate; retry with backoff",
  },
  {
    id: 'IntegrationFailure',
    type: ResponseType.INTEGRATION_FAILURE,
    code: 'bad_gateway',
    message: 'Internal server error',
  },
  {
    id: 'IntegrationTimeout',
    type: ResponseType.INTEGRATION_TIMEOUT,
    code: 'gateway_timeout',
    message: 'The request was not answered in time',
  },
  {
    id: 'AuthorizerFailure',
    type: ResponseType.AUTHORIZER_FAILURE,
    code: 'internal_error',
    message: 'Internal server error',
  },
  {
    id: 'AuthorizerConfiguration',
    type: ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    code: 'internal_error',
    message: 'Internal server error',
  },
  {
    id: 'Default4xx',
    type: ResponseType.DEFAULT_4XX,
    code: 'bad_request',
    message: GATEWAY_MESSAGE,
    gatewayStatus: true,
  },
  {
    id: 'Default5xx',
    type: ResponseType.DEFAULT_5XX,
    code: 'internal_error',
    message: GATEWAY_MESSAGE,
    gatewayStatus: true,
  },
];

/**
 * The body template of one gateway answer: the handlers' error body. The
 * template is Velocity, so a fixed text holding `$` or `#` would be read as code.
 */
function gatewayErrorTemplate(error: Pick<GatewayError, 'code' | 'message' | 'details'>): string {
  // A text no fixed message holds, swapped for the Velocity reference once the JSON is written.
  const placeholder = '\u0000gateway-message\u0000';
  const message = error.message === GATEWAY_MESSAGE ? placeholder : error.message;
  const body = JSON.stringify(errorView(error.code, message, error.details));
  if (/[$#]/.test(body)) {
    throw new Error(`The gateway answer for ${error.code} may not hold '$' or '#' (a Velocity template): ${body}`);
  }
  return body.replace(JSON.stringify(placeholder), '$context.error.messageString');
}

/**
 * API Gateway's own rejections (missing or refused key, unknown route,
 * throttling, bodies it refuses, integration failures) in the handlers' shape:
 * `{error, error_code, details}`.
 */
export function addErrorResponses(api: RestApi): void {
  for (const error of GATEWAY_ERRORS) {
    api.addGatewayResponse(error.id, {
      type: error.type,
      ...(error.gatewayStatus ? {} : { statusCode: String(statusOfApiError(error.code)) }),
      responseHeaders: { 'Content-Type': "'application/json'" },
      templates: { 'application/json': gatewayErrorTemplate(error) },
    });
  }
}

/** GET /healthz: liveness, answered by the gateway itself. */
export function addHealthCheck(api: RestApi): void {
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
export function acknowledgeApiFindings(api: RestApi): void {
  Validations.of(api).acknowledge(
    {
      id: 'AwsSolutions-APIG3',
      reason:
        "No WAF web ACL: stage and submit throttling plus each tenant's active-job cap and daily quota bound abuse, and a web ACL (~$5/month plus per-request fees) is left to the operator to associate.",
    },
    {
      id: 'AwsSolutions-APIG4',
      reason:
        'Every /v2 route is authorized by a REQUEST authorizer on the x-api-key header (each key belongs to a tenant), as in the Segmind v2 API this is a drop-in for; GET /healthz (liveness), GET /openapi.json (the API description) and GET / (the playground page, which asks for a key and sends it with its API calls) are public on purpose.',
    },
    {
      id: 'AwsSolutions-COG4',
      reason:
        'No Cognito user pool: Segmind v2 clients authenticate with x-api-key only; the authorizer resolves each key to its tenant.',
    },
  );
  Validations.of(api.node.findChild('CloudWatchRole')).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      'The account-level role API Gateway needs to write execution logs (APIG6); this AWS managed policy is the one AWS documents for it.',
  });
}
