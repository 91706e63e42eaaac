import { describe, expect, it } from 'vitest';
import { FAILURE_CLASS_OF, failureClassOf } from '../../../../lambdas/core/contract';

describe('Contract: failure classes', () => {
  it('does not page for what the user or the upstream caused: moderation, bad frames, the upstream failing', () => {
    for (const code of ['upstream_failed', 'upstream_bad_request', 'invalid_request', 'video_rejected', 'cancelled']) {
      expect(failureClassOf(code), code).not.toBe('system');
    }
  });

  it('pages for our code, AWS, timeouts, ambiguous paid submits and our Segmind account', () => {
    for (const code of [
      'internal_error',
      'timeout',
      'execution_failed',
      'execution_timed_out',
      'execution_aborted',
      'submit_outcome_unknown',
      'upstream_unauthorized',
      'upstream_insufficient_credits',
    ]) {
      expect(failureClassOf(code), code).toBe('system');
    }
  });

  it('counts a code it does not know as a system failure', () => {
    expect(failureClassOf('something_new')).toBe('system');
    expect(Object.keys(FAILURE_CLASS_OF)).not.toContain('something_new');
  });
});
