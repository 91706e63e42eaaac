import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secrets } from './secretsClient';

let cached: Promise<string> | undefined;

/**
 * The Segmind key: from the environment locally, from Secrets Manager in AWS,
 * read once per cold start. A failed read is not cached, so the next call retries.
 */
export function segmindApiKey(env: { SEGMIND_API_KEY?: string; SEGMIND_API_KEY_SECRET_ARN?: string }): Promise<string> {
  if (env.SEGMIND_API_KEY) return Promise.resolve(env.SEGMIND_API_KEY);
  const secretId = env.SEGMIND_API_KEY_SECRET_ARN;
  if (!secretId) return Promise.reject(new Error('No Segmind API key configured'));
  cached ??= secrets.send(new GetSecretValueCommand({ SecretId: secretId })).then((answer) => {
    const key = answer.SecretString?.trim();
    if (!key) throw new Error('The Segmind API key secret is empty: put the key in it (see README, Deploy)');
    return key;
  });
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
