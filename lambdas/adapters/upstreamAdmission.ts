import { GetCommand, QueryCommand, type QueryCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AdmissionState,
  type AdmitAnswer,
  admissionStateSchema,
  admit,
  initialAdmission,
  MAX_SLOT_WAIT_MS,
  type RequestKind,
  renewLease,
  settle,
  type TakeAnswer,
  takeToken,
  throttled,
  type UpstreamBudget,
} from '../core/admission';
import { JOBS_TABLE } from '../core/contract/names';
import { parseOrThrow } from '../core/schemas';
import { isConditionFailure } from './conditionFailure';
import type { JobStore } from './jobStore';
import { logger } from './logger';

/*
 * The deployment's upstream budget, one item in the jobs table:
 *   { id: 'upstream#admission', tokens, refilledAt, slots: {jobId: leaseEnd}, rateFactor, slowUntil, version }
 * Like the tenant counters, its id holds a '#' (no route reads it as a job) and
 * it has no owner, createdAt or expiresAt. Every change reads it, decides in
 * `core/admission.ts`, and writes it back on condition that its version did not
 * move; a lost race reads again. Releasing a slot needs no decision: it removes
 * the slot and bumps the version, so a racing read-decide-write retries on top.
 *
 * Jobs waiting for capacity carry `waitingFor`, `waitingSince` (arrival) and
 * `waitingSeenAt` (last ask), which the sparse `waitingForCapacity` index orders.
 */

export const ADMISSION_ITEM_ID = 'upstream#admission';
const WAITING_QUEUE = 'upstream';
/**
 * A waiting job that has not asked again for this long is gone (its execution
 * ended): it holds no place. Twice the longest wait between asks, and more.
 */
export const WAITING_STALE_MS = 2 * MAX_SLOT_WAIT_MS + 30_000;
/** Read-decide-write rounds before a busy item counts as "no capacity now". */
const MAX_ROUNDS = 8;
/**
 * An admission gives up sooner: when many jobs arrive at once, every one of
 * them racing for the same item would make nearly every write lose (a burst of
 * a few hundred Submits measured ~4 admissions per 5 s for half a minute).
 * A job that loses a few races goes in line instead, and its ticket spreads
 * its next ask out from the others'.
 */
const ADMIT_ROUNDS = 2;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stored state, as last written (not settled); undefined before the first request. */
export async function readAdmission(store: JobStore): Promise<AdmissionState | undefined> {
  const answer = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { id: ADMISSION_ITEM_ID }, ConsistentRead: true }),
  );
  return answer.Item ? parseOrThrow(admissionStateSchema, answer.Item, 'upstream admission') : undefined;
}

/**
 * Reads, decides and writes back unless the decision changed nothing; answers
 * the decision's result, or `busy` when every round lost a race.
 */
async function change<T>(
  store: JobStore,
  budget: UpstreamBudget,
  decide: (state: AdmissionState, now: number) => { next?: AdmissionState; result: T },
  busy: T,
  rounds = MAX_ROUNDS,
): Promise<T> {
  for (let round = 0; round < rounds; round++) {
    const stored = await readAdmission(store);
    const now = Date.now();
    const { next, result } = decide(settle(stored ?? initialAdmission(budget, now), budget, now), now);
    if (!next) return result;
    try {
      // An update, not a put: the steps may update items of the jobs table, never put them.
      const { tokens, refilledAt, slots, rateFactor, slowUntil } = next;
      await store.doc.send(
        new UpdateCommand({
          TableName: store.tableName,
          Key: { id: ADMISSION_ITEM_ID },
          UpdateExpression:
            'SET tokens = :tokens, refilledAt = :refilledAt, slots = :slots, rateFactor = :rateFactor, slowUntil = :slowUntil, version = :version',
          ConditionExpression: stored ? 'version = :seen' : 'attribute_not_exists(id)',
          ExpressionAttributeValues: {
            ':tokens': tokens,
            ':refilledAt': refilledAt,
            ':slots': slots,
            ':rateFactor': rateFactor,
            ':slowUntil': slowUntil,
            ':version': (stored?.version ?? 0) + 1,
            ...(stored ? { ':seen': stored.version } : {}),
          },
        }),
      );
      return result;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await pause(5 + Math.random() * 20 * (round + 1));
    }
  }
  return busy;
}

/** Admits the job (a slot and its submit's token) unless earlier arrivals or the budget say wait. */
export function admitJob(
  store: JobStore,
  budget: UpstreamBudget,
  jobId: string,
  waitingAhead: number,
): Promise<AdmitAnswer> {
  return change<AdmitAnswer>(
    store,
    budget,
    (state, now) => {
      const answer = admit(state, jobId, waitingAhead, budget, now);
      return { next: answer.admitted ? answer.state : undefined, result: answer };
    },
    { admitted: false, reason: 'busy' },
    ADMIT_ROUNDS,
  );
}

/** Spends a token for one request of the job's (renewing its slot's lease), or says when to ask again. */
export function takeRequestToken(
  store: JobStore,
  budget: UpstreamBudget,
  jobId: string,
  kind: RequestKind,
): Promise<TakeAnswer> {
  return change<TakeAnswer>(
    store,
    budget,
    (state, now) => {
      const answer = takeToken(state, kind, budget);
      return answer.ok ? { next: renewLease(answer.state, jobId, budget, now), result: answer } : { result: answer };
    },
    { ok: false, retryAt: Date.now() + 1_000 },
  );
}

/** The upstream answered 429: spend less for a while. Logged, never thrown: the 429 itself is what the caller handles. */
export async function noteThrottled(store: JobStore, budget: UpstreamBudget): Promise<void> {
  try {
    await change(store, budget, (state, now) => ({ next: throttled(state, now), result: undefined }), undefined);
  } catch (error) {
    logger.warn('could not slow the upstream budget down after a 429', { error });
  }
}

/**
 * Gives the job's slot back (nothing happens when it holds none). Logged,
 * never thrown: the job's end is already recorded, and the lease returns a
 * slot that could not be released.
 */
export async function releaseUpstreamSlot(store: JobStore, jobId: string): Promise<void> {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { id: ADMISSION_ITEM_ID },
        UpdateExpression: 'REMOVE slots.#job SET version = version + :one',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeNames: { '#job': jobId },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return;
    logger.error('could not release an upstream slot; its lease will return it', { jobId, error });
  }
}

/*
 * The line's tickets, one more item: { id: 'upstream#line', ticketsIssued, lastAdmittedTicket }.
 * A job takes a ticket the first time it waits; the ticket less the last one
 * admitted estimates its place in line in one read, where counting the jobs
 * ahead would read the whole line on every ask. The count (up to the budget's
 * concurrency) still decides whether free slots are a job's to take.
 */
export const LINE_ITEM_ID = 'upstream#line';

/** The next ticket in line (1, 2, …). */
export async function takeTicket(store: JobStore): Promise<number> {
  const answer = await store.doc.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: { id: LINE_ITEM_ID },
      UpdateExpression: 'ADD ticketsIssued :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(answer.Attributes?.ticketsIssued ?? 0);
}

/** The highest ticket of a job admitted so far (0 before any). */
export async function lastAdmittedTicket(store: JobStore): Promise<number> {
  const answer = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { id: LINE_ITEM_ID } }));
  const last = answer.Item?.lastAdmittedTicket;
  return typeof last === 'number' ? last : 0;
}

/** A job holding `ticket` was admitted: the line has moved at least that far. Best effort, logged. */
export async function noteAdmittedTicket(store: JobStore, ticket: number): Promise<void> {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { id: LINE_ITEM_ID },
        UpdateExpression: 'SET lastAdmittedTicket = :ticket',
        ConditionExpression: 'attribute_not_exists(lastAdmittedTicket) OR lastAdmittedTicket < :ticket',
        ExpressionAttributeValues: { ':ticket': ticket },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) logger.warn('could not record the line moving', { ticket, error });
  }
}

/** A job in line, as the line orders it. */
export type WaitingJob = { id: string; createdAt: string; waitingTicket?: number };

/**
 * The key a job waits under: its ticket, so that the line's order and the
 * tickets' estimate of a place agree; without one (a job put in line by hand,
 * the adapter's own tests) its arrival, then its id.
 */
export const waitingSinceOf = (job: WaitingJob): string =>
  job.waitingTicket === undefined ? `${job.createdAt}#${job.id}` : `t${String(job.waitingTicket).padStart(16, '0')}`;

/** The attributes that put a job in line (`patchJob`'s `setAttributes`); removed when it is admitted or ends. */
export function waitingAttributes(job: WaitingJob, now: number): Record<string, unknown> {
  return {
    [JOBS_TABLE.waitingForAttribute]: WAITING_QUEUE,
    [JOBS_TABLE.waitingSinceAttribute]: waitingSinceOf(job),
    [JOBS_TABLE.waitingSeenAttribute]: now,
  };
}
export const WAITING_ATTRIBUTE_NAMES = [
  JOBS_TABLE.waitingForAttribute,
  JOBS_TABLE.waitingSinceAttribute,
  JOBS_TABLE.waitingSeenAttribute,
] as const;

/**
 * How many jobs that arrived before this one still wait (asked within
 * WAITING_STALE_MS), counted up to `atMost`: past the point where the wait is
 * at its longest a place in line changes nothing, and counting a long line on
 * every ask would cost reads in proportion to it. The index is eventually
 * consistent: a count can be a moment behind, which only shifts order by as much.
 */
export async function countWaitingAhead(store: JobStore, job: WaitingJob, atMost: number): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const input: QueryCommandInput = {
      TableName: store.tableName,
      IndexName: JOBS_TABLE.waitingIndex,
      KeyConditionExpression: '#for = :queue AND #since < :mine',
      FilterExpression: '#seen > :staleBefore',
      ExpressionAttributeNames: {
        '#for': JOBS_TABLE.waitingForAttribute,
        '#since': JOBS_TABLE.waitingSinceAttribute,
        '#seen': JOBS_TABLE.waitingSeenAttribute,
      },
      ExpressionAttributeValues: {
        ':queue': WAITING_QUEUE,
        ':mine': waitingSinceOf(job),
        ':staleBefore': Date.now() - WAITING_STALE_MS,
      },
      Select: 'COUNT',
      // Items read per page: DynamoDB filters after the limit, so stale waiters only make the count lower.
      Limit: atMost - count,
      ExclusiveStartKey: startKey,
    };
    const page = await store.doc.send(new QueryCommand(input));
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey && count < atMost);
  return Math.min(count, atMost);
}
