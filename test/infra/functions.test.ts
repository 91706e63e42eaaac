import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, TransitionFunction } from '../../infra/constructs/transitionFunction';
import { HANDLER_METADATA_KEY } from '../../infra/handlerMetadata';
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
      'lambdas/jobs/cancelRequest.ts',
      'lambdas/jobs/createTransition.ts',
      'lambdas/uploads/createUpload.ts',
      'lambdas/openapi/getOpenApi.ts',
      'lambdas/jobs/getResult.ts',
      'lambdas/jobs/getStatus.ts',
      'lambdas/jobs/listRequests.ts',
      'lambdas/intake/s3Manifest.ts',
      'lambdas/workflow/checkStatus.ts',
      'lambdas/workflow/copyToS3.ts',
      'lambdas/webhooks/deliverWebhook.ts',
      'lambdas/webhooks/notify.ts',
      'lambdas/workflow/recordFailure.ts',
      'lambdas/webhooks/recordWebhookFailure.ts',
      'lambdas/workflow/submit.ts',
      'lambdas/intake/writeOutbox.ts',
    ]);
    for (const handler of handlers) {
      expect(existsSync(join(repoRoot, String(handler))), String(handler)).toBe(true);
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
