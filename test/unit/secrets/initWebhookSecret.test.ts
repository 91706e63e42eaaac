import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { isStandardSigningSecret } from '../../../lambdas/core/webhook';
import { type InitWebhookSecretDeps, initWebhookSecret } from '../../../lambdas/secrets/initWebhookSecret';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:WebhookSigningSecret-AbCdEf';

function cfnEvent(requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown> = {}) {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:init',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/presigned',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/framebridge/1',
    RequestId: 'req-1',
    LogicalResourceId: 'WebhookSecretStandardForm',
    ResourceType: 'Custom::WebhookSigningSecret',
    ResourceProperties: { ServiceToken: 'x', SecretId: SECRET_ARN, ...properties },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'webhook-secret-req-0', OldResourceProperties: {} }),
  } as unknown as CloudFormationCustomResourceEvent;
}

function fakeSecrets(initial: string | undefined) {
  const state = { value: initial, writes: [] as string[], responses: [] as Record<string, unknown>[] };
  const deps: InitWebhookSecretDeps = {
    readSecret: async () => state.value,
    writeSecret: async (_id, value) => {
      state.writes.push(value);
      state.value = value;
    },
    respond: async (_url, body) => {
      state.responses.push(JSON.parse(body));
    },
  };
  return { state, deps };
}

describe('Function: initWebhookSecret', () => {
  it('rewrites the generated password as whsec_ + base64 that the Standard Webhooks library accepts', async () => {
    // Arrange
    const { state, deps } = fakeSecrets('Kq3hGeneratedAlphanumericPassword64chars000000000000000000000000');

    // Act
    const status = await initWebhookSecret(cfnEvent('Create'), deps);

    // Assert
    expect(status).toBe('SUCCESS');
    expect(state.writes).toHaveLength(1);
    expect(state.value).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(String(state.value).slice(6), 'base64')).toHaveLength(32);
    expect(() => new Webhook(String(state.value))).not.toThrow();
    expect(state.responses).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'webhook-secret-req-1', RequestId: 'req-1' }),
    ]);
  });

  it('leaves a secret already in the whsec_ form alone, so receivers keep verifying', async () => {
    // Arrange
    const existing = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const { state, deps } = fakeSecrets(existing);

    // Act
    await initWebhookSecret(cfnEvent('Update'), deps);

    // Assert
    expect(state.writes).toEqual([]);
    expect(state.responses[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'webhook-secret-req-0' });
  });

  it('touches nothing on delete and still answers CloudFormation', async () => {
    const { state, deps } = fakeSecrets('plain');
    await initWebhookSecret(cfnEvent('Delete'), deps);
    expect(state.writes).toEqual([]);
    expect(state.responses[0]).toMatchObject({ Status: 'SUCCESS' });
  });

  it('answers FAILED with the reason when the secret cannot be written', async () => {
    // Arrange
    const { state, deps } = fakeSecrets('plain');
    deps.writeSecret = async () => {
      throw new Error('AccessDenied');
    };

    // Act
    const status = await initWebhookSecret(cfnEvent('Create'), deps);

    // Assert
    expect(status).toBe('FAILED');
    expect(state.responses[0]).toMatchObject({ Status: 'FAILED', Reason: 'AccessDenied' });
  });

  it('answers FAILED when the resource names no secret', async () => {
    const { state, deps } = fakeSecrets('plain');
    await initWebhookSecret(cfnEvent('Create', { SecretId: '' }), deps);
    expect(state.responses[0]).toMatchObject({ Status: 'FAILED' });
  });
});

describe('Core: isStandardSigningSecret', () => {
  it.each([
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', true],
    ['whsec_short==', false],
    ['whsec_not base64!!!!!!!!!!!!!!!!!!!!!!!!!!', false],
    ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', false],
  ])('%s → %s', (secret, expected) => {
    expect(isStandardSigningSecret(secret)).toBe(expected);
  });
});
