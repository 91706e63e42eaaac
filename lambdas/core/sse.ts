import type { StatusView } from './apiViews';
import { type JobPhase, jobPhases } from './job';

/*
 * Server-sent events for a job's progress (`GET /v2/requests/{id}/events`):
 * one `status` event per change of (status, phase), with the status endpoint's body.
 *
 * Event ids. There is no history to replay (the job record holds only its
 * current state), so what a reconnecting client needs is: "is the current state
 * one I have already been sent?". An id therefore carries the phase it was sent
 * for, and is ordered by time:
 *
 *     id = T × 10 + index of the phase in `jobPhases` (its last decimal digit)
 *
 * T is the job's `updated_at` in epoch milliseconds, raised to one more than the
 * previous id's T when it is not greater (two writers' clocks may disagree), so
 * ids strictly increase within a stream and continue above a client's
 * Last-Event-ID after a reconnect. The same record gives the same id to every
 * stream. Status follows from phase, so the phase alone says which (status,
 * phase) a client saw; phases may move back (`submitting` → `waiting_for_capacity`),
 * and a client that last saw the phase the job is in again is not sent it twice:
 * what it shows is the job's current state. `jobPhases` is append-only for this reason.
 */

/** What separates a phase's index from the time in an event id. */
const PHASE_SLOTS = 10;

/** The comment line that keeps proxies and clients from timing out an idle stream. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';

/** The answer headers of an event stream (no cache may keep or transform it). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
} as const;

/** One `status` event, ready to write. */
export interface StatusEvent {
  id: number;
  text: string;
}

/** One SSE event; `data` is JSON, which never holds a raw newline, so it is one `data:` line. */
export function formatSseEvent(event: { id: number; event: string; data: unknown }): string {
  return `id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** The phase an event id was sent for. */
export function phaseOfEventId(id: number): JobPhase | undefined {
  return jobPhases[id % PHASE_SLOTS];
}

/** The id of an event for `view`, sent after the event `previousId` (if any). */
export function eventIdFor(view: Pick<StatusView, 'phase' | 'updated_at'>, previousId?: number): number {
  const updatedMs = Date.parse(view.updated_at);
  const previousT = previousId === undefined ? -1 : Math.floor(previousId / PHASE_SLOTS);
  const t = Math.max(Number.isFinite(updatedMs) ? updatedMs : 0, previousT + 1);
  return t * PHASE_SLOTS + jobPhases.indexOf(view.phase);
}

/**
 * The event to send for the job's current state, or undefined when the client
 * was already sent this (status, phase): its last event id says which.
 */
export function nextStatusEvent(view: StatusView, lastEventId: number | undefined): StatusEvent | undefined {
  if (lastEventId !== undefined && phaseOfEventId(lastEventId) === view.phase) return undefined;
  const id = eventIdFor(view, lastEventId);
  return { id, text: formatSseEvent({ id, event: 'status', data: view }) };
}

/** Why a Last-Event-ID was refused, for the 400 answer. */
export const LAST_EVENT_ID_RULE = 'must be the id of an event this stream sent (a decimal number)';

/**
 * The `Last-Event-ID` header or `?last_event_id=` query parameter: undefined
 * when absent or empty (a fresh start), `'invalid'` when it cannot be one of our ids.
 */
export function parseLastEventId(raw: string | undefined): number | undefined | 'invalid' {
  const value = raw?.trim();
  if (!value) return undefined;
  if (!/^\d{1,16}$/.test(value)) return 'invalid';
  const id = Number(value);
  return Number.isSafeInteger(id) && phaseOfEventId(id) !== undefined ? id : 'invalid';
}
