import { Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  MockIntegration,
  PassthroughBehavior,
  ResponseType,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { AUTH_REFUSALS } from '../../lambdas/core/contract/names';

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

/**
 * API Gateway's own rejections (missing key, throttling, validation) in the
 * same `{error:{code,message}}` shape as the handlers' errors.
 */
export function addErrorResponses(api: RestApi): void {
  for (const [id, type, refusal] of [
    ['MissingKey', ResponseType.UNAUTHORIZED, AUTH_REFUSALS.missing],
    ['RefusedKey', ResponseType.ACCESS_DENIED, AUTH_REFUSALS.refused],
  ] as const) {
    api.addGatewayResponse(id, {
      type,
      statusCode: String(refusal.status),
      responseHeaders: { 'Content-Type': "'application/json'" },
      templates: { 'application/json': JSON.stringify({ error: { code: refusal.code, message: refusal.message } }) },
    });
  }
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
        'Every /v2 route is authorized by a REQUEST authorizer on the x-api-key header (each key belongs to a tenant), as in the Segmind v2 API this is a drop-in for; GET /healthz (liveness) and GET /openapi.json (the API description) are public on purpose.',
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
