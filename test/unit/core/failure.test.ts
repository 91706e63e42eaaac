import { describe, expect, it } from 'vitest';
import {
  failureCodeForErrorName,
  type JobFailureCode,
  UpstreamRejectedError,
  type UpstreamRejectionStatus,
} from '../../../lambdas/core/errors';
import { describeFailure } from '../../../lambdas/core/failure';

const jobId = '01JTESTJOB0000000000000000';

/** What a Step Functions Catch puts at `$.error` for a Lambda task that threw. */
function lambdaCause(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at handler'] });
}

describe('Core: describeFailure', () => {
  it.each<[string, JobFailureCode]>([
    ['ValidationError', 'invalid_request'],
    ['UpstreamThrottledError', 'upstream_throttled'],
    ['UpstreamUnavailableError', 'upstream_unavailable'],
    ['SubmitOutcomeUnknownError', 'submit_outcome_unknown'],
    ['UpstreamExpiredError', 'upstream_expired'],
    ['UpstreamJobFailedError', 'upstream_failed'],
    ['UpstreamTimeoutError', 'upstream_timeout'],
    ['InvalidUpstreamOutputError', 'invalid_upstream_output'],
    ['VideoRejectedError', 'video_rejected'],
    ['VideoDownloadError', 'video_download_failed'],
  ])('maps %s to %s and keeps its message', (errorType, code) => {
    // Arrange
    const message = `what went wrong in ${errorType}`;

    // Act
    const failure = describeFailure({ jobId, error: { Error: errorType, Cause: lambdaCause(errorType, message) } });

    // Assert
    expect(failure).toEqual({ code, message });
  });

  it.each<[UpstreamRejectionStatus, JobFailureCode]>([
    [400, 'upstream_bad_request'],
    [401, 'upstream_unauthorized'],
    [403, 'upstream_forbidden'],
    [406, 'upstream_insufficient_credits'],
    [410, 'upstream_model_retired'],
  ])('maps UpstreamRejectedError (HTTP %i) to %s from the message it carries', (status, code) => {
    // Arrange: the message as the real error builds it, serialised by Lambda.
    const thrown = new UpstreamRejectedError(status, 'Segmind rejected the submit');

    // Act
    const failure = describeFailure({
      jobId,
      error: { Error: thrown.name, Cause: lambdaCause(thrown.name, thrown.message) },
    });

    // Assert
    expect(failure.code).toBe(code);
    expect(failure.code).toBe(thrown.code);
    expect(failure.message).toContain(`(HTTP ${status})`);
  });

  it('says who rejected and the HTTP status once, however the message arrives', () => {
    const fromProvider = new UpstreamRejectedError(400, 'Segmind rejected the submit (HTTP 400): prompt too long');
    const bare = new UpstreamRejectedError(406, 'no credits');

    expect(fromProvider.message).toBe('Segmind rejected the submit (HTTP 400): prompt too long');
    expect(bare.message).toBe('Segmind rejected the request (HTTP 406): no credits');
    expect([fromProvider.code, bare.code]).toEqual(['upstream_bad_request', 'upstream_insufficient_credits']);
  });

  it('maps an UpstreamRejectedError message without a known status to upstream_bad_request', () => {
    const failure = describeFailure({
      jobId,
      error: { Error: 'UpstreamRejectedError', Cause: lambdaCause('UpstreamRejectedError', 'no status here') },
    });

    expect(failure).toEqual({ code: 'upstream_bad_request', message: 'no status here' });
  });

  it('reads the errorMessage out of a Lambda-style Cause', () => {
    const failure = describeFailure({
      jobId,
      error: {
        Error: 'VideoRejectedError',
        Cause: JSON.stringify({ errorType: 'VideoRejectedError', errorMessage: 'not an MP4' }),
      },
    });

    expect(failure.message).toBe('not an MP4');
  });

  it('keeps a plain-string Cause as the message', () => {
    const failure = describeFailure({
      jobId,
      error: { Error: 'UpstreamTimeoutError', Cause: 'Segmind did not finish within 3000 s' },
    });

    expect(failure).toEqual({ code: 'upstream_timeout', message: 'Segmind did not finish within 3000 s' });
  });

  it.each([null, undefined, ''])('falls back to the error name when the Cause is %j', (cause) => {
    const failure = describeFailure({ jobId, error: { Error: 'VideoDownloadError', Cause: cause } });

    expect(failure).toEqual({ code: 'video_download_failed', message: 'VideoDownloadError' });
  });

  it('maps States.Timeout to timeout with a fixed message', () => {
    const failure = describeFailure({ jobId, error: { Error: 'States.Timeout', Cause: null } });

    expect(failure).toEqual({ code: 'timeout', message: 'A step of the workflow timed out' });
  });

  it.each(['TypeError', 'Lambda.ServiceException', 'States.TaskFailed', 'JobNotFoundError'])(
    'maps unknown error %s to internal_error without leaking its details',
    (errorType) => {
      // Arrange
      const secret = 'connect ECONNREFUSED 10.0.3.7:5432 at /var/task/index.mjs:12';

      // Act
      const failure = describeFailure({ jobId, error: { Error: errorType, Cause: lambdaCause(errorType, secret) } });

      // Assert
      expect(failure.code).toBe('internal_error');
      expect(failure.message).not.toContain(secret);
      expect(failure.message).toMatch(/internally/);
      expect(failure.internalDetail).toBe(`${errorType}: ${secret}`);
    },
  );

  it('describes an upstream FAILED status (no caught error) with the upstream message', () => {
    const failure = describeFailure({ jobId, status: 'FAILED', upstreamError: 'NSFW content detected' });

    expect(failure).toEqual({ code: 'upstream_failed', message: 'NSFW content detected' });
  });

  it('describes an upstream FAILED status without a message', () => {
    const failure = describeFailure({ jobId, status: 'FAILED' });

    expect(failure.code).toBe('upstream_failed');
    expect(failure.message).toContain('FAILED');
    expect(failure.internalDetail).toBeUndefined();
  });
});

describe('Core: failureCodeForErrorName', () => {
  it('answers internal_error for a name it does not know', () => {
    expect(failureCodeForErrorName('SomethingElse')).toBe('internal_error');
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'does not resolve %s from the object prototype',
    (name) => {
      expect(failureCodeForErrorName(name)).toBe('internal_error');
    },
  );
});
