import { describe, expect, it } from 'vitest';
import { parseKeysArgs, UsageError } from '../../../cli/keysArgs';

const local = { kind: 'local' } as const;

describe('Function: parseKeysArgs', () => {
  it('reads keys create with its limits, aimed at the local stack by default', () => {
    expect(
      parseKeysArgs(['create', '--tenant', 'acme', '--max-active-jobs', '3', '--max-jobs-per-day', '100']),
    ).toEqual({
      action: 'create',
      tenantId: 'acme',
      limits: { maxActiveJobs: 3, maxJobsPerDay: 100 },
      target: local,
      json: false,
    });
  });

  it('leaves unset limits to the defaults', () => {
    expect(parseKeysArgs(['create', '--tenant=acme'])).toMatchObject({
      limits: { maxActiveJobs: undefined, maxJobsPerDay: undefined },
    });
  });

  it('reads keys list, with or without a tenant, and --json', () => {
    expect(parseKeysArgs(['list'])).toEqual({ action: 'list', tenantId: undefined, target: local, json: false });
    expect(parseKeysArgs(['list', '--tenant', 'globex', '--json'])).toEqual({
      action: 'list',
      tenantId: 'globex',
      target: local,
      json: true,
    });
  });

  it('reads keys revoke KEY_ID against a deployed stack', () => {
    expect(
      parseKeysArgs(['revoke', 'key-0123456789abcdef', '--outputs', 'cdk-outputs.json', '--stack', 'Framebridge']),
    ).toEqual({
      action: 'revoke',
      keyId: 'key-0123456789abcdef',
      target: { kind: 'deployed', outputsFile: 'cdk-outputs.json', stackName: 'Framebridge' },
      json: false,
    });
  });

  it.each([[[]], [['help']], [['--help']], [['create', '--help']], [['revoke', '-h']]])(
    'answers help for %j',
    (argv) => {
      expect(parseKeysArgs(argv)).toEqual({ action: 'help' });
    },
  );

  it.each([
    [['create'], '--tenant: is required'],
    [
      ['create', '--tenant', 'Acme Corp'],
      '--tenant: must be 1–63 lower-case letters, digits, "-" or "_", starting with a letter or digit (got "Acme Corp")',
    ],
    [
      ['create', '--tenant', 'acme', '--max-active-jobs', '0'],
      '--max-active-jobs: must be a whole number from 1 to 999999999 (got "0")',
    ],
    [
      ['create', '--tenant', 'acme', '--max-jobs-per-day', '2.5'],
      '--max-jobs-per-day: must be a whole number from 1 to 999999999 (got "2.5")',
    ],
    [['create', '--tenant', 'acme', '--max-jobs-per-day', '1e3'], '--max-jobs-per-day: must be a whole number'],
    [['create', '--tenant', 'acme', '--bogus'], '--bogus: is not an option of `keys create`'],
    [['create', '--tenant', 'acme', 'extra'], "Unexpected argument 'extra'"],
    [['list', '--max-active-jobs', '3'], '--max-active-jobs: is not an option of `keys list`'],
    [['list', '--stack', 'Framebridge'], '--stack: only goes with --outputs FILE'],
    [['list', '--outputs', ''], '--outputs: must name a file'],
    [['revoke'], 'KEY_ID: is required'],
    [['revoke', 'fb_secret'], 'KEY_ID: must be a key id: "key-" and 16 hex digits'],
    [['revoke', 'key-0123456789abcdef', 'key-fedcba9876543210'], 'KEY_ID: give one key id (got 2)'],
    [['rotate'], "Unknown keys command 'rotate': use create, list or revoke"],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseKeysArgs(argv)).toThrow(UsageError);
    expect(() => parseKeysArgs(argv)).toThrow(message);
  });

  it('names every broken flag at once', () => {
    expect(() => parseKeysArgs(['create', '--tenant', 'A', '--max-active-jobs', '-'])).toThrow(
      /--tenant: .*\n--max-active-jobs: /,
    );
  });
});
