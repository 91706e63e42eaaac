import { describe, expect, it } from 'vitest';
import {
  estimateLatency,
  LATENCY_WINDOW,
  type LatencyObservation,
  latencyKey,
  observationOf,
  withObservation,
} from '../../../lambdas/core/latencyStats';
import {
  defaultPollSettings,
  denseWindow,
  explores,
  firstWaitSeconds,
  learnedPlan,
  type PollSettings,
  planFirstWait,
  planNextPoll,
  watchUntilSeconds,
} from '../../../lambdas/core/pollPlan';

const REQUEST = { duration: 5 as const, quality: '540p' as const };
const exact = (seconds: number): LatencyObservation => ({ lo: seconds, hi: seconds });
const steady = (around: number, count = 20) =>
  Array.from({ length: count }, (_, i) => exact(around - 6 + ((i * 7) % 13)));
/** A job id that does not explore under the given history. */
const settledJob = (observations: LatencyObservation[]) => {
  const estimate = estimateLatency(observations);
  if (!estimate) throw new Error('no estimate');
  for (let i = 0; ; i += 1) if (!explores(`job-${i}`, estimate)) return `job-${i}`;
};
const exploringJob = (observations: LatencyObservation[]) => {
  const estimate = estimateLatency(observations);
  if (!estimate) throw new Error('no estimate');
  for (let i = 0; ; i += 1) if (explores(`job-${i}`, estimate)) return `job-${i}`;
};

describe('latency observations', () => {
  it('bound a job first seen done at a poll between the last pending poll and that poll', () => {
    expect(observationOf({ seenSeconds: 80, pendingSeconds: 78, metrics: undefined })).toEqual({ lo: 78, hi: 80 });
  });

  it('only bound from above a job already done at its first poll', () => {
    expect(observationOf({ seenSeconds: 69, pendingSeconds: undefined, metrics: {} })).toEqual({ lo: 0, hi: 69 });
  });

  it("are exact with Segmind's total_time, or its queue_time plus inference_time", () => {
    expect(observationOf({ seenSeconds: 90, pendingSeconds: undefined, metrics: { total_time: 71.25 } })).toEqual(
      exact(71.3),
    );
    expect(
      observationOf({ seenSeconds: 90, pendingSeconds: 60, metrics: { queue_time: 12, inference_time: 60 } }),
    ).toEqual(exact(72));
  });

  it('take inference_time alone as a lower bound, since the queue comes before it', () => {
    expect(observationOf({ seenSeconds: 90, pendingSeconds: undefined, metrics: { inference_time: 60 } })).toEqual({
      lo: 60,
      hi: 90,
    });
  });

  it('never trust a timing outside what the polls saw', () => {
    expect(observationOf({ seenSeconds: 80, pendingSeconds: 70, metrics: { total_time: 300 } })).toEqual(exact(80));
    expect(observationOf({ seenSeconds: 80, pendingSeconds: 70, metrics: { total_time: 'soon' } })).toEqual({
      lo: 70,
      hi: 80,
    });
  });

  it(`keep the newest ${LATENCY_WINDOW} per quality and duration`, () => {
    let list: LatencyObservation[] = [];
    for (let i = 0; i < LATENCY_WINDOW + 5; i += 1) list = withObservation(list, exact(i));
    expect(list).toHaveLength(LATENCY_WINDOW);
    expect(list[0]).toEqual(exact(5));
    expect(latencyKey({ quality: '720p', duration: 8 })).toBe('720p#8');
  });
});

describe('the learning poll plan', () => {
  it('falls back to the static plan with no or too little history', () => {
    expect(learnedPlan('job-1', defaultPollSettings, [])).toBeUndefined();
    expect(learnedPlan('job-1', defaultPollSettings, steady(77, 3))).toBeUndefined();
    expect(planFirstWait(REQUEST, defaultPollSettings, 0, undefined)).toBe(
      firstWaitSeconds(REQUEST, defaultPollSettings),
    );
  });

  it('leaves the cadence to the operator when FRAMEBRIDGE_POLL_FIRST_S / _INTERVAL_S or the static strategy is set', () => {
    const history = steady(40);
    for (const settings of [
      { ...defaultPollSettings, firstWaitSeconds: 30 },
      { ...defaultPollSettings, intervalSeconds: 2 },
      { ...defaultPollSettings, strategy: 'static' as const },
    ]) {
      expect(learnedPlan('job-1', settings, history)).toBeUndefined();
    }
  });

  it('with a steady history waits until just before the fast jobs finish, then watches until past the slow ones', () => {
    // Arrange: recent jobs took 71–83 s
    const history = steady(77);
    const plan = learnedPlan(settledJob(history), defaultPollSettings, history);
    if (!plan) throw new Error('expected a learned plan');

    // Act
    const first = planFirstWait(REQUEST, defaultPollSettings, 0, plan);
    const window = denseWindow(plan.estimate);

    // Assert
    expect(first).toBeGreaterThanOrEqual(66);
    expect(first).toBeLessThanOrEqual(72);
    expect(watchUntilSeconds(plan, first)).toBe(window.until);
    expect(window.until).toBeGreaterThan(83);
    expect(window.until).toBeLessThan(95);
    // Inside the window the next invocation comes straight back.
    expect(planNextPoll(REQUEST, 80, defaultPollSettings, 80, plan)).toEqual({ waitSeconds: 1 });
  });

  it('learns a faster upstream: the first poll moves earlier than the static guess', () => {
    const history = steady(30);
    const plan = learnedPlan(settledJob(history), defaultPollSettings, history);
    expect(planFirstWait(REQUEST, defaultPollSettings, 0, plan)).toBeLessThan(30);
    expect(firstWaitSeconds(REQUEST, defaultPollSettings)).toBe(69);
  });

  it('follows a sudden slowdown as soon as a run of the newest jobs all took longer than any before', () => {
    // Arrange: 20 jobs around 77 s, then 4 that took 150 s or more
    const history = [...steady(77), exact(150), exact(158), exact(152), exact(161)];

    // Act
    const plan = learnedPlan(settledJob(history), defaultPollSettings, history);

    // Assert
    expect(plan?.estimate.low).toBeGreaterThan(140);
    expect(planFirstWait(REQUEST, defaultPollSettings, 0, plan)).toBeGreaterThan(140);
  });

  it('is not moved by a few outliers among steady jobs', () => {
    const history = [...steady(77, 18), exact(400), exact(3), exact(77), exact(77)];
    const plan = learnedPlan(settledJob(history), defaultPollSettings, history);
    expect(plan?.estimate.median).toBeGreaterThan(72);
    expect(plan?.estimate.median).toBeLessThan(82);
    expect(planFirstWait(REQUEST, defaultPollSettings, 0, plan)).toBeGreaterThan(60);
  });

  it('backs off past the window, by more the later the job is, within the deadline', () => {
    const history = steady(77);
    const plan = learnedPlan(settledJob(history), defaultPollSettings, history);
    const { until } = denseWindow(plan?.estimate ?? { low: 0, median: 0, high: 0, observations: 0, censoredShare: 0 });
    const justPast = planNextPoll(REQUEST, until + 1, defaultPollSettings, until + 1, plan);
    const farPast = planNextPoll(REQUEST, 600, defaultPollSettings, 600, plan);
    expect(justPast).toEqual({ waitSeconds: 3 });
    expect(farPast).toEqual({ waitSeconds: 30 });
    const tight: PollSettings = { ...defaultPollSettings, deadlineSeconds: 605 };
    expect(planNextPoll(REQUEST, 600, tight, 600, plan)).toEqual({ waitSeconds: 5 });
    expect(planNextPoll(REQUEST, 606, tight, 606, plan)).toEqual({ deadlinePassed: true });
  });

  it('polls an exploring job early, so that a speed-up the censored history hides is found', () => {
    // Arrange: every recent job was already done at its first poll (only an upper bound each)
    const history = Array.from({ length: 10 }, () => ({ lo: 0, hi: 69 }));
    const explorer = exploringJob(history);

    // Act
    const plan = learnedPlan(explorer, defaultPollSettings, history);

    // Assert
    expect(plan?.explore).toBe(true);
    expect(plan?.estimate.censoredShare).toBe(1);
    expect(planFirstWait(REQUEST, defaultPollSettings, 0, plan)).toBeLessThanOrEqual(35);
    // Found still pending, it goes back to the window rather than watching from its early poll.
    expect(watchUntilSeconds(plan as NonNullable<typeof plan>, 35)).toBeUndefined();
    expect(planNextPoll(REQUEST, 35, defaultPollSettings, 35, plan)).toEqual({ waitSeconds: 31 });
  });

  it('explores one job in ten of a well-observed history, one in three of a censored one, stably by id', () => {
    const ids = Array.from({ length: 3000 }, (_, i) => `01JQ${i.toString(36).padStart(8, '0')}`);
    const observed = estimateLatency(steady(77));
    const censored = estimateLatency(Array.from({ length: 10 }, () => ({ lo: 0, hi: 69 })));
    if (!observed || !censored) throw new Error('no estimate');
    const share = (estimate: typeof observed) => ids.filter((id) => explores(id, estimate)).length / ids.length;
    expect(share(observed)).toBeGreaterThan(0.07);
    expect(share(observed)).toBeLessThan(0.13);
    expect(share(censored)).toBeGreaterThan(0.28);
    expect(share(censored)).toBeLessThan(0.39);
    expect(explores(ids[0] ?? '', observed)).toBe(explores(ids[0] ?? '', observed));
  });

  it('never waits past the deadline', () => {
    const history = steady(77);
    const plan = learnedPlan(settledJob(history), defaultPollSettings, history);
    const tight: PollSettings = { ...defaultPollSettings, deadlineSeconds: 20 };
    expect(planFirstWait(REQUEST, tight, 0, plan)).toBe(20);
  });
});
