import { S3Client } from '@aws-sdk/client-s3';
import {
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import type { Job } from '../../../lambdas/core/job';
import { serveJobsTable, TABLE_NAME } from '../fakeJobsTable';
import { serveOwnerIndex } from '../fakeOwnerIndex';
import { stubLambdaEnv } from '../lambdaContext';
import { serveBucket } from './fakeBucket';

export const BUCKET = 'framebridge-bucket-test';
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:framebridge-transition';
export const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:framebridge-transition';

/** The environment of the jobs handlers (each reads its part): call before importing them. */
export function stubJobsEnv(): void {
  stubLambdaEnv({ JOBS_TABLE_NAME: TABLE_NAME, BUCKET_NAME: BUCKET, STATE_MACHINE_ARN });
}

/**
 * Mocks the SDK clients the jobs feature sends through and, before each test,
 * resets them and serves: the jobs table (`rows`) and its owner index, the
 * bucket (`objects`), and a transition state machine whose executions start
 * (named as asked) and stop.
 */
export function fakeJobsBackend() {
  const backend = {
    ddb: mockClient(DynamoDBDocumentClient),
    sfnMock: mockClient(SFNClient),
    s3Mock: mockClient(S3Client),
    rows: new Map<string, Record<string, unknown>>(),
    objects: new Map<string, Uint8Array>(),
    putRow: (job: Job) => backend.rows.set(job.id, structuredClone(job)),
  };
  beforeEach(() => {
    const { ddb, sfnMock, s3Mock, rows, objects } = backend;
    ddb.reset();
    sfnMock.reset();
    s3Mock.reset();
    rows.clear();
    objects.clear();
    serveJobsTable(ddb, rows);
    serveOwnerIndex(ddb, rows);
    serveBucket(s3Mock, objects);
    sfnMock.on(StartExecutionCommand).callsFake(async (input: StartExecutionCommandInput) => ({
      executionArn: `${EXECUTION_PREFIX}:${input.name}`,
      startDate: new Date(),
    }));
    sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });
  });
  return backend;
}
