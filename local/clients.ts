import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

export function localJobsClient(endpoints: LocalEndpoints): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: endpoints.dynamoDbUrl,
      region: endpoints.region,
      credentials: { ...endpoints.credentials },
    }),
  );
}
