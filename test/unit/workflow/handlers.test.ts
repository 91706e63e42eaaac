import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import { serveJobsTable, storedJob, TABLE_NAME } from '../fakeJobsTable';
import { lambdaContext } from '../lambdaContext';

// The handler parses its environment at module scope: stub it before importing.
vi.stubEnv('JOBS_TABLE_NAME', TABLE_NAME);
vi.stubEnv('AWS_REGION', 'us-east-1');
vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');

const ddb = mockClient(DynamoDBDocumentClient);
const { handler: recordFailureHandler } = await import('../../../lambdas/workflow/recordFailure');

const JOB_ID = '01JQ0000000000000000000077';
let rows: Map<string, Record<string, unknown>>;

beforeEach(() => {
  ddb.reset();
  rows = serveJobsTable(ddb);
});

describe('Handler: recordFailure task', () => {
  it('records the caught error on the job and returns the outcome {jobId, status, code, message, announce}', async () => {
    // Arrange
    rows.set(JOB_ID, storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'generating' }));
    const input = {
      jobId: JOB_ID,
      error: {
        Error: 'UpstreamExpiredError',
        Cause: JSON.stringify({
          errorType: 'UpstreamExpiredError',
          errorMessage: 'Segmind does not know request sg-1',
        }),
      },
    };

    // Act
    const output = await recordFailureHandler(input, lambdaContext('recordFailure'));

    // Assert
    expect(output).toEqual({
      jobId: JOB_ID,
      status: 'FAILED',
      code: 'upstream_expired',
      message: 'Segmind does not know request sg-1',
      announce: true,
    });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE_NAME,
      Key: { id: JOB_ID },
    });
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', error: { code: 'upstream_expired' } });
  });

  it.each([
    ['no jobId', { error: { Error: 'States.Timeout' } }],
    ['an error without a name', { jobId: JOB_ID, error: { Cause: 'x' } }],
    ['not an object', 'oops'],
  ])('throws ValidationError on a state input with %s, writing nothing', async (_case, input) => {
    // Act
    const run = recordFailureHandler(input, lambdaContext('recordFailure'));

    // Assert
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(run).rejects.toMatchObject({ name: 'ValidationError', message: /Invalid state input/ });
    expect(ddb.calls()).toHaveLength(0);
  });
});
