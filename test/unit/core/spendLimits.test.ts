import { describe, expect, it } from 'vitest';
import {
  ACTIVE_LIMIT_RETRY_AFTER_SECONDS,
  effectiveLimits,
  planTake,
  secondsUntilNextUtcDay,
  TenantLimitError,
  utcDay,
} from '../../../lambdas/core/spendLimits';

const LIMITS = { maxActiveJobs: 5, maxJobsPerDay: 100 };
const NOON = new Date('2025-03-01T12:00:00.000Z');

describe('Function: effectiveLimits', () => {
  it("takes the key's own limits over the defaults, field by field", () => {
    // Act
    const both = effectiveLimits({ maxActiveJobs: 2, maxJobsPerDay: 7 }, LIMITS);
    const activeOnly = effectiveLimits({ maxActiveJobs: 2 }, LIMITS);
    const none = effectiveLimits({}, LIMITS);

    // Assert
    expect(both).toEqual({ maxActiveJobs: 2, maxJobsPerDay: 7 });
    expect(activeOnly).toEqual({ maxActiveJobs: 2, maxJobsPerDay: 100 });
    expect(none).toEqual(LIMITS);
  });
});

describe('Function: secondsUntilNextUtcDay', () => {
  it.each([
    ['2025-03-01T12:00:00.000Z', 43_200],
    ['2025-03-01T00:00:00.000Z', 86_400],
    ['2025-03-01T23:59:59.000Z', 1],
    ['2025-03-01T23:59:59.999Z', 1],
    ['2025-03-01T23:59:58.500Z', 2],
    ['2024-12-31T23:00:00.000Z', 3_600],
  ])('at %s answers %i s', (at, seconds) => {
    // Act
    const wait = secondsUntilNextUtcDay(new Date(at));

    // Assert
    expect(wait).toBe(seconds);
  });

  it('names the UTC day, whatever the local time zone', () => {
    // Act
    const day = utcDay(new Date('2025-03-01T23:30:00.000-05:00'));

    // Assert
    expect(day).toBe('2025-03-02');
  });
});

describe('Function: planTake', () => {
  it('starts a new day for a tenant without a counter', () => {
    // Act
    const plan = planTake(undefined, LIMITS, NOON);

    // Assert
    expect(plan).toEqual({ kind: 'newDay' });
  });

  it("counts on today's counter while both limits have room", () => {
    // Act
    const plan = planTake({ activeCount: 4, day: '2025-03-01', dayCount: 99 }, LIMITS, NOON);

    // Assert
    expect(plan).toEqual({ kind: 'sameDay' });
  });

  it("starts a new day over an earlier day's count, however high it was", () => {
    // Act
    const plan = planTake({ activeCount: 1, day: '2025-02-28', dayCount: 100 }, LIMITS, NOON);

    // Assert
    expect(plan).toEqual({ kind: 'newDay' });
  });

  it('refuses at the active cap with a short Retry-After, even on a new day', () => {
    // Act
    const today = planTake({ activeCount: 5, day: '2025-03-01', dayCount: 5 }, LIMITS, NOON);
    const newDay = planTake({ activeCount: 5, day: '2025-02-28', dayCount: 5 }, LIMITS, NOON);

    // Assert
    const refusal = { limit: 'maxActiveJobs', max: 5, retryAfterSeconds: ACTIVE_LIMIT_RETRY_AFTER_SECONDS };
    expect(today).toEqual({ kind: 'refused', refusal });
    expect(newDay).toEqual({ kind: 'refused', refusal });
  });

  it('refuses at the daily quota until the next UTC midnight', () => {
    // Act
    const plan = planTake({ activeCount: 0, day: '2025-03-01', dayCount: 100 }, LIMITS, NOON);

    // Assert
    expect(plan).toEqual({
      kind: 'refused',
      refusal: { limit: 'maxJobsPerDay', max: 100, retryAfterSeconds: 43_200 },
    });
  });

  it('names the daily quota when both limits are reached: waiting for a job would not help', () => {
    // Act
    const plan = planTake({ activeCount: 5, day: '2025-03-01', dayCount: 100 }, LIMITS, NOON);

    // Assert
    expect(plan).toMatchObject({ kind: 'refused', refusal: { limit: 'maxJobsPerDay' } });
  });
});

describe('Class: TenantLimitError', () => {
  it('names the limit, its value and when to retry, as a field and a rule', () => {
    // Act
    const active = new TenantLimitError({ limit: 'maxActiveJobs', max: 5, retryAfterSeconds: 30 });
    const daily = new TenantLimitError({ limit: 'maxJobsPerDay', max: 100, retryAfterSeconds: 43_200 });

    // Assert
    expect(active).toMatchObject({ name: 'TenantLimitError', code: 'tenant_limit_exceeded' });
    expect(active.message).toMatch(/active jobs limit of 5 is reached/);
    expect(active.issue).toEqual({
      field: 'maxActiveJobs',
      rule: 'at most 5 active (queued or running) jobs at a time',
    });
    expect(daily.message).toMatch(/daily jobs limit of 100 is reached: retry after 00:00 UTC \(in 43200 s\)/);
    expect(daily.issue).toEqual({ field: 'maxJobsPerDay', rule: 'at most 100 jobs per UTC day' });
  });
});
