import { CustomResource, Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
import { TransitionFunction } from './transitionFunction';

export interface FramebridgeSecretsProps {
  /**
   * Length of the password Secrets Manager generates first (alphanumeric); at
   * creation it is replaced by the Standard Webhooks form, `whsec_` + base64 of
   * 32 random bytes. Changing it regenerates the secret, which is then given
   * that form again.
   * @default 64
   */
  readonly webhookSecretLength?: number;
}

/**
 * The Segmind API key (its value is set by the operator after deploy) and the
 * webhook signing secret (generated).
 */
export class FramebridgeSecrets extends Construct {
  /**
   * Holds a random placeholder until the operator stores the key:
   * `aws secretsmanager put-secret-value --secret-id <SegmindApiKeySecretArn> --secret-string <key>`.
   */
  public readonly segmindApiKey: Secret;
  /** Signs webhook deliveries (Standard Webhooks); `whsec_` + base64 once the stack is created. */
  public readonly webhookSigningSecret: Secret;
  /** The custom resource that gives the signing secret its `whsec_` form at creation. */
  public readonly webhookSecretInit: CustomResource;

  constructor(scope: Construct, id: string, props: FramebridgeSecretsProps = {}) {
    super(scope, id);
    const webhookSecretLength = props.webhookSecretLength ?? 64;
    if (!Number.isInteger(webhookSecretLength) || webhookSecretLength < 32 || webhookSecretLength > 4096) {
      throw new Error(
        `FramebridgeSecrets: webhookSecretLength must be an integer between 32 and 4096 characters, got ${webhookSecretLength}.`,
      );
    }

    this.segmindApiKey = new Secret(this, 'SegmindApiKey', {
      description:
        'Segmind API key used by framebridge. Set it after deploy: aws secretsmanager put-secret-value --secret-id <arn> --secret-string <key>',
    });
    Validations.of(this.segmindApiKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Third-party API key issued by Segmind: it can only be rotated in the Segmind console, then stored here by the operator; no rotation Lambda can mint one.',
    });

    this.webhookSigningSecret = new Secret(this, 'WebhookSigningSecret', {
      description: 'Signing secret of framebridge webhooks (Standard Webhooks: whsec_ + base64).',
      generateSecretString: { passwordLength: webhookSecretLength, excludePunctuation: true },
    });
    this.webhookSecretInit = standardFormInit(this, this.webhookSigningSecret, webhookSecretLength);
    Validations.of(this.webhookSigningSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Webhook receivers verify with this secret; rotating it must be coordinated with every receiver (Standard Webhooks key rollover), so it is rotated by hand.',
    });
  }
}

/**
 * Secrets Manager generates plain passwords only; this custom resource rewrites
 * the new secret as `whsec_` + base64 of 32 random bytes, the form receivers
 * verify with, and leaves a secret already in that form alone.
 */
function standardFormInit(scope: Construct, secret: Secret, generatedLength: number): CustomResource {
  const fn = new TransitionFunction(scope, 'WebhookSecretInitFunction', {
    entry: FUNCTION_ENTRIES.initWebhookSecret,
    description: 'Gives the webhook signing secret the Standard Webhooks form (whsec_…) when the stack creates it',
    timeout: Duration.seconds(30),
  });
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      resources: [secret.secretArn],
    }),
  );
  return new CustomResource(scope, 'WebhookSecretStandardForm', {
    serviceToken: fn.functionArn,
    resourceType: 'Custom::WebhookSigningSecret',
    // A change of the generation settings regenerates the secret: the resource then runs again.
    properties: { SecretId: secret.secretArn, GeneratedLength: String(generatedLength) },
  });
}
