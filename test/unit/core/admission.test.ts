import { describe, expect, it } from 'vitest';
import {
  type AdmissionState,
  admit,
  burstOf,
  freeSlots,
  initialAdmission,
  type RequestKind,
  renewLease,
  settle,
  slotRetryAt,
  THROTTLE_SLOWDOWN_MS,
  takeToken,
  throttled,
  type UpstreamBudget,
} from '../../../lambdas/core/admission';

const NOW = Date.parse('2025-03-01T09:00:00.000Z');
const MINUTE = 60_000;
/** 120 a minute: a bucket of 2, refilled at 118 a minute. */
const budget: UpstreamBudget = { requestsPerMinute: 120, concurrency: 2, leaseSeconds: 300 };
const perSecondAtFullRate = (120 - 2) / 60;

const withTokens = (tokens: number, slots: Record<string, number> = {}): AdmissionState =>
  Object.assign(initialAdmission(budget, NOW), { tokens, slots });

/** Takes `kind` tokens as fast as the bucket allows for `minutes`: the times each take was granted. */
function takeAtFullSpeed(ofBudget: UpstreamBudget, kind: RequestKind, minutes: number): number[] {
  const granted: number[] = [];
  let state = initialAdmission(ofBudget, NOW);
  let now = NOW;
  while (now < NOW + minutes * MINUTE) {
    state = settle(state, ofBudget, now);
    const answer = takeToken(state, kind, ofBudget);
    if (answer.ok) {
      state = answer.state;
      granted.push(now);
    } else {
      expect(answer.retryAt).toBeGreaterThan(now);
      now = answer.retryAt;
    }
  }
  return granted;
}

/** The most takes any window [t, t + 60 s) starting at a take holds. */
const busiestMinute = (times: number[]) =>
  Math.max(...times.map((start, index) => times.slice(index).filter((time) => time < start + MINUTE).length));

describe('Function: burstOf', () => {
  it.each([
    [2, 2],
    [60, 2],
    [121, 3],
    [600, 10],
    [1000, 17],
  ])('sizes the bucket of %i requests a minute at %i', (requestsPerMinute, burst) => {
    // Act
    const size = burstOf({ ...budget, requestsPerMinute });

    // Assert
    expect(size).toBe(burst);
  });
});

describe('Function: takeToken at full speed', () => {
  it.each([7, 60, 120, 1000])('never lets a sliding minute exceed %i requests, and uses nearly all of them', (rpm) => {
    // Arrange
    const ofBudget = { ...budget, requestsPerMinute: rpm };

    // Act
    const granted = takeAtFullSpeed(ofBudget, 'result', 4);

    // Assert
    const most = busiestMinute(granted);
    expect(most).toBeLessThanOrEqual(rpm);
    // Retry times round up to the ms: a little of the budget goes unused, never more than 2 %.
    expect(most).toBeGreaterThanOrEqual(Math.floor(rpm * 0.98));
    expect(granted.length).toBeGreaterThanOrEqual(4 * rpm - 4 * burstOf(ofBudget));
  });

  it('spends the whole burst at once, then one token at a time as it refills', () => {
    // Act
    const granted = takeAtFullSpeed(budget, 'result', 1);

    // Assert: 2 at the start, the 3rd only once a token has grown back (60/118 s later), the 4th as long again after
    expect(granted.slice(0, 2)).toEqual(Array(2).fill(NOW));
    expect(granted[2]).toBe(NOW + Math.ceil(60_000 / 118));
    expect(granted[3]).toBe(NOW + Math.ceil((2 * 60_000) / 118));
  });
});

describe('Function: settle', () => {
  it('refills at the budget less the bucket, capped at the bucket however long it was idle', () => {
    // Act
    const second = settle(withTokens(0), budget, NOW + 1_000);
    const hour = settle(withTokens(0), budget, NOW + 60 * MINUTE);

    // Assert
    expect(second).toMatchObject({ tokens: expect.closeTo(perSecondAtFullRate, 9), refilledAt: NOW + 1_000 });
    expect(hour.tokens).toBe(2);
  });

  it('drops the leases that have ended and keeps the others', () => {
    // Arrange
    const state = withTokens(2, { ended: NOW - 1, endsNow: NOW, running: NOW + 1 });

    // Act
    const settled = settle(state, budget, NOW);

    // Assert
    expect(settled.slots).toEqual({ running: NOW + 1 });
    expect(freeSlots(settled, budget)).toBe(1);
  });
});

describe('Function: takeToken reserve', () => {
  const justAboveOne = withTokens(1.2);

  it.each([
    ['result', true],
    ['overduePoll', true],
    ['poll', false],
    ['submit', false],
  ] as const)('with barely more than one token left, a %s is granted: %s', (kind, granted) => {
    // Act
    const answer = takeToken(justAboveOne, kind, budget);

    // Assert: the last token is kept for finished jobs
    expect(answer.ok).toBe(granted);
    if (answer.ok) expect(answer.state.tokens).toBeCloseTo(0.2, 9);
  });

  it('answers a retry time in the future, later for a submit than for a result read, when the reserve is there', () => {
    // Arrange
    const halfEmpty = withTokens(0.5);

    // Act
    const result = takeToken(halfEmpty, 'result', budget);
    const submit = takeToken(halfEmpty, 'submit', budget);

    // Assert
    if (result.ok || submit.ok) throw new Error('expected refusals');
    expect(result.retryAt).toBeGreaterThan(NOW);
    expect(submit.retryAt).toBeGreaterThan(result.retryAt);
    expect(submit.retryAt).toBeLessThan(NOW + MINUTE);
    expect(takeToken(settle(halfEmpty, budget, result.retryAt), 'result', budget).ok).toBe(true);
    expect(takeToken(settle(halfEmpty, budget, submit.retryAt), 'submit', budget).ok).toBe(true);
    expect(takeToken(settle(halfEmpty, budget, submit.retryAt - 20), 'submit', budget).ok).toBe(false);
  });

  it("puts a refused poll off by its job's fair share of the rate, but never past the bucket filling up", () => {
    // Arrange: 10 jobs in flight at 23 a minute (a bucket of 2, refilled at 21 a minute): a share is 26 s each
    const tight = { ...budget, requestsPerMinute: 23 };
    const slots = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`job-${i}`, NOW + MINUTE]));
    const empty = { ...initialAdmission(tight, NOW), tokens: 0, slots };
    const fullAgain = NOW + Math.ceil((2 * 60_000) / 21);

    // Act
    const poll = takeToken(empty, 'poll', tight);
    const overdue = takeToken(empty, 'overduePoll', tight);
    const result = takeToken(empty, 'result', tight);
    const lone = takeToken({ ...empty, slots: { 'job-0': NOW + MINUTE } }, 'poll', tight);

    // Assert: ten pollers wait until the bucket is full (later, its tokens would be lost) …
    if (poll.ok || overdue.ok || result.ok || lone.ok) throw new Error('expected refusals');
    expect(poll.retryAt).toBe(fullAgain);
    expect(overdue.retryAt).toBe(fullAgain);
    // … a result read only for its one token, and a lone poller only for its own 1.5.
    expect(result.retryAt).toBe(NOW + Math.ceil(60_000 / 21));
    expect(lone.retryAt).toBe(NOW + Math.ceil((1.5 * 60_000) / 21));
    // With a bucket that fills within a second, the share changes nothing.
    const roomySlots = { ...withTokens(0, slots) };
    const roomyPoll = takeToken(roomySlots, 'poll', budget);
    expect(roomyPoll).toEqual({ ok: false, retryAt: NOW + Math.ceil((2 * 60_000) / 118) });
  });

  it.each([2, 20, 60])(
    'still orders finished jobs, then polls, then submits in the smallest bucket (%i a minute)',
    (rpm) => {
      // Arrange: a bucket of two, the least there is
      const small = { ...budget, requestsPerMinute: rpm };
      const granted = (tokens: number) =>
        (['result', 'overduePoll', 'poll', 'submit'] as const).filter(
          (kind) => takeToken({ ...initialAdmission(small, NOW), tokens }, kind, small).ok,
        );

      // Act
      const full = initialAdmission(small, NOW).tokens;

      // Assert: a token for finished jobs, half of one more for polls, the whole bucket for a submit
      expect(full).toBe(2);
      expect(granted(0.99)).toEqual([]);
      expect(granted(1)).toEqual(['result', 'overduePoll']);
      expect(granted(1.49)).toEqual(['result', 'overduePoll']);
      expect(granted(1.5)).toEqual(['result', 'overduePoll', 'poll']);
      expect(granted(1.99)).toEqual(['result', 'overduePoll', 'poll']);
      expect(granted(2)).toEqual(['result', 'overduePoll', 'poll', 'submit']);
    },
  );
});

describe('Function: throttled', () => {
  it('empties the bucket and halves the refill for THROTTLE_SLOWDOWN_MS', () => {
    // Act
    const slowed = throttled(withTokens(2), NOW);

    // Assert
    expect(slowed).toMatchObject({ tokens: 0, rateFactor: 0.5, slowUntil: NOW + THROTTLE_SLOWDOWN_MS });
    expect(settle(slowed, budget, NOW + 1_000).tokens).toBeCloseTo(perSecondAtFullRate / 2, 9);
  });

  it('halves again on each 429, down to an eighth', () => {
    // Act
    let state = withTokens(2);
    const factors: number[] = [];
    for (let count = 0; count < 5; count++) {
      state = throttled(state, NOW);
      factors.push(state.rateFactor);
    }

    // Assert
    expect(factors).toEqual([0.5, 0.25, 0.125, 0.125, 0.125]);
  });

  it('recovers the full rate once the slowdown is over', () => {
    // Arrange
    const slowed = throttled(withTokens(2), NOW);
    const stillSlow = settle(slowed, budget, NOW + THROTTLE_SLOWDOWN_MS - 1);
    const recovered = settle(slowed, budget, NOW + THROTTLE_SLOWDOWN_MS);

    // Act
    const afterRecovery = settle({ ...recovered, tokens: 0 }, budget, recovered.refilledAt + 1_000);

    // Assert
    expect(stillSlow.rateFactor).toBe(0.5);
    expect(recovered.rateFactor).toBe(1);
    expect(afterRecovery.tokens).toBeCloseTo(perSecondAtFullRate, 9);
  });
});

describe('Function: admit', () => {
  it('refuses for concurrency when every slot is leased', () => {
    // Act
    const answer = admit(withTokens(2, { a: NOW + 1_000, b: NOW + 1_000 }), 'c', 0, budget, NOW);

    // Assert
    expect(answer).toEqual({ admitted: false, reason: 'concurrency' });
  });

  it('leaves a free slot to the jobs that wait ahead', () => {
    // Act: one slot of two free
    const state = withTokens(2, { a: NOW + 1_000 });
    const behindOne = admit(state, 'c', 1, budget, NOW);
    const first = admit(state, 'c', 0, budget, NOW);

    // Assert
    expect(behindOne).toEqual({ admitted: false, reason: 'queue' });
    expect(first.admitted).toBe(true);
  });

  it('refuses for rate, with a retry time in the future, when the bucket lacks the submit’s token', () => {
    // Act
    const answer = admit(withTokens(0.5), 'c', 0, budget, NOW);

    // Assert
    expect(answer).toMatchObject({ admitted: false, reason: 'rate' });
    if (answer.admitted) throw new Error('expected a refusal');
    expect(answer.retryAt).toBeGreaterThan(NOW);
    expect(answer.retryAt).toBeLessThan(NOW + MINUTE);
  });

  it('admits with a slot leased for leaseSeconds and one token spent', () => {
    // Act
    const answer = admit(withTokens(2, { a: NOW + 1_000 }), 'c', 0, budget, NOW);

    // Assert
    if (!answer.admitted) throw new Error('expected an admission');
    expect(answer.state.slots).toEqual({ a: NOW + 1_000, c: NOW + 300_000 });
    expect(answer.state.tokens).toBe(1);
  });

  it('only asks a token of a job that already holds its slot, however full and long the line', () => {
    // Arrange
    const full = withTokens(2, { a: NOW + 1_000, c: NOW + 1_000 });

    // Act
    const answer = admit(full, 'c', 50, budget, NOW + 500);

    // Assert: the lease renewed, no second slot
    if (!answer.admitted) throw new Error('expected an admission');
    expect(answer.state.slots).toEqual({ a: NOW + 1_000, c: NOW + 500 + 300_000 });
    expect(answer.state.tokens).toBe(1);
    expect(admit({ ...full, tokens: 0 }, 'c', 0, budget, NOW)).toMatchObject({ admitted: false, reason: 'rate' });
  });
});

describe('Function: renewLease', () => {
  const state = withTokens(2, { a: NOW + 1_000, b: NOW + 1_000 });

  it('renews only a slot the job still holds: a lost slot is not taken back', () => {
    // Act
    const renewed = renewLease(state, 'a', budget, NOW + 10_000);
    const lost = renewLease(state, 'gone', budget, NOW + 10_000);

    // Assert
    expect(renewed.slots).toEqual({ a: NOW + 310_000, b: NOW + 1_000 });
    expect(lost).toBe(state);
  });
});

describe('Function: slotRetryAt', () => {
  // A rate that never binds here: the slots' turnover sets the pace.
  const ofTen = { ...budget, concurrency: 10, requestsPerMinute: 100_000 };

  it.each([
    ['at least 1 s for the head of a quick line', 0, 1, 1_000],
    ['at most 60 s however long the line', 10_000, 600, 60_000],
  ])('waits %s', (_, ahead, holdSeconds, waitMs) => {
    // Act
    const retryAt = slotRetryAt(NOW, ahead, holdSeconds, ofTen);

    // Assert
    expect(retryAt).toBe(NOW + waitMs);
  });

  it('waits longer the further back in line, by the share of a hold each job ahead takes', () => {
    // Act: a job holds its slot 60 s; ten slots turn over a job every 6 s
    const waits = [0, 1, 2, 3].map((ahead) => slotRetryAt(NOW, ahead, 60, ofTen) - NOW);

    // Assert
    expect(waits).toEqual([6_000, 12_000, 18_000, 24_000]);
  });

  it('paces the line by the rate when the rate is tighter than the slots', () => {
    // 150 a minute less a bucket of 3 pays for 147 / 3 = 49 jobs a minute: about 1.22 s per job ahead
    const tight = { ...budget, concurrency: 10, requestsPerMinute: 150 };

    // Act
    const wait = slotRetryAt(NOW, 4, 1, tight) - NOW;

    // Assert
    expect(wait).toBe(Math.round((5 * 1000 * 60 * 3) / 147));
  });
});
