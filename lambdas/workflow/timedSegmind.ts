import { segmindApiKey } from '../adapters/segmindKey';
import { SegmindClient } from '../providers/segmind';

/** The time one upstream call may take, out of what remains of the invocation. */
export interface CallOptions {
  timeoutMs: number;
}

/** Segmind's calls as the workflow's steps make them: each with its own timeout. */
export interface TimedSegmind {
  submit(body: Record<string, unknown>, options: CallOptions): ReturnType<SegmindClient['submit']>;
  status(requestId: string, options: CallOptions): ReturnType<SegmindClient['status']>;
  result(requestId: string, options: CallOptions): ReturnType<SegmindClient['result']>;
}

/**
 * Segmind with a timeout per call. The client fixes its timeout when it is
 * made, so each call gets a client of its own: cheap (options checked, no
 * connection held), and the key is read once per cold start by `segmindApiKey`.
 */
export function timedSegmindFrom(env: {
  SEGMIND_BASE_URL: string;
  SEGMIND_API_KEY?: string;
  SEGMIND_API_KEY_SECRET_ARN?: string;
}): TimedSegmind {
  const within = ({ timeoutMs }: CallOptions) =>
    new SegmindClient({ baseUrl: env.SEGMIND_BASE_URL, apiKey: () => segmindApiKey(env), timeoutMs });
  return {
    submit: (body, options) => within(options).submit(body),
    status: (requestId, options) => within(options).status(requestId),
    result: (requestId, options) => within(options).result(requestId),
  };
}
