import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFramebridgeApp } from '../../infra/framebridgeApp';
import { acknowledgements, BUILD_TIMEOUT_MS, objectWildcardAcknowledgements } from './templateHelpers';

let app: App;

beforeAll(() => {
  app = createFramebridgeApp({ skipBundling: true, nag: false }).app;
}, BUILD_TIMEOUT_MS);

describe('Infra: cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions finding', () => {
    // Act
    const report = new AwsSolutionsChecks(app).validateScope(app);

    // Assert
    const findings = report.violations.map(
      (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('does find violations in an unhardened bucket (the check is live)', () => {
    // Arrange
    const probe = new App();
    new Bucket(new Stack(probe, 'Probe'), 'Plain');

    // Act
    const report = new AwsSolutionsChecks(probe).validateScope(probe);

    // Assert
    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
    );
  });

  it('acknowledges findings one by one, below the stack, each with a reason', () => {
    const acknowledged = acknowledgements(app);

    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledged) {
      expect(path.split('/').length, `${id} at ${path}`).toBeGreaterThanOrEqual(3);
      expect(reason.length, `${id} at ${path}`).toBeGreaterThanOrEqual(40);
      // Wildcard and managed-policy rules are acknowledged per finding, never wholesale.
      expect(id, path).not.toMatch(/^AwsSolutions-IAM[45]$/);
    }
  });

  it('acknowledges wildcard resources on objects only for the prefixes each function needs', () => {
    // The frame grants (uploads/) are checked in frameGrants.test.ts; the v1 function has the create function's.
    const frameReaders =
      /\/(CreateTransitionFunctionRole|SubmitFunctionRole) |\/SyncTransitionFunctionRole .*\/uploads\//;
    const objectWildcards = objectWildcardAcknowledgements(app).filter((ack) => !frameReaders.test(ack));

    expect(objectWildcards).toEqual([
      'Framebridge/Default/Api/CreateUploadFunctionRole AwsSolutions-IAM5[Resource::<bucket>/uploads/*]',
      'Framebridge/Default/Api/GetResultFunctionRole AwsSolutions-IAM5[Resource::<bucket>/jobs/*]',
      'Framebridge/Default/Api/SyncTransitionFunctionRole AwsSolutions-IAM5[Resource::<bucket>/jobs/*]',
      'Framebridge/Default/Intake/ManifestFunctionRole AwsSolutions-IAM5[Resource::<bucket>/inbox/*]',
      'Framebridge/Default/Intake/ManifestFunctionRole AwsSolutions-IAM5[Resource::<bucket>/outbox/*]',
      'Framebridge/Default/Intake/OutboxFunctionRole AwsSolutions-IAM5[Resource::<bucket>/jobs/*]',
      'Framebridge/Default/Intake/OutboxFunctionRole AwsSolutions-IAM5[Resource::<bucket>/outbox/*]',
      'Framebridge/Default/Workflow/CopyToS3FunctionRole AwsSolutions-IAM5[Resource::<bucket>/jobs/*]',
      'Framebridge/Default/Workflow/WebhookDelivery/DeliverWebhookFunctionRole AwsSolutions-IAM5[Resource::<bucket>/jobs/*/video.mp4]',
    ]);
  });
});
