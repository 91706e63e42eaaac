import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyEnvironment } from '../../../local/lambdaEnvironment';

describe('applyEnvironment', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    delete process.env.FRAMEBRIDGE_TEST_SET;
  });

  it('sets and clears variables in this process, as Lambda sets them before init', () => {
    vi.stubEnv('FRAMEBRIDGE_TEST_GONE', 'x');
    applyEnvironment({ FRAMEBRIDGE_TEST_SET: 'y', FRAMEBRIDGE_TEST_GONE: undefined });
    expect(process.env.FRAMEBRIDGE_TEST_SET).toBe('y');
    expect(process.env.FRAMEBRIDGE_TEST_GONE).toBeUndefined();
  });
});
