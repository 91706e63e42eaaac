import * as z from 'zod/mini';
import './zodMini';
import type { FieldIssue } from './errors';
import type { TenantLimits } from './tenants';

/*
 * Per-tenant spend limits: a cap on active (not yet finished) jobs and a quota
 * of jobs per UTC day. The decisions are here; the counter they are kept in is
 * `adapters/tenantUsage.ts`.
 */

/** The limits a tenant is held to: every field set. */
export interface SpendLimits {
  maxActiveJobs: number;
  maxJobsPerDay: number;
}

export type LimitName = keyof SpendLimits;

/** The error code of every spend-limit refusal. */
export const TENANT_LIMIT_CODE = 'tenant_limit_exceeded';

/** Seconds a refusal for the active-jobs cap asks the client to wait: a job typically runs one or two minutes. */
export const ACTIVE_LIMIT_RETRY_AFTER_SECONDS = 30;

/** A key's own limits win; the deployment's defaults fill in the rest. */
export function effectiveLimits(own: TenantLimits, defaults: SpendLimits): SpendLimits {
  return {
    maxActiveJobs: own.maxActiveJobs ?? defaults.maxActiveJobs,
    maxJobsPerDay: own.maxJobsPerDay ?? defaults.maxJobsPerDay,
  };
}

/** The UTC day a moment falls on, `YYYY-MM-DD`: the daily quota's period. */
export const utcDay = (now: Date): string => now.toISOString().slice(0, 10);

/** Whole seconds from `now` until the next UTC midnight, at least 1. */
export function secondsUntilNextUtcDay(now: Date): number {
  const nextMidnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((nextMidnight - now.getTime()) / 1000));
}

/** A tenant's counter as stored: jobs holding an active slot, and jobs created on `day`. */
export const tenantUsageSchema = z.object({
  activeCount: z.number().check(z.int()),
  day: z.string(),
  dayCount: z.number().check(z.int()),
});
export type TenantUsage = z.infer<typeof tenantUsageSchema>;

export interface LimitRefusal {
  limit: LimitName;
  max: number;
  retryAfterSeconds: number;
}

/**
 * How to take a slot for a new job, given the counter as last read:
 * `sameDay` increments today's count, `newDay` starts the day's count at 1
 * (no counter yet, or one left from an earlier day). A tenant over both limits
 * is told about the daily quota: waiting for a job to finish would not help.
 */
export type TakePlan = { kind: 'sameDay' } | { kind: 'newDay' } | { kind: 'refused'; refusal: LimitRefusal };

export function planTake(usage: TenantUsage | undefined, limits: SpendLimits, now: Date): TakePlan {
  const today = utcDay(now);
  const countedToday = usage?.day === today ? usage.dayCount : 0;
  if (countedToday >= limits.maxJobsPerDay) {
    return {
      kind: 'refused',
      refusal: { limit: 'maxJobsPerDay', max: limits.maxJobsPerDay, retryAfterSeconds: secondsUntilNextUtcDay(now) },
    };
  }
  if ((usage?.activeCount ?? 0) >= limits.maxActiveJobs) {
    return {
      kind: 'refused',
      refusal: {
        limit: 'maxActiveJobs',
        max: limits.maxActiveJobs,
        retryAfterSeconds: ACTIVE_LIMIT_RETRY_AFTER_SECONDS,
      },
    };
  }
  return usage?.day === today ? { kind: 'sameDay' } : { kind: 'newDay' };
}

const ruleOf: Record<LimitName, (max: number) => string> = {
  maxActiveJobs: (max) => `at most ${max} active (queued or running) jobs at a time`,
  maxJobsPerDay: (max) => `at most ${max} jobs per UTC day`,
};

function refusalMessage(refusal: LimitRefusal): string {
  return refusal.limit === 'maxActiveJobs'
    ? `The active jobs limit of ${refusal.max} is reached: retry once one of your jobs has finished (in about ${refusal.retryAfterSeconds} s)`
    : `The daily jobs limit of ${refusal.max} is reached: retry after 00:00 UTC (in ${refusal.retryAfterSeconds} s)`;
}

/** A new job would break one of its tenant's spend limits: nothing was written or started (HTTP 429). */
export class TenantLimitError extends Error {
  override readonly name = 'TenantLimitError';
  readonly code = TENANT_LIMIT_CODE;
  constructor(readonly refusal: LimitRefusal) {
    super(refusalMessage(refusal));
  }
  /** The limit and its rule, as every refusal names a field and a rule. */
  get issue(): FieldIssue {
    return { field: this.refusal.limit, rule: ruleOf[this.refusal.limit](this.refusal.max) };
  }
}
