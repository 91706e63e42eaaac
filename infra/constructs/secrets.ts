import { Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface FramebridgeSecretsProps {
  /**
   * Length of the generated webhook signing secret (alphanumeric characters).
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
  /** Signs webhook deliveries (Standard Webhooks). */
  public readonly webhookSigningSecret: Secret;

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
      description: 'Signing secret of framebridge webhooks (Standard Webhooks).',
      generateSecretString: { passwordLength: webhookSecretLength, excludePunctuation: true },
    });
    Validations.of(this.webhookSigningSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Webhook receivers verify with this secret; rotating it must be coordinated with every receiver (Standard Webhooks key rollover), so it is rotated by hand.',
    });
  }
}
