import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Created once per cold start. */
export const secrets = new SecretsManagerClient({});
