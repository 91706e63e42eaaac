import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { commaList, optionalPositiveInt, parseEnv } from '../../../lambdas/core/config';

const jobsTableEnv = z.object({ JOBS_TABLE_NAME: z.string().min(1) });

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
});
