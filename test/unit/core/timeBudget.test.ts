import { describe, expect, it } from 'vitest';
import {
  budgetProblems,
  CALL_SAFETY_MARGIN_MS,
  callTimeoutMs,
  copyTimeoutSeconds,
  MAX_COPYABLE_VIDEO_BYTES,
  MIN_POLL_WINDOW_SECONDS,
  maxWaitsSeconds,
  workflowTimeBudget,
} from '../../../lambdas/core/timeBudget';

const MIB = 1024 * 1024;

describe('Function: maxWaitsSeconds', () => {
  it('adds every backoff wait at its cap', () => {
    expect(maxWaitsSeconds({ intervalSeconds: 2, maxAttempts: 6, backoffRate: 2 })).toBe(2 + 4 + 8 + 16 + 32 + 64);
    expect(maxWaitsSeconds({ intervalSeconds: 5, maxAttempts: 5, backoffRate: 2, maxDelaySeconds: 60 })).toBe(
      5 + 10 + 20 + 40 + 60,
    );
    expect(maxWaitsSeconds({ intervalSeconds: 5, maxAttempts: 0, backoffRate: 2 })).toBe(0);
  });
});

describe('Function: copyTimeoutSeconds', () => {
  it('sizes the copy for its cap at 1 MiB/s, plus 30 s for the headers and 30 s to finish', () => {
    expect(copyTimeoutSeconds(500 * MIB)).toBe(30 + 500 + 30);
    expect(copyTimeoutSeconds(MIB + 1)).toBe(30 + 2 + 30);
  });

  it('fits Lambda’s 900 s limit up to 840 MiB', () => {
    expect(MAX_COPYABLE_VIDEO_BYTES).toBe(840 * MIB);
    expect(copyTimeoutSeconds(MAX_COPYABLE_VIDEO_BYTES)).toBe(900);
  });
});

describe('Function: workflowTimeBudget', () => {
  it('gives the default deployment (55 min, 500 MiB) these numbers', () => {
    // Act
    const budget = workflowTimeBudget();

    // Assert: each step's attempts × (function timeout + 10 s) + every backoff wait at its cap
    expect(budget.steps).toEqual({
      submit: {
        functionTimeoutSeconds: 60,
        attemptSeconds: 70,
        attempts: 6,
        waitSeconds: 135 + 126,
        worstSeconds: 681,
      },
      checkStatus: {
        functionTimeoutSeconds: 45,
        attemptSeconds: 55,
        attempts: 6,
        waitSeconds: 135 + 126,
        worstSeconds: 591,
      },
      copyToS3: {
        functionTimeoutSeconds: 560,
        attemptSeconds: 570,
        attempts: 2,
        waitSeconds: 5 + 126,
        worstSeconds: 1271,
      },
      recordFailure: {
        functionTimeoutSeconds: 15,
        attemptSeconds: 25,
        attempts: 1,
        waitSeconds: 126,
        worstSeconds: 151,
      },
      emitEvent: { attemptSeconds: 10, attempts: 4, waitSeconds: 1 + 2 + 4, worstSeconds: 47 },
      notify: { functionTimeoutSeconds: 15, attemptSeconds: 25, attempts: 1, waitSeconds: 126, worstSeconds: 151 },
    });
    expect(budget.afterDeadlineSeconds).toBe(10 + 591 + 1271 + 151 + 47 + 151);
    expect(budget.pollDeadlineSeconds).toBe(3300 - 2221);
    expect(budget.pollWindowSeconds).toBe(1079 - 681);
    expect(budgetProblems(budget)).toEqual([]);
  });

  it.each([
    [55 * 60, 500 * MIB],
    [45 * 60, 100_000_000],
    [61 * 60, 700 * MIB],
    [40 * 60, 10 * MIB],
  ])('ends the worst case inside a %i s timeout with a %i-byte cap, failure path included', (timeout, cap) => {
    // Act
    const { steps, pollDeadlineSeconds, executionTimeoutSeconds } = workflowTimeBudget({
      executionTimeoutSeconds: timeout,
      maxVideoBytes: cap,
    });

    // Assert: the last check starts by the deadline; then every retry of it, of the copy and of the failure path
    const worstEnd =
      pollDeadlineSeconds +
      steps.checkStatus.worstSeconds +
      steps.copyToS3.worstSeconds +
      steps.recordFailure.worstSeconds +
      steps.emitEvent.worstSeconds +
      steps.notify.worstSeconds;
    expect(worstEnd).toBeLessThanOrEqual(executionTimeoutSeconds);
    expect(pollDeadlineSeconds - steps.submit.worstSeconds).toBeGreaterThanOrEqual(MIN_POLL_WINDOW_SECONDS);
  });

  it('leaves the poll more time when the video cap is smaller', () => {
    expect(workflowTimeBudget({ maxVideoBytes: 100 * MIB }).pollDeadlineSeconds).toBeGreaterThan(
      workflowTimeBudget().pollDeadlineSeconds,
    );
  });

  it('refuses a timeout that cannot hold Submit’s worst case, 5 minutes of polling and the tail', () => {
    // Act
    const problems = budgetProblems(workflowTimeBudget({ executionTimeoutSeconds: 45 * 60 }));

    // Assert: 681 + 300 + 2221 = 3202 s
    expect(problems).toEqual([
      expect.stringMatching(/^timeout 2700 s cannot hold the worst case: .*3202 s, 54 minutes/),
    ]);
  });

  it('refuses a video cap whose copy would outlast Lambda’s 900 s', () => {
    expect(budgetProblems(workflowTimeBudget({ executionTimeoutSeconds: 59 * 60, maxVideoBytes: 900 * MIB }))).toEqual([
      expect.stringMatching(/^maxVideoBytes 943718400 needs a 960 s copy .* at most 880803840 bytes fit\.$/),
      expect.stringMatching(/^timeout 3540 s cannot hold the worst case/),
    ]);
  });
});

describe('Function: callTimeoutMs', () => {
  it('gives a call what remains less the safety margin, shared among the calls still to make', () => {
    expect(callTimeoutMs(30_000)).toBe(30_000 - CALL_SAFETY_MARGIN_MS);
    expect(callTimeoutMs(30_000, 2)).toBe(12_500);
    expect(callTimeoutMs(4_000)).toBeLessThan(0);
  });
});

describe('Function: workflowTimeBudget — the wait for capacity', () => {
  it('puts the wait, the Submit attempt that ends it and the work into the state machine timeout', () => {
    // Act
    const budget = workflowTimeBudget();
    const short = workflowTimeBudget({ capacityWaitSeconds: 600 });

    // Assert: 6 h + 70 s + 55 min by default; the deadlines after the admission do not move
    expect(budget.capacityWaitSeconds).toBe(21_600);
    expect(budget.stateMachineTimeoutSeconds).toBe(21_600 + 70 + 3300);
    expect(short.stateMachineTimeoutSeconds).toBe(600 + 70 + 3300);
    expect(short.pollDeadlineSeconds).toBe(budget.pollDeadlineSeconds);
  });
});
