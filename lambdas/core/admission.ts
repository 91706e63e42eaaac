import * as z from 'zod/mini';
import './zodMini';

/*
 * Admission control: one upstream budget for the whole deployment. A token
 * bucket holds the rate (every upstream request spends a token: submits,
 * status polls and result reads alike) and a semaphore of leased slots holds
 * the concurrency (a slot per job in flight upstream). The decisions are here,
 * pure; the item they are kept in is `adapters/upstreamAdmission.ts`.
 */

/** The deployment's budget, as configured. */
export interface UpstreamBudget {
  /** Upstream requests allowed in any sliding minute. */
  requestsPerMinute: number;
  /** Jobs allowed in flight upstream at once. */
  concurrency: number;
  /** A slot not renewed for this long is free again: a leaked slot comes back by itself. */
  leaseSeconds: number;
}

/** The bucket and the slots as stored. */
export const admissionStateSchema = z.object({
  tokens: z.number(),
  /** Epoch ms the tokens were last counted at. */
  refilledAt: z.number(),
  /** jobId → epoch ms its lease ends. */
  slots: z.record(z.string(), z.number()),
  /** After an upstream 429 the refill is multiplied by this (≤ 1)… */
  rateFactor: z.number().check(z.positive()).check(z.lte(1)),
  /** …until this epoch ms. */
  slowUntil: z.number(),
  /** Bumped by every write: the conditional writes' check that nothing changed in between. */
  version: z.number().check(z.int()).check(z.nonnegative()),
});
export type AdmissionState = z.infer<typeof admissionStateSchema>;

/**
 * What a request is for, in the order the budget serves them under pressure:
 * reading a finished job's result and polling a job past its expected
 * completion first (finished jobs must still be found), other polls next,
 * new submits last.
 */
export type RequestKind = 'result' | 'overduePoll' | 'poll' | 'submit';
const RESERVE_SHARE: Record<RequestKind, number> = { result: 0, overduePoll: 0, poll: 0.5, submit: 1 };

/** A 429 from the upstream halves the rate, down to this share of the budget… */
const MIN_RATE_FACTOR = 0.125;
/** …for this long after the last 429: a budget set too high corrects itself. */
export const THROTTLE_SLOWDOWN_MS = 5 * 60_000;

/**
 * The bucket's size: about a second of the budget, and at least two tokens so
 * that the reserve can put polls before submits. Any sliding minute sees at
 * most a full bucket plus a minute of refill, so the refill is the budget less
 * the bucket: bursts stay short and the minute never exceeds the budget.
 */
export function burstOf(budget: UpstreamBudget): number {
  return Math.max(2, Math.ceil(budget.requestsPerMinute / 60));
}

/** Tokens per ms at full rate. */
function refillPerMs(budget: UpstreamBudget): number {
  return Math.max(0, budget.requestsPerMinute - burstOf(budget)) / 60_000;
}

/** Tokens above the one a request spends that must stay for the kinds served before it. */
function reserveFor(kind: RequestKind, budget: UpstreamBudget): number {
  return Math.min(1, burstOf(budget) - 1) * RESERVE_SHARE[kind];
}

/** A fresh budget: a full bucket, no slot taken. */
export function initialAdmission(budget: UpstreamBudget, now: number): AdmissionState {
  return { tokens: burstOf(budget), refilledAt: now, slots: {}, rateFactor: 1, slowUntil: 0, version: 0 };
}

/** The state at `now`: tokens refilled, the slowdown over if its time has passed, expired leases dropped. */
export function settle(state: AdmissionState, budget: UpstreamBudget, now: number): AdmissionState {
  const rateFactor = now >= state.slowUntil ? 1 : state.rateFactor;
  const elapsed = Math.max(0, now - state.refilledAt);
  const tokens = Math.min(burstOf(budget), state.tokens + elapsed * refillPerMs(budget) * rateFactor);
  const slots = Object.fromEntries(Object.entries(state.slots).filter(([, leaseEnd]) => leaseEnd > now));
  return { ...state, tokens, refilledAt: Math.max(now, state.refilledAt), slots, rateFactor };
}

export type TakeAnswer = { ok: true; state: AdmissionState } | { ok: false; retryAt: number };

/** When the bucket (settled at `state.refilledAt`) will hold `needed` tokens; never sooner than 250 ms from now. */
function whenTokens(state: AdmissionState, budget: UpstreamBudget, needed: number): number {
  const perMs = refillPerMs(budget) * state.rateFactor;
  const missing = needed - state.tokens;
  const waitMs = perMs > 0 ? missing / perMs : 60_000;
  return state.refilledAt + Math.max(250, Math.ceil(waitMs));
}

/**
 * A refused poll's job asks again no sooner than its fair share of the rate
 * allows: every job in flight polls, so each gets one request in
 * `jobs × 60 s / rate`. Without it every refused poll would come back as
 * soon as one token refills, lose again to the others, and bill a Wait, a
 * Check and a Choice for nothing each time. Never later than the bucket takes
 * to fill, though: past that the budget would go unspent. Result reads keep the
 * soonest time: there are few of them and they end a job.
 */
function fairShareMs(state: AdmissionState, budget: UpstreamBudget): number {
  const perMinute = budget.requestsPerMinute * state.rateFactor;
  return (Math.max(1, Object.keys(state.slots).length) * 60_000) / Math.max(1, perMinute);
}

/** Spends one token for a request of `kind`, if the bucket holds it and the reserve for the kinds before it. */
export function takeToken(state: AdmissionState, kind: RequestKind, budget: UpstreamBudget): TakeAnswer {
  const needed = 1 + reserveFor(kind, budget);
  if (state.tokens < needed) {
    const soonest = whenTokens(state, budget, needed);
    if (kind !== 'poll' && kind !== 'overduePoll') return { ok: false, retryAt: soonest };
    // Never past the moment the bucket is full again: tokens beyond it would be lost.
    const fair = Math.min(state.refilledAt + fairShareMs(state, budget), whenTokens(state, budget, burstOf(budget)));
    return { ok: false, retryAt: Math.max(soonest, fair) };
  }
  return { ok: true, state: { ...state, tokens: state.tokens - 1 } };
}

/** The job's lease renewed, if it holds a slot (a lost slot is not taken back: it may be another job's now). */
export function renewLease(state: AdmissionState, jobId: string, budget: UpstreamBudget, now: number): AdmissionState {
  if (state.slots[jobId] === undefined) return state;
  return { ...state, slots: { ...state.slots, [jobId]: now + budget.leaseSeconds * 1000 } };
}

/** Slots free right now (the state settled). */
export function freeSlots(state: AdmissionState, budget: UpstreamBudget): number {
  return Math.max(0, budget.concurrency - Object.keys(state.slots).length);
}

export type AdmitAnswer =
  | { admitted: true; state: AdmissionState }
  | { admitted: false; reason: 'concurrency' | 'queue' | 'rate' | 'busy'; retryAt?: number };

/**
 * Admits a job to the upstream: a slot and the submit's token, or why not.
 * `waitingAhead` counts jobs that arrived earlier and still wait: they go first.
 * A job that already holds its slot (a retried Submit) only needs the token.
 */
export function admit(
  state: AdmissionState,
  jobId: string,
  waitingAhead: number,
  budget: UpstreamBudget,
  now: number,
): AdmitAnswer {
  const holds = state.slots[jobId] !== undefined;
  if (!holds) {
    const free = freeSlots(state, budget);
    if (free === 0) return { admitted: false, reason: 'concurrency' };
    if (waitingAhead >= free) return { admitted: false, reason: 'queue' };
  }
  const token = takeToken(state, 'submit', budget);
  if (!token.ok) return { admitted: false, reason: 'rate', retryAt: token.retryAt };
  const leased = { ...token.state.slots, [jobId]: now + budget.leaseSeconds * 1000 };
  return { admitted: true, state: { ...token.state, slots: leased } };
}

/** After an upstream 429: the bucket is emptied and the rate halved for a while. */
export function throttled(state: AdmissionState, now: number): AdmissionState {
  return {
    ...state,
    tokens: Math.min(state.tokens, 0),
    rateFactor: Math.max(MIN_RATE_FACTOR, state.rateFactor / 2),
    slowUntil: now + THROTTLE_SLOWDOWN_MS,
  };
}

/** How long a waiting job sleeps before it asks again, when it waits for a slot rather than a token. */
const MIN_SLOT_WAIT_MS = 1_000;
export const MAX_SLOT_WAIT_MS = 60_000;
/** Upstream requests a job needs at least: its submit, a status poll that sees it done, its result read. */
export const MIN_REQUESTS_PER_JOB = 3;

/**
 * Jobs per second the budget can admit at best: the slots turning over, or
 * the rate paying for each job's requests, whichever is tighter.
 */
export function admissionsPerSecond(budget: UpstreamBudget, holdSeconds: number): number {
  const bySlots = budget.concurrency / Math.max(1, holdSeconds);
  const byRate = (budget.requestsPerMinute - burstOf(budget)) / 60 / MIN_REQUESTS_PER_JOB;
  return Math.max(1e-3, Math.min(bySlots, byRate));
}

/**
 * When a job refused for want of a slot asks again: about when the jobs ahead
 * of it should have gone at the best pace the budget allows — soon for the
 * head of the line, later for the tail, so waiting costs few invocations.
 */
export function slotRetryAt(now: number, waitingAhead: number, holdSeconds: number, budget: UpstreamBudget): number {
  const share = ((waitingAhead + 1) * 1000) / admissionsPerSecond(budget, holdSeconds);
  return now + Math.round(Math.min(MAX_SLOT_WAIT_MS, Math.max(MIN_SLOT_WAIT_MS, share)));
}
