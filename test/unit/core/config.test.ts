import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  commaList,
  jobsTableEnv,
  optionalPositiveInt,
  parseEnv,
  resultUrlEnv,
  segmindEnv,
} from '../../../lambdas/core/config';

describe('Core: parseEnv', () => {
  it('answers the parsed environment', () => {
    expect(parseEnv(jobsTableEnv, { JOBS_TABLE_NAME: 'jobs' })).toEqual({ JOBS_TABLE_NAME: 'jobs' });
  });

  it('fails fast naming every bad variable', () => {
    // Arrange
    const schema = jobsTableEnv.extend({ FRAMEBRIDGE_POLL_FIRST_S: optionalPositiveInt });

    // Act / Assert
    expect(() => parseEnv(schema, { FRAMEBRIDGE_POLL_FIRST_S: 'soon' })).toThrow(
      /Invalid configuration: .*JOBS_TABLE_NAME: .*; FRAMEBRIDGE_POLL_FIRST_S: must be a positive whole number/,
    );
  });

  it('reads process.env by default', () => {
    expect(parseEnv(z.object({ POWERTOOLS_LOG_LEVEL: z.string() }))).toEqual({ POWERTOOLS_LOG_LEVEL: 'SILENT' });
  });
});

describe('Core: environment schemas', () => {
  it.each([
    ['30', 30],
    [undefined, undefined],
  ])('optionalPositiveInt reads %j as %j', (value, parsed) => {
    expect(optionalPositiveInt.parse(value)).toBe(parsed);
  });

  it.each(['0', '-1', '1.5', '07', 'abc', ''])('optionalPositiveInt refuses %j', (value) => {
    expect(optionalPositiveInt.safeParse(value).success).toBe(false);
  });

  it('commaList splits, trims and drops empty items', () => {
    expect(commaList.parse(' cdn.example.com, ,*.videos.example.net,')).toEqual([
      'cdn.example.com',
      '*.videos.example.net',
    ]);
  });

  it('segmindEnv defaults the base URL and accepts a local key', () => {
    expect(segmindEnv.parse({ SEGMIND_API_KEY: 'sg_local' })).toMatchObject({
      SEGMIND_BASE_URL: 'https://api.segmind.com',
      SEGMIND_API_KEY: 'sg_local',
    });
  });

  it('segmindEnv accepts a plain-http base URL set by the operator', () => {
    expect(
      segmindEnv.parse({ SEGMIND_BASE_URL: 'http://127.0.0.1:4010', SEGMIND_API_KEY_SECRET_ARN: 'arn:secret' }),
    ).toMatchObject({ SEGMIND_BASE_URL: 'http://127.0.0.1:4010' });
  });

  it('segmindEnv demands a key source, naming the secret variable', () => {
    expect(() => parseEnv(segmindEnv, {})).toThrow(/SEGMIND_API_KEY_SECRET_ARN: set SEGMIND_API_KEY_SECRET_ARN/);
  });

  it('segmindEnv refuses a base URL that is not http(s)', () => {
    expect(() => parseEnv(segmindEnv, { SEGMIND_BASE_URL: 'ftp://segmind.example', SEGMIND_API_KEY: 'k' })).toThrow(
      /SEGMIND_BASE_URL: must be an http\(s\) URL/,
    );
  });

  it.each([
    [{}, 3600],
    [{ FRAMEBRIDGE_RESULT_URL_TTL_S: '600' }, 600],
  ])('resultUrlEnv reads %j as a TTL of %i s', (env, ttl) => {
    expect(parseEnv(resultUrlEnv, env)).toEqual({ FRAMEBRIDGE_RESULT_URL_TTL_S: ttl });
  });
});
