import { describe, expect, it } from 'vitest';
import { describeApiError } from '../../../cli/runTransition';
import { errorView } from '../../../lambdas/core/apiViews';

describe('CLI: reading an error answer', () => {
  it('shows the message and its code, not an object', () => {
    const body = errorView('invalid_request', 'Invalid request: duration must be 5 when quality is 1080p', [
      { field: 'duration', rule: 'must be 5 when quality is 1080p' },
    ]);

    expect(describeApiError(body)).toBe('Invalid request: duration must be 5 when quality is 1080p [invalid_request]');
  });

  it('adds the fields and rules the message does not already name', () => {
    const body = errorView('tenant_limit_exceeded', 'The daily quota of 2 jobs is reached', [
      { field: 'maxJobsPerDay', rule: 'at most 2 jobs per UTC day' },
    ]);

    expect(describeApiError(body)).toBe(
      'The daily quota of 2 jobs is reached [tenant_limit_exceeded] (maxJobsPerDay at most 2 jobs per UTC day)',
    );
  });

  it('shows any other body as it came', () => {
    expect(describeApiError({ error: { code: 'not_found', message: 'old shape' } })).toBe(
      '{"error":{"code":"not_found","message":"old shape"}}',
    );
  });
});
