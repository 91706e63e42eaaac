import { describe, expect, it } from 'vitest';
import {
  defaultPollSettings,
  expectedLatencySeconds,
  firstWaitSeconds,
  nextPoll,
  type PollSettings,
} from '../../../lambdas/core/pollPlan';
import type { Quality } from '../../../lambdas/core/schemas';
import { workflowTimeBudget } from '../../../lambdas/core/timeBudget';

const typical = { duration: 5, quality: '540p' } as const;

describe('Core: poll plan', () => {
  describe('expectedLatencySeconds', () => {
    it.each<[5 | 8, Quality, number]>([
      [5, '540p', 77],
      [5, '360p', 62],
      [5, '720p', 100],
      [5, '1080p', 139],
      [8, '540p', 116],
      [8, '720p', 150],
    ])('expects %i s at %s to take about %i s', (duration, quality, seconds) => {
      expect(expectedLatencySeconds({ duration, quality })).toBe(seconds);
    });
  });

  describe('firstWaitSeconds', () => {
    it('waits about 90% of the expected latency by default', () => {
      expect(firstWaitSeconds(typical, defaultPollSettings)).toBe(69);
    });

    it('waits longer for longer and larger videos', () => {
      expect(firstWaitSeconds({ duration: 8, quality: '720p' }, defaultPollSettings)).toBeGreaterThan(
        firstWaitSeconds(typical, defaultPollSettings),
      );
    });

    it.each([
      [{ ...defaultPollSettings, firstWaitSeconds: 3 }, 3],
      [{ ...defaultPollSettings, firstWaitSeconds: 0 }, 1],
      [{ deadlineSeconds: 30 }, 30],
    ])('honours the settings %j with a first wait of %i s', (settings: PollSettings, seconds) => {
      expect(firstWaitSeconds(typical, settings)).toBe(seconds);
    });

    it('never waits past the deadline, counted from the execution start (Submit may have taken a while)', () => {
      expect(firstWaitSeconds(typical, { deadlineSeconds: 600 }, 500)).toBe(69);
      expect(firstWaitSeconds(typical, { deadlineSeconds: 600 }, 560.5)).toBe(40);
      expect(firstWaitSeconds(typical, { deadlineSeconds: 600 }, 700)).toBe(1);
    });
  });

  describe('nextPoll', () => {
    it('polls at the short default interval around the expected latency', () => {
      expect(nextPoll(typical, 70, defaultPollSettings)).toEqual({ waitSeconds: 5 });
    });

    it('uses the configured interval', () => {
      expect(nextPoll(typical, 70, { ...defaultPollSettings, intervalSeconds: 2 })).toEqual({ waitSeconds: 2 });
    });

    it('slows down to 15 s once the job is past twice its expected latency', () => {
      expect(nextPoll(typical, 155, defaultPollSettings)).toEqual({ waitSeconds: 15 });
      expect(nextPoll(typical, 154, defaultPollSettings)).toEqual({ waitSeconds: 5 });
    });

    it('counts the cadence from the submit and the deadline from the execution start', () => {
      // Submit took 300 s of retries: 70 s after it, the job is not late, and 230 s are left.
      expect(nextPoll(typical, 370, { deadlineSeconds: 600 }, 70)).toEqual({ waitSeconds: 5 });
      expect(nextPoll(typical, 598, { deadlineSeconds: 600 }, 298)).toEqual({ waitSeconds: 2 });
      expect(nextPoll(typical, 600, { deadlineSeconds: 600 }, 300)).toEqual({ deadlinePassed: true });
    });

    it('keeps a configured interval longer than the slow one', () => {
      expect(nextPoll(typical, 600, { ...defaultPollSettings, intervalSeconds: 20 })).toEqual({ waitSeconds: 20 });
    });

    it('never waits past the deadline', () => {
      expect(nextPoll(typical, 96.5, { deadlineSeconds: 100 })).toEqual({ waitSeconds: 4 });
      expect(nextPoll(typical, 99.5, { deadlineSeconds: 100 })).toEqual({ waitSeconds: 1 });
    });

    it.each([100, 100.1, 5000])('says the deadline has passed at %s s of 100', (elapsed) => {
      expect(nextPoll(typical, elapsed, { deadlineSeconds: 100 })).toEqual({ deadlinePassed: true });
    });

    it('stops polling a default job when the time budget says, well before the upstream record expires (1 hour)', () => {
      expect(defaultPollSettings.deadlineSeconds).toBe(workflowTimeBudget().pollDeadlineSeconds);
      expect(defaultPollSettings.deadlineSeconds).toBeLessThan(3600);
      expect(nextPoll(typical, 3600, defaultPollSettings)).toEqual({ deadlinePassed: true });
    });
  });

  it('checks a typical job far fewer times than a fixed 2 s loop would', () => {
    // Arrange: a 5 s / 540p job that finishes at its typical 77 s.
    const finishesAt = 77;
    let elapsed = firstWaitSeconds(typical, defaultPollSettings);
    let checks = 1;

    // Act
    while (elapsed < finishesAt) {
      const next = nextPoll(typical, elapsed, defaultPollSettings);
      if ('deadlinePassed' in next) throw new Error('deadline passed');
      elapsed += next.waitSeconds;
      checks += 1;
    }

    // Assert
    expect(checks).toBeLessThanOrEqual(4);
    expect(elapsed - finishesAt).toBeLessThan(5);
    expect(checks).toBeLessThan(Math.ceil(finishesAt / 2) / 5);
  });
});
