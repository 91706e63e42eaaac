import { describe, expect, it } from 'vitest';
import { describeExecutionEnd } from '../../../lambdas/core/executionEnd';

describe('Core: describeExecutionEnd', () => {
  it.each([
    ['FAILED', 'execution_failed', "The job's workflow execution failed before the job's failure could be recorded"],
    ['TIMED_OUT', 'execution_timed_out', "The job's workflow execution reached its time limit before the job finished"],
    ['ABORTED', 'execution_aborted', "The job's workflow execution was stopped from outside framebridge"],
  ] as const)('gives an execution that ended %s the code %s and a message saying so', (status, code, message) => {
    // Act
    const failure = describeExecutionEnd({ status });

    // Assert
    expect(failure).toEqual({ code, message });
  });

  it("keeps a Lambda cause's message, not its JSON or trace", () => {
    // Arrange
    const cause = JSON.stringify({ errorType: 'Error', errorMessage: 'boom', trace: ['Error: boom', '  at x'] });

    // Act
    const { message } = describeExecutionEnd({ status: 'FAILED', error: 'Error', cause });

    // Assert
    expect(message).toMatch(/ \(Error: boom\)$/);
  });

  it('names whatever an operator gave StopExecution', () => {
    // Act
    const { message } = describeExecutionEnd({ status: 'ABORTED', error: null, cause: 'stuck since Tuesday' });

    // Assert
    expect(message).toBe("The job's workflow execution was stopped from outside framebridge (stuck since Tuesday)");
  });

  it('redacts presigned URL signatures and shortens a long cause', () => {
    // Arrange
    const cause = `https://b.s3.amazonaws.com/f.png?X-Amz-Signature=deadbeef ${'x'.repeat(2000)}`;

    // Act
    const { message } = describeExecutionEnd({ status: 'FAILED', error: 'States.Runtime', cause });

    // Assert
    expect(message).toContain('X-Amz-Signature=[redacted]');
    expect(message).not.toContain('deadbeef');
    expect(message.length).toBeLessThan(700);
    expect(message).toMatch(/…\)$/);
  });
});
