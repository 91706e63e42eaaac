import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tenantUploadsPrefix } from '../lambdas/core/uploads';
import type { LocalEndpoints } from './stack';

/** SDK clients pointed at a running local stack (CLI, tests, benchmarks); destroy them when done. */
export function localS3Client(endpoints: LocalEndpoints): S3Client {
  return new S3Client({
    endpoint: endpoints.s3Url,
    region: endpoints.region,
    credentials: { ...endpoints.credentials },
    // s3rver serves path-style only.
    forcePathStyle: true,
  });
}

export function localJobsClient(
  endpoints: Pick<LocalEndpoints, 'dynamoDbUrl' | 'region' | 'credentials'>,
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: endpoints.dynamoDbUrl,
      region: endpoints.region,
      credentials: { ...endpoints.credentials },
    }),
  );
}

const exampleFrames = path.resolve(import.meta.dirname, '..', 'examples', 'frames');

/**
 * Puts the bundled example frames at `uploads/<tenant id>/<prefix>/{first,last}.png`
 * in the local bucket and answers their `s3://` URIs, ready for that tenant's
 * jobs (`stack.ownerOf(apiKey)` gives a key's tenant): an API job may name only
 * its own tenant's uploads.
 */
export async function uploadExampleFrames(
  endpoints: LocalEndpoints,
  tenantId: string,
  prefix: string,
): Promise<{ first: string; last: string }> {
  const s3 = localS3Client(endpoints);
  try {
    const uri = async (name: 'first' | 'last') => {
      const key = `${tenantUploadsPrefix(tenantId)}${prefix}/${name}.png`;
      const body = await readFile(path.join(exampleFrames, `${name}.png`));
      await s3.send(new PutObjectCommand({ Bucket: endpoints.bucket, Key: key, Body: body, ContentType: 'image/png' }));
      return `s3://${endpoints.bucket}/${key}`;
    };
    return { first: await uri('first'), last: await uri('last') };
  } finally {
    s3.destroy();
  }
}
