import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/adapters/logger';
import { applyEnvironment } from '../../../local/lambdaEnvironment';

describe('applyEnvironment', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    logger.setLogLevel('INFO');
  });

  it('sets and clears variables in this process, as Lambda sets them before init', () => {
    vi.stubEnv('FRAMEBRIDGE_TEST_GONE', 'x');
    applyEnvironment({ FRAMEBRIDGE_TEST_SET: 'y', FRAMEBRIDGE_TEST_GONE: undefined });
    expect(process.env.FRAMEBRIDGE_TEST_SET).toBe('y');
    expect(process.env.FRAMEBRIDGE_TEST_GONE).toBeUndefined();
    delete process.env.FRAMEBRIDGE_TEST_SET;
  });

  it('gives the shared logger, built before the environment was applied, the level it names', () => {
    logger.setLogLevel('INFO');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', undefined);
    applyEnvironment({ POWERTOOLS_LOG_LEVEL: 'error' });
    expect(logger.getLevelName()).toBe('ERROR');
  });

  it('refuses a level Powertools does not know, naming the variable', () => {
    expect(() => applyEnvironment({ POWERTOOLS_LOG_LEVEL: 'loud' })).toThrow(/FRAMEBRIDGE_LOG_LEVEL.*WARN.*'loud'/);
  });
});
