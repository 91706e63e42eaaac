import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../../lambdas/core/config';
import { FUNCTION_ENTRIES, FUNCTION_ENV } from '../../../../lambdas/core/contract';

const table = { JOBS_TABLE_NAME: 'jobs' };

describe('Contract: each function parses its own environment', () => {
  it('names a handler module for every function that has an environment, and no other', () => {
    expect(Object.keys(FUNCTION_ENTRIES).sort()).toEqual(Object.keys(FUNCTION_ENV).sort());
  });

  it('defaults the Segmind base URL and accepts a local key', () => {
    expect(parseEnv(FUNCTION_ENV.checkStatus, { ...table, SEGMIND_API_KEY: 'sg_local' })).toMatchObject({
      SEGMIND_BASE_URL: 'https://api.segmind.com',
      SEGMIND_API_KEY: 'sg_local',
    });
  });

  it('accepts a plain-http base URL set by the operator', () => {
    expect(
      parseEnv(FUNCTION_ENV.submit, {
        ...table,
        BUCKET_NAME: 'b',
        SEGMIND_BASE_URL: 'http://127.0.0.1:4010',
        SEGMIND_API_KEY_SECRET_ARN: 'arn:secret',
      }),
    ).toMatchObject({ SEGMIND_BASE_URL: 'http://127.0.0.1:4010' });
  });

  it('demands a Segmind key source, naming the secret variable', () => {
    expect(() => parseEnv(FUNCTION_ENV.checkStatus, table)).toThrow(
      /SEGMIND_API_KEY_SECRET_ARN: set SEGMIND_API_KEY_SECRET_ARN/,
    );
  });

  it('refuses a Segmind base URL that is not http(s)', () => {
    expect(() =>
      parseEnv(FUNCTION_ENV.checkStatus, { ...table, SEGMIND_BASE_URL: 'ftp://segmind.example', SEGMIND_API_KEY: 'k' }),
    ).toThrow(/SEGMIND_BASE_URL: must be an http\(s\) URL/);
  });

  it('demands a webhook signing secret source for Deliver Webhook', () => {
    expect(() => parseEnv(FUNCTION_ENV.deliverWebhook, table)).toThrow(/WEBHOOK_SECRET_ARN: set WEBHOOK_SECRET_ARN/);
  });

  it.each([
    [{}, 3600],
    [{ FRAMEBRIDGE_RESULT_URL_TTL_S: '600' }, 600],
  ])('reads the result URL TTL from %j as %i s', (env, ttl) => {
    expect(parseEnv(FUNCTION_ENV.getResult, { ...table, BUCKET_NAME: 'b', ...env }).FRAMEBRIDGE_RESULT_URL_TTL_S).toBe(
      ttl,
    );
  });

  it('turns the private-callbacks switch into a boolean, off unless "1"', () => {
    const base = { ...table, BUCKET_NAME: 'b', STATE_MACHINE_ARN: 'arn:sm' };
    expect(parseEnv(FUNCTION_ENV.createTransition, base).FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS).toBe(false);
    expect(
      parseEnv(FUNCTION_ENV.createTransition, { ...base, FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS: '1' })
        .FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS,
    ).toBe(true);
  });
});
