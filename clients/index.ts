/**
 * framebridge's TypeScript client (`framebridge/client`): fetch only, no
 * dependencies, for Node ≥ 20 and browsers.
 *
 *     const fb = new Framebridge({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'local-dev-key' });
 *     const { s3_uri: first } = await fb.uploads.create(bytes);
 *     const result = await fb.transitions.run({ prompt, first_frame_url: first, last_frame_url: last });
 */
import { type FramebridgeOptions, HttpClient } from './http';
import { Transitions } from './transitions';
import { Uploads } from './uploads';

export class Framebridge {
  readonly transitions: Transitions;
  readonly uploads: Uploads;

  constructor(options: FramebridgeOptions) {
    const http = new HttpClient(options);
    this.transitions = new Transitions(http);
    this.uploads = new Uploads(http);
  }
}

export {
  API_ERROR_CLASSES,
  BadGatewayError,
  BadRequestError,
  ConflictError,
  type ErrorDetail,
  ForbiddenError,
  FramebridgeError,
  GatewayTimeoutError,
  IdempotencyConflictError,
  InternalServerError,
  InvalidJsonError,
  JobFailedError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  TenantLimitExceededError,
  ThrottledError,
  TimeoutError,
  UNEXPECTED_RESPONSE,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors';
export type { EventsOptions, StatusEvent } from './events';
export type { FramebridgeOptions } from './http';
export type { CallOptions, JobList, ListQuery, RunOptions, SubmitOptions, Transitions } from './transitions';
export { sniffImageType, UPLOAD_REFUSED, type UploadInput, type UploadOptions, type Uploads } from './uploads';
export type {
  CancelledView,
  CompletedResult,
  JobPhase,
  JobStatus,
  ListView,
  ResultView,
  StatusView,
  SubmittedView,
  TransitionRequest,
  UploadView,
} from './views';
export type { WaitOptions, WaitTransport } from './wait';
