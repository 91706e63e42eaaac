import { describe, expect, it } from 'vitest';
import type { StatusView } from '../../../lambdas/core/apiViews';
import type { JobPhase } from '../../../lambdas/core/job';
import {
  eventIdFor,
  formatSseEvent,
  nextStatusEvent,
  parseLastEventId,
  phaseOfEventId,
  SSE_HEARTBEAT,
} from '../../../lambdas/core/sse';

const ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const T0 = Date.parse('2025-01-01T10:00:00.000Z');

function view(phase: JobPhase, updatedMs: number, status: StatusView['status'] = 'QUEUED'): StatusView {
  return {
    request_id: ID,
    status,
    phase,
    created_at: new Date(T0).toISOString(),
    updated_at: new Date(updatedMs).toISOString(),
  };
}

/** The SSE fields of one event, as a client parses them. */
function fieldsOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trimEnd()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
  );
}

describe('Function: formatSseEvent', () => {
  it('writes id, event and one data line of JSON, ended by a blank line', () => {
    const text = formatSseEvent({ id: 42, event: 'status', data: { note: 'two\nlines' } });

    expect(text).toBe('id: 42\nevent: status\ndata: {"note":"two\\nlines"}\n\n');
  });

  it('has a heartbeat that is a comment (ignored by EventSource)', () => {
    expect(SSE_HEARTBEAT).toBe(': heartbeat\n\n');
  });
});

describe('Function: eventIdFor', () => {
  it('is the update time in ms with the phase as its last digit', () => {
    const id = eventIdFor(view('generating', T0 + 1234));

    expect(id).toBe((T0 + 1234) * 10 + 4);
    expect(phaseOfEventId(id)).toBe('generating');
    expect(Number.isSafeInteger(id)).toBe(true);
  });

  it('is the same for the same record, whichever stream computes it', () => {
    expect(eventIdFor(view('submitted', T0 + 5))).toBe(eventIdFor(view('submitted', T0 + 5)));
  });

  it('stays above the previous id when a writer’s clock ran behind', () => {
    const previous = eventIdFor(view('generating', T0 + 5000));

    const next = eventIdFor(view('copying', T0 + 4000), previous);

    expect(next).toBeGreaterThan(previous);
    expect(phaseOfEventId(next)).toBe('copying');
  });

  it('stays above the previous id when the phase moves back', () => {
    const submitting = eventIdFor(view('submitting', T0 + 1000));

    const waiting = eventIdFor(view('waiting_for_capacity', T0 + 2000), submitting);

    expect(waiting).toBeGreaterThan(submitting);
    expect(phaseOfEventId(waiting)).toBe('waiting_for_capacity');
  });
});

describe('Function: nextStatusEvent', () => {
  it('sends the current state to a client that has seen nothing, with the status body as data', () => {
    const current = view('queued', T0);

    const event = nextStatusEvent(current, undefined);

    expect(event).toBeDefined();
    const fields = fieldsOf(event?.text ?? '');
    expect(fields).toEqual({ id: String(event?.id), event: 'status', data: JSON.stringify(current) });
    expect(JSON.parse(fields.data ?? '')).toEqual(current);
  });

  it('sends nothing when the client last saw this phase, even if the record was written since', () => {
    const seen = nextStatusEvent(view('generating', T0 + 1000, 'PROCESSING'), undefined);

    expect(nextStatusEvent(view('generating', T0 + 9000, 'PROCESSING'), seen?.id)).toBeUndefined();
  });

  it('sends each change of phase once, with strictly increasing ids, through a whole job', () => {
    const history: [JobPhase, StatusView['status']][] = [
      ['queued', 'QUEUED'],
      ['queued', 'QUEUED'],
      ['submitting', 'QUEUED'],
      ['waiting_for_capacity', 'QUEUED'],
      ['submitting', 'QUEUED'],
      ['submitted', 'QUEUED'],
      ['generating', 'PROCESSING'],
      ['generating', 'PROCESSING'],
      ['copying', 'PROCESSING'],
      ['completed', 'COMPLETED'],
    ];
    let lastId: number | undefined;
    const sent: { id: number; phase: string }[] = [];

    history.forEach(([phase, status], index) => {
      const event = nextStatusEvent(view(phase, T0 + index * 1000, status), lastId);
      if (event) {
        sent.push({ id: event.id, phase });
        lastId = event.id;
      }
    });

    expect(sent.map((event) => event.phase)).toEqual([
      'queued',
      'submitting',
      'waiting_for_capacity',
      'submitting',
      'submitted',
      'generating',
      'copying',
      'completed',
    ]);
    for (let index = 1; index < sent.length; index++) {
      expect(sent[index]?.id).toBeGreaterThan(sent[index - 1]?.id ?? Number.POSITIVE_INFINITY);
    }
  });

  it('resumes after a reconnect above the Last-Event-ID, skipping what the client has', () => {
    const before = nextStatusEvent(view('submitted', T0 + 1000), undefined);
    const lastEventId = before?.id;

    // Reconnected while still submitted: nothing new. Later, generating: sent, above the last id.
    expect(nextStatusEvent(view('submitted', T0 + 1500), lastEventId)).toBeUndefined();
    const after = nextStatusEvent(view('generating', T0 + 3000, 'PROCESSING'), lastEventId);
    expect(after?.id).toBeGreaterThan(lastEventId ?? Number.POSITIVE_INFINITY);
  });
});

describe('Function: parseLastEventId', () => {
  it('takes an id the stream sent', () => {
    const id = eventIdFor(view('copying', T0));

    expect(parseLastEventId(String(id))).toBe(id);
    expect(parseLastEventId(` ${id} `)).toBe(id);
  });

  it('treats absent or empty as a fresh start', () => {
    expect(parseLastEventId(undefined)).toBeUndefined();
    expect(parseLastEventId('')).toBeUndefined();
    expect(parseLastEventId('  ')).toBeUndefined();
  });

  it('refuses what cannot be one of its ids', () => {
    for (const raw of ['abc', '-10', '1.5', '1e5', '99999999999999999', `${T0}9`, '0x10']) {
      expect(parseLastEventId(raw), raw).toBe('invalid');
    }
  });
});
