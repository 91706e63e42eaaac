import type { ServerResponse } from 'node:http';

/**
 * Scriptable faults: what the emulator answers instead of the normal reply, so
 * tests can put the pipeline through every way the real upstream misbehaves.
 */

/** An HTTP answer in place of the real one, a dropped connection, or no answer at all. */
export type HttpFault =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'hang' };

/**
 * A submit fault. The `accept-then-*` kinds accept (and bill) the job, then the
 * connection breaks, hangs, or a gateway in front answers `status` (a 502 or 504
 * after the upstream accepted): the client cannot know the outcome.
 */
export type SubmitFault =
  | HttpFault
  | { kind: 'accept-then-reset' }
  | { kind: 'accept-then-hang' }
  | { kind: 'accept-then-answer'; status: number; body?: unknown };

/** How one download of the finished video misbehaves. */
export type VideoFault = 'redirect' | 'html' | 'empty' | 'truncate' | 'oversize-declared' | 'stall' | 'server-error';

/** Applies an HTTP fault to a response. Hung responses end when the server closes. */
export function applyHttpFault(res: ServerResponse, fault: HttpFault): void {
  if ('kind' in fault) {
    if (fault.kind === 'reset') res.socket?.destroy();
    return;
  }
  const text =
    fault.body === undefined ? JSON.stringify({ error: `Injected HTTP ${fault.status}` }) : JSON.stringify(fault.body);
  res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
  res.end(text);
}

/** Serves one faulty download of a video of `size` bytes whose first bytes are `head`. */
export function applyVideoFault(
  res: ServerResponse,
  fault: VideoFault,
  head: Buffer,
  size: number,
  selfUrl: string,
): void {
  switch (fault) {
    case 'redirect':
      res.writeHead(302, { location: `${selfUrl}?redirected=1` });
      res.end();
      return;
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    case 'empty':
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '0' });
      res.end();
      return;
    case 'truncate':
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(size) });
      res.write(head.subarray(0, Math.floor(head.length / 2)), () => res.socket?.destroy());
      return;
    case 'oversize-declared':
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(50 * 1024 ** 3) });
      res.write(head, () => res.socket?.destroy());
      return;
    case 'stall':
      // Headers and a first chunk, then silence until the client gives up.
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(size) });
      res.write(head.subarray(0, Math.min(head.length, 4096)));
      return;
    case 'server-error':
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
      return;
  }
}
