import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import '../core/zodMini';
import { logger } from '../adapters/logger';
import { secrets } from '../adapters/secretsClient';
import { errorMessage } from '../core/errors';
import { isStandardSigningSecret, newStandardSigningSecret } from '../core/webhook';

const propertiesSchema = z.object({ SecretId: z.string().check(z.minLength(1)) });

export interface InitWebhookSecretDeps {
  readSecret: (secretId: string) => Promise<string | undefined>;
  writeSecret: (secretId: string, value: string) => Promise<void>;
  /** Tells CloudFormation how the resource went (a PUT to the presigned ResponseURL). */
  respond: (url: string, body: string) => Promise<void>;
}

/**
 * Gives the webhook signing secret the Standard Webhooks form (`whsec_` + base64
 * of 32 random bytes) once, when the stack creates it: Secrets Manager can only
 * generate plain passwords. A secret already in that form (set by an operator,
 * or on an update) is left alone, so receivers never see it change underfoot.
 */
export async function initWebhookSecret(
  event: CloudFormationCustomResourceEvent,
  deps: InitWebhookSecretDeps,
): Promise<'SUCCESS' | 'FAILED'> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason: string | undefined;
  try {
    if (event.RequestType !== 'Delete') {
      const { SecretId } = propertiesSchema.parse(event.ResourceProperties);
      const current = await deps.readSecret(SecretId);
      if (!current || !isStandardSigningSecret(current)) await deps.writeSecret(SecretId, newStandardSigningSecret());
    }
  } catch (error) {
    status = 'FAILED';
    reason = errorMessage(error);
  }
  const physicalId = event.RequestType === 'Create' ? `webhook-secret-${event.RequestId}` : event.PhysicalResourceId;
  await deps.respond(
    event.ResponseURL,
    JSON.stringify({
      Status: status,
      Reason: reason ?? 'See the function log',
      PhysicalResourceId: physicalId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    }),
  );
  return status;
}

const deps: InitWebhookSecretDeps = {
  readSecret: async (secretId) => (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString,
  writeSecret: async (secretId, value) => {
    await secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  },
  respond: async (url, body) => {
    // The presigned URL signs an empty content-type: send none.
    const response = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' } });
    if (!response.ok) throw new Error(`CloudFormation refused the response: HTTP ${response.status}`);
  },
};

/** CloudFormation custom resource handler (no middy: CloudFormation needs an answer on every path). */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  const status = await initWebhookSecret(event, deps);
  logger.info('webhook signing secret initialised', { requestType: event.RequestType, status });
}
