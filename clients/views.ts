import type {
  CancelledView,
  ListView,
  ResultView,
  StatusView,
  SubmittedView,
  UploadView,
} from '../lambdas/core/apiViews';
import type { TransitionRequestInput } from '../lambdas/core/schemas';

/*
 * The API's answer types, taken from the zod schemas the handlers answer with
 * (type-only imports: no zod ships with the client). The guards below check
 * what the client branches on, not every field: the full validation is the
 * server's, and a client that parsed every field would refuse a server one
 * optional field newer than itself.
 */

export type { CancelledView, ListView, ResultView, StatusView, SubmittedView, UploadView };
/** The body of a submit, as the API takes it (defaults may be left out). */
export type TransitionRequest = TransitionRequestInput;
export type JobStatus = StatusView['status'];
export type JobPhase = StatusView['phase'];
/** A result whose video is ready: what `run` answers. */
export type CompletedResult = Extract<ResultView, { status: 'COMPLETED'; metrics: unknown }>;

const STATUSES: readonly string[] = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED'] satisfies JobStatus[];

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isTerminal = (view: Pick<StatusView, 'status'>): boolean =>
  view.status === 'COMPLETED' || view.status === 'FAILED';

export function isStatusView(value: unknown): value is StatusView {
  return (
    isRecord(value) &&
    typeof value.request_id === 'string' &&
    typeof value.status === 'string' &&
    STATUSES.includes(value.status) &&
    typeof value.phase === 'string' &&
    typeof value.updated_at === 'string'
  );
}

export const isCancelledView = (value: unknown): value is CancelledView =>
  isStatusView(value) && 'note' in value && typeof value.note === 'string';

export const isSubmittedView = (value: unknown): value is SubmittedView =>
  isRecord(value) &&
  typeof value.request_id === 'string' &&
  value.status === 'QUEUED' &&
  typeof value.status_url === 'string';

export const isListView = (value: unknown): value is ListView =>
  isRecord(value) &&
  Array.isArray(value.requests) &&
  value.requests.every(isStatusView) &&
  (value.next_cursor === null || typeof value.next_cursor === 'string');

export function isResultView(value: unknown): value is ResultView {
  if (!isRecord(value) || typeof value.request_id !== 'string' || typeof value.status !== 'string') return false;
  if (!STATUSES.includes(value.status)) return false;
  return (
    value.output === null ||
    value.output === undefined ||
    (isRecord(value.output) && typeof value.output.video_url === 'string')
  );
}

export const isCompletedResult = (value: ResultView): value is CompletedResult =>
  value.status === 'COMPLETED' && 'output' in value && value.output !== null;

export const isUploadView = (value: unknown): value is UploadView =>
  isRecord(value) &&
  typeof value.upload_url === 'string' &&
  value.method === 'PUT' &&
  typeof value.s3_uri === 'string' &&
  isRecord(value.headers) &&
  typeof value.headers['content-type'] === 'string' &&
  typeof value.headers['content-length'] === 'string';
