import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type JobStore, putNewJob, recordFailed } from '../../../lambdas/adapters/jobStore';
import { logger } from '../../../lambdas/adapters/logger';
import { storedJob } from '../fakeJobsTable';
import { startDynaliteJobsStore } from './dynaliteJobsStore';

/* The 'job failed' line metric filters count per class: written once, by the write that ends the job. */

let store: JobStore;

let closeStore: () => Promise<void>;

beforeAll(async () => {
  ({ store, close: closeStore } = await startDynaliteJobsStore());
});

afterAll(async () => {
  await closeStore?.();
});

describe('Function: recordFailed', () => {
  it.each([
    ['internal_error', 'system'],
    ['upstream_failed', 'upstream'],
    ['upstream_bad_request', 'user'],
  ])('logs "job failed" with code %s as a %s failure, once, when it ends the job', async (code, failureClass) => {
    // Arrange
    const id = `01JQ00000000000000000${code.length.toString().padStart(5, '0')}`;
    await putNewJob(store, storedJob(id));
    const info = vi.spyOn(logger, 'info');

    // Act
    const first = await recordFailed(store, id, { code, message: 'why' });
    const second = await recordFailed(store, id, { code: 'internal_error', message: 'later' });

    // Assert
    expect([first, second]).toEqual([true, false]);
    const lines = info.mock.calls.filter(([message]) => message === 'job failed');
    expect(lines).toEqual([['job failed', { jobId: id, code, failureClass }]]);
    info.mockRestore();
  });
});
