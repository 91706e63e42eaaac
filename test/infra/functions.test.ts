import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, TransitionFunction } from '../../infra/constructs/transitionFunction';
import { FUNCTION_ENTRIES, FUNCTION_ENV, type FunctionName, HANDLER_METADATA_KEY } from '../../lambdas/core/contract';
import { BUILD_TIMEOUT_MS, type BuiltApp, buildTemplate, resourcesOfType } from './templateHelpers';

let built: BuiltApp;

beforeAll(() => {
  built = buildTemplate();
}, BUILD_TIMEOUT_MS);

describe('Infra: functions', () => {
  it('deploys every handler, each tagged with its module, which exists', () => {
    const handlers = resourcesOfType(built.json, 'AWS::Lambda::Function')
      .map(([, fn]) => fn.Metadata?.[HANDLER_METADATA_KEY])
      .sort();

    expect(handlers).toEqual([
      'lambdas/auth/authorizer.ts',
      'lambdas/intake/s3Manifest.ts',
      'lambdas/intake/writeOutbox.ts',
      'lambdas/jobs/cancelRequest.ts',
      'lambdas/jobs/createTransition.ts',
      'lambdas/jobs/getResult.ts',
      'lambdas/jobs/getStatus.ts',
      'lambdas/jobs/listRequests.ts',
      'lambdas/jobs/streamEvents.ts',
      'lambdas/jobs/syncTransition.ts',
      'lambdas/openapi/getOpenApi.ts',
      'lambdas/playground/getPlayground.ts',
      'lambdas/reconciler/reconcileExecution.ts',
      'lambdas/secrets/initWebhookSecret.ts',
      'lambdas/uploads/createUpload.ts',
      'lambdas/webhooks/deliverWebhook.ts',
      'lambdas/webhooks/notify.ts',
      'lambdas/webhooks/recordWebhookFailure.ts',
      'lambdas/workflow/checkStatus.ts',
      'lambdas/workflow/copyToS3.ts',
      'lambdas/workflow/recordFailure.ts',
      'lambdas/workflow/submit.ts',
    ]);
    expect(handlers).toEqual(Object.values(FUNCTION_ENTRIES).sort());
    for (const handler of handlers) {
      expect(existsSync(join(repoRoot, String(handler))), String(handler)).toBe(true);
    }
  });

  it('gives each function only environment variables its handler parses (besides the runtime settings)', () => {
    const runtimeSettings = [
      'NODE_OPTIONS',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_LOG_LEVEL',
      'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
    ];
    const nameOfEntry = new Map<string, FunctionName>(
      Object.entries(FUNCTION_ENTRIES).map(([name, entry]) => [entry, name as FunctionName]),
    );
    for (const [id, fn] of resourcesOfType(built.json, 'AWS::Lambda::Function')) {
      const name = nameOfEntry.get(String(fn.Metadata?.[HANDLER_METADATA_KEY]));
      if (name === undefined) throw new Error(`${id} runs a handler the contract does not name`);
      const declared = new Set(Object.keys(envShapeOf(FUNCTION_ENV[name])));
      const variables = Object.keys((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables);
      const undeclared = variables.filter((variable) => !declared.has(variable) && !runtimeSettings.includes(variable));
      expect(undeclared, `${name} gets variables its schema does not declare`).toEqual([]);
    }
  });

  it('runs every function on Node 24, arm64, traced, logging to its own log group', () => {
    for (const [id, fn] of resourcesOfType(built.json, 'AWS::Lambda::Function')) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'framebridge' } },
      });
    }
  });

  it('keeps function logs for a month', () => {
    const logGroups = Object.fromEntries(resourcesOfType(built.json, 'AWS::Logs::LogGroup'));
    for (const [id, fn] of resourcesOfType(built.json, 'AWS::Lambda::Function')) {
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logGroups[logGroupId]?.Properties.RetentionInDays, id).toBe(30);
    }
  });

  it('uses no AWS managed policy and no wildcard action in function roles', () => {
    const roles = resourcesOfType(built.json, 'AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
    );
    const actions = resourcesOfType(built.json, 'AWS::IAM::Policy').flatMap(([, p]) =>
      (p.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap(
        (s) => s.Action,
      ),
    );

    expect(roles).toHaveLength(resourcesOfType(built.json, 'AWS::Lambda::Function').length);
    for (const [id, role] of roles) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('refuses an entry outside the repository or missing on disk, naming the fix', () => {
    // Arrange
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');

    // Act / Assert
    expect(() => new TransitionFunction(stack, 'Absolute', { entry: '/tmp/handler.ts' })).toThrow(
      /relative to the repository root/,
    );
    expect(() => new TransitionFunction(stack, 'Outside', { entry: '../elsewhere/handler.ts' })).toThrow(
      /inside the repository/,
    );
    expect(() => new TransitionFunction(stack, 'Missing', { entry: 'lambdas/workflow/nope.ts' })).toThrow(
      /does not exist/,
    );
    expect(
      () => new TransitionFunction(stack, 'TooSmall', { entry: 'lambdas/workflow/submit.ts', memorySize: 64 }),
    ).toThrow(/between 128 and 10240/);
  });
});

/** The keys an environment schema declares (an object, or an intersection of objects). */
function envShapeOf(schema: unknown): Record<string, unknown> {
  const def = (
    schema as {
      def?: {
        type?: string;
        shape?: Record<string, unknown>;
        left?: unknown;
        right?: unknown;
        in?: unknown;
        schema?: unknown;
      };
    }
  ).def;
  if (!def) return {};
  if (def.shape) return def.shape;
  if (def.type === 'intersection') return { ...envShapeOf(def.left), ...envShapeOf(def.right) };
  if (def.schema) return envShapeOf(def.schema);
  if (def.in) return envShapeOf(def.in);
  return {};
}
