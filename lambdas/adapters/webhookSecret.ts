import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { standardSigningSecret } from '../core/webhook';
import { secrets } from './secretsClient';

let cached: Promise<string> | undefined;

/**
 * The webhook signing secret, in the `whsec_` form: from
 * `FRAMEBRIDGE_WEBHOOK_SECRET` locally, from Secrets Manager (`WEBHOOK_SECRET_ARN`)
 * in AWS, read once per cold start. A failed read is not cached, so the next
 * attempt reads again.
 */
export function webhookSigningSecret(env: {
  FRAMEBRIDGE_WEBHOOK_SECRET?: string;
  WEBHOOK_SECRET_ARN?: string;
}): Promise<string> {
  if (env.FRAMEBRIDGE_WEBHOOK_SECRET) return Promise.resolve(standardSigningSecret(env.FRAMEBRIDGE_WEBHOOK_SECRET));
  const secretId = env.WEBHOOK_SECRET_ARN;
  if (!secretId) return Promise.reject(new Error('No webhook signing secret configured'));
  cached ??= secrets.send(new GetSecretValueCommand({ SecretId: secretId })).then((answer) => {
    if (!answer.SecretString?.trim()) throw new Error('The webhook signing secret is empty');
    return standardSigningSecret(answer.SecretString);
  });
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
