import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../lambdas/adapters/http';
import { ownedJob } from '../../../lambdas/jobs/ownedJob';
import { jobStore, OTHER_OWNER, OWNER, storedJob } from '../fakeJobsTable';
import { fakeJobsBackend } from './fakeJobsBackend';

const { putRow } = fakeJobsBackend();

const JOB_ID = '01JQ0000000000000000000042';

describe('Function: ownedJob', () => {
  it("answers the owner's job as stored", async () => {
    // Arrange
    const job = storedJob(JOB_ID, {}, { status: 'PROCESSING', phase: 'generating' });
    putRow(job);

    // Act
    const found = await ownedJob(jobStore, JOB_ID, OWNER);

    // Assert
    expect(found).toEqual(job);
  });

  it("refuses another owner's job with the same 404 as an unknown id", async () => {
    // Arrange
    putRow(storedJob(JOB_ID));

    // Act
    const otherOwner = ownedJob(jobStore, JOB_ID, OTHER_OWNER);
    const unknown = ownedJob(jobStore, '01JQ00000000000000000000ZZ', OWNER);

    // Assert
    await expect(otherOwner).rejects.toBeInstanceOf(HttpError);
    await expect(otherOwner).rejects.toMatchObject({
      statusCode: 404,
      code: 'not_found',
      message: `No request with id ${JOB_ID}`,
    });
    await expect(unknown).rejects.toMatchObject({
      statusCode: 404,
      code: 'not_found',
      message: 'No request with id 01JQ00000000000000000000ZZ',
    });
  });
});
