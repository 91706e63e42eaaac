import { Framebridge, type StatusView } from 'framebridge/client';
import { describe, expect, it } from 'vitest';
import { fakeFetch, jsonAnswer, statusBody } from './fakeFetch';

const job = (n: number): StatusView => statusBody('COMPLETED', 'completed', { request_id: `REQ${n}` });

/** Three pages of two jobs, chained by cursors c1 and c2. */
function pagedApi() {
  const pages: Record<string, { requests: StatusView[]; next_cursor: string | null }> = {
    '': { requests: [job(1), job(2)], next_cursor: 'c1' },
    c1: { requests: [job(3), job(4)], next_cursor: 'c2' },
    c2: { requests: [job(5)], next_cursor: null },
  };
  const { fetch, requests } = fakeFetch((request) =>
    jsonAnswer(200, pages[request.url.searchParams.get('cursor') ?? '']),
  );
  return { fb: new Framebridge({ baseUrl: 'http://api.test', apiKey: 'k', fetch }), requests };
}

describe('Client: transitions.list', () => {
  it('iterates every job of every page, following next_cursor with the same query', async () => {
    const { fb, requests } = pagedApi();

    const ids: string[] = [];
    for await (const each of fb.transitions.list({ status: 'COMPLETED', limit: 2 })) ids.push(each.request_id);

    expect(ids).toEqual(['REQ1', 'REQ2', 'REQ3', 'REQ4', 'REQ5']);
    expect(requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      'GET /v2/requests?status=COMPLETED&limit=2',
      'GET /v2/requests?status=COMPLETED&limit=2&cursor=c1',
      'GET /v2/requests?status=COMPLETED&limit=2&cursor=c2',
    ]);
  });

  it('fetches a page only when the iteration reaches it', async () => {
    const { fb, requests } = pagedApi();

    for await (const each of fb.transitions.list({ limit: 2 })) {
      if (each.request_id === 'REQ3') break;
    }

    expect(requests).toHaveLength(2);
  });

  it('gives whole pages too, starting from a cursor', async () => {
    const { fb } = pagedApi();

    const pages = [];
    for await (const page of fb.transitions.list({ cursor: 'c1' }).pages()) pages.push(page);

    expect(pages.map((page) => [page.requests.length, page.next_cursor])).toEqual([
      [2, 'c2'],
      [1, null],
    ]);
  });
});
