import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/keysArgs';
import { parseLogsArgs } from '../../../cli/logsArgs';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:framebridge-transition:01JQ-01JR';

describe('Function: parseLogsArgs', () => {
  it('reads a job id on the local stack', () => {
    expect(parseLogsArgs(['01JQ0000000000000000000099'])).toEqual({
      action: 'show',
      subject: { kind: 'job', jobId: '01JQ0000000000000000000099' },
      target: { kind: 'local' },
      full: false,
      json: false,
    });
  });

  it('reads an execution ARN on a deployed stack, with --full and --json', () => {
    expect(parseLogsArgs([EXECUTION, '--outputs', 'out.json', '--stack', 'Prod', '--full', '--json'])).toEqual({
      action: 'show',
      subject: { kind: 'execution', executionArn: EXECUTION },
      target: { kind: 'deployed', outputsFile: 'out.json', stackName: 'Prod' },
      full: true,
      json: true,
    });
  });

  it.each([['--help'], ['-h']])('%s asks for the usage', (flag) => {
    expect(parseLogsArgs([flag])).toEqual({ action: 'help' });
  });

  it.each([
    [[], 'JOB_ID: is required'],
    [['a', 'b'], "Unexpected argument 'b'"],
    [['has space'], 'JOB_ID: must be 1–80 of [0-9A-Za-z_-] (got "has space")'],
    [['arn:aws:states:us-east-1:123456789012:stateMachine:m'], 'EXECUTION_ARN: is not the ARN of an execution'],
    [['job', '--stack', 'Prod'], '--stack: only goes with --outputs FILE'],
    [['job', '--verbose'], '--verbose: is not an option of `logs`'],
  ])('%j is refused: %s', (argv, message) => {
    // Act
    const attempt = () => parseLogsArgs(argv);

    // Assert
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });
});
