import { JobFailedError, NotFoundError, type StatusView, TimeoutError } from 'framebridge/client';
import { describe, expect, it } from 'vitest';
import { HttpClient } from '../../../clients/http';
import { MAX_TRANSIENT_FAILURES, POLL_BACKOFF } from '../../../clients/poll';
import { Transitions } from '../../../clients/transitions';
import { errorView } from '../../../lambdas/core/apiViews';
import {
  fakeFetch,
  jsonAnswer,
  recordingPause,
  type SentRequest,
  sseAnswer,
  statusBody,
  statusEvent,
} from './fakeFetch';

const queued = statusBody('QUEUED', 'queued');
const generating = statusBody('PROCESSING', 'generating');
const completed = statusBody('COMPLETED', 'completed');
const failed = statusBody('FAILED', 'failed', { error: 'The model refused', error_code: 'upstream_failed' });

function transitionsWith(answer: (request: SentRequest, index: number) => Response | Promise<Response>) {
  const { fetch, requests } = fakeFetch(answer);
  const { pause, waits } = recordingPause();
  const transitions = new Transitions(new HttpClient({ baseUrl: 'http://api.test', apiKey: 'key-1', fetch }), pause);
  return { transitions, requests, waits };
}

const isEvents = (request: SentRequest) => request.url.pathname === '/v2/requests/REQ1/events';
const noRoute = () => jsonAnswer(404, errorView('not_found', 'No route GET /v2/requests/REQ1/events'));

/** Answers status reads from `views` in turn (the last one repeats); the events route as `events` says. */
function statusSequence(views: readonly (StatusView | Response)[], events: () => Response = noRoute) {
  let next = 0;
  return (request: SentRequest) => {
    if (isEvents(request)) return events();
    const view = views[Math.min(next++, views.length - 1)]!;
    return view instanceof Response ? view : jsonAnswer(view.status === 'FAILED' ? 422 : 200, view);
  };
}

describe('Client: wait through SSE', () => {
  it('follows the events with the key and resolves with COMPLETED, reporting each change once', async () => {
    const { transitions, requests } = transitionsWith(() =>
      sseAnswer([': heartbeat\n\n', statusEvent(10, queued), statusEvent(24, generating), statusEvent(36, completed)]),
    );
    const seen: string[] = [];

    const final = await transitions.wait('REQ1', { onProgress: (view) => seen.push(view.phase) });

    expect(final).toEqual(completed);
    expect(seen).toEqual(['queued', 'generating', 'completed']);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.get('x-api-key')).toBe('key-1');
    expect(requests[0]?.headers.get('accept')).toBe('text/event-stream');
  });

  it('reconnects with Last-Event-ID when the stream ends without a terminal event', async () => {
    const { transitions, requests, waits } = transitionsWith((_request, index) =>
      index === 0
        ? sseAnswer(['retry: 250\n\n', statusEvent(10, queued), statusEvent(24, generating)])
        : sseAnswer([statusEvent(36, completed)]),
    );

    const events = [];
    for await (const event of transitions.events('REQ1')) events.push(event);

    expect(events.map((event) => [event.id, event.status.phase])).toEqual([
      ['10', 'queued'],
      ['24', 'generating'],
      ['36', 'completed'],
    ]);
    expect(requests.map((request) => request.headers.get('last-event-id'))).toEqual([null, '24']);
    expect(waits).toEqual([250]);
  });

  it('resumes a dropped connection, but gives up after three drops in a row', async () => {
    const { transitions, requests } = transitionsWith((_request, index) =>
      sseAnswer(index === 0 ? [statusEvent(10, queued)] : [], { failAtEnd: true }),
    );
    const resumed = transitionsWith((_request, index) =>
      index === 0 ? sseAnswer([statusEvent(10, queued)], { failAtEnd: true }) : sseAnswer([statusEvent(36, completed)]),
    );

    await expect(resumed.transitions.wait('REQ1', { transport: 'sse' })).resolves.toEqual(completed);
    await expect(transitions.wait('REQ1', { transport: 'sse' })).rejects.toThrow('terminated');
    expect(requests.map((request) => request.headers.get('last-event-id'))).toEqual([null, '10', '10']);
  });

  it('throws JobFailedError with the status body when the job ends FAILED', async () => {
    const { transitions } = transitionsWith(() => sseAnswer([statusEvent(10, queued), statusEvent(47, failed)]));

    const error = await transitions.wait('REQ1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(JobFailedError);
    expect(error).toMatchObject({ code: 'upstream_failed', message: 'The model refused', job: failed });
  });

  it('stops at once when the caller aborts, with the signal’s reason', async () => {
    const controller = new AbortController();
    const { transitions } = transitionsWith(() => sseAnswer([statusEvent(10, queued)], { failAtEnd: true }));

    const waiting = transitions.wait('REQ1', {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });

    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('does not mistake an error of onProgress for a broken stream', async () => {
    const { transitions, requests } = transitionsWith(() => sseAnswer([statusEvent(10, queued)]));

    const waiting = transitions.wait('REQ1', {
      onProgress: () => {
        throw new Error('the caller’s bug');
      },
    });

    await expect(waiting).rejects.toThrow('the caller’s bug');
    expect(requests).toHaveLength(1);
  });
});

describe('Client: wait falling back to polling', () => {
  it.each([
    ['no such route (404)', noRoute],
    ['405', () => jsonAnswer(405, errorView('method_not_allowed', 'GET is not allowed'))],
    ['501', () => new Response('Not Implemented', { status: 501 })],
    ['a stream that is not SSE', () => jsonAnswer(200, queued)],
  ])('polls the status when the events route answers %s', async (_case, events) => {
    const { transitions, requests } = transitionsWith(statusSequence([queued, generating, completed], events));
    const seen: string[] = [];

    const final = await transitions.wait('REQ1', { onProgress: (view) => seen.push(view.phase) });

    expect(final).toEqual(completed);
    expect(seen).toEqual(['queued', 'generating', 'completed']);
    expect(requests.filter((request) => request.url.pathname.endsWith('/status'))).toHaveLength(3);
  });

  it('with transport sse, the events route’s error is the caller’s', async () => {
    const { transitions } = transitionsWith(statusSequence([completed]));

    await expect(transitions.wait('REQ1', { transport: 'sse' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('with transport poll, never opens the events stream', async () => {
    const { transitions, requests } = transitionsWith(statusSequence([completed], () => sseAnswer([])));

    await transitions.wait('REQ1', { transport: 'poll' });

    expect(requests.some(isEvents)).toBe(false);
  });

  it('backs off from 1 s to 5 s while nothing changes, and comes back to 1 s on a change', async () => {
    const views = [queued, queued, queued, queued, queued, queued, generating, generating, completed];
    const { transitions, waits } = transitionsWith(statusSequence(views));

    await transitions.wait('REQ1', { transport: 'poll' });

    expect(POLL_BACKOFF).toEqual({ initialMs: 1000, maxMs: 5000, factor: 1.5 });
    expect(waits).toEqual([1000, 1500, 2250, 3375, 5000, 5000, 1000, 1500]);
  });

  it('honours Retry-After on 429 and 503, and backs off on a 502 or a dropped connection', async () => {
    const views = [
      jsonAnswer(429, errorView('throttled', 'Too many requests'), { 'retry-after': '7' }),
      new Response('busy', { status: 503, headers: { 'retry-after': '2' } }),
      jsonAnswer(502, errorView('bad_gateway', 'Bad gateway')),
      queued,
      completed,
    ];
    const answers = statusSequence(views);
    let dropped = false;
    const { transitions, waits } = transitionsWith((request) => {
      if (!dropped) {
        dropped = true;
        throw new TypeError('fetch failed');
      }
      return answers(request);
    });

    const final = await transitions.wait('REQ1', { transport: 'poll' });

    expect(final).toEqual(completed);
    expect(waits).toEqual([1000, 7000, 2000, 3375, 1000]);
  });

  it('gives up after too many failed polls in a row, and at once on an error that will not pass', async () => {
    const busy = transitionsWith(statusSequence([jsonAnswer(502, errorView('bad_gateway', 'Bad gateway'))]));
    const unknown = transitionsWith(statusSequence([jsonAnswer(404, errorView('not_found', 'No such request'))]));

    await expect(busy.transitions.wait('REQ1', { transport: 'poll' })).rejects.toMatchObject({ code: 'bad_gateway' });
    expect(busy.waits).toHaveLength(MAX_TRANSIENT_FAILURES);
    await expect(unknown.transitions.wait('REQ1')).rejects.toBeInstanceOf(NotFoundError);
    expect(unknown.waits).toEqual([]);
  });

  it('throws TimeoutError with the last status seen when timeoutMs runs out', async () => {
    const { fetch } = fakeFetch((request) => (isEvents(request) ? noRoute() : jsonAnswer(200, generating)));
    // Real pauses here: the timeout is a real timer.
    const transitions = new Transitions(new HttpClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch }));

    const error = await transitions.wait('REQ1', { timeoutMs: 300 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ requestId: 'REQ1', timeoutMs: 300, lastStatus: generating });
  });
});
