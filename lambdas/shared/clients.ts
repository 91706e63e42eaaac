import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { parseEnv } from '../core/config';

/**
 * SDK clients, created once per cold start. Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how the local stack points the
 * unchanged handlers at s3rver, dynalite and the local Step Functions endpoint.
 */
const clientEnv = parseEnv(
  z.object({
    // s3rver serves path-style only; real S3 prefers virtual-hosted style.
    FRAMEBRIDGE_S3_FORCE_PATH_STYLE: z.enum(['0', '1']).default('0'),
  }),
);

export const s3 = new S3Client({ forcePathStyle: clientEnv.FRAMEBRIDGE_S3_FORCE_PATH_STYLE === '1' });
export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
export const sfn = new SFNClient({});
export const secrets = new SecretsManagerClient({});
