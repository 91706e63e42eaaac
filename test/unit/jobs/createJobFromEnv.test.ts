import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../lambdas/core/config';
import { FUNCTION_ENV } from '../../../lambdas/core/contract/env';
import { createJobDepsFromEnv } from '../../../lambdas/jobs/createJobFromEnv';
import { BUCKET, STATE_MACHINE_ARN } from './fakeJobsBackend';

const base = { JOBS_TABLE_NAME: 'jobs', BUCKET_NAME: BUCKET, STATE_MACHINE_ARN };

describe('Function: createJobDepsFromEnv (job-record retention)', () => {
  it.each(['createTransition', 's3Manifest'] as const)(
    '%s: keeps job records FRAMEBRIDGE_JOB_RETENTION_DAYS days, 30 by default',
    (fn) => {
      expect(createJobDepsFromEnv(parseEnv(FUNCTION_ENV[fn], base)).retentionDays).toBe(30);
      expect(
        createJobDepsFromEnv(parseEnv(FUNCTION_ENV[fn], { ...base, FRAMEBRIDGE_JOB_RETENTION_DAYS: '7' }))
          .retentionDays,
      ).toBe(7);
    },
  );

  it.each(['0', '-1', '2.5', 'a week'])('refuses %s at start-up, naming the variable', (value) => {
    expect(() => parseEnv(FUNCTION_ENV.createTransition, { ...base, FRAMEBRIDGE_JOB_RETENTION_DAYS: value })).toThrow(
      /FRAMEBRIDGE_JOB_RETENTION_DAYS: must be a positive whole number/,
    );
  });
});
