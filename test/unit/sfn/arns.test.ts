import { describe, expect, it } from 'vitest';
import { InvalidArnError, parseExecutionArn, parseStateMachineArn } from '../../../local/sfn/arns';
import { taskResourceOf } from '../../../local/sfn/taskResource';

describe('Function: parseStateMachineArn / parseExecutionArn', () => {
  it('reads a machine ARN and finds the machine of an execution ARN', () => {
    expect(parseStateMachineArn('arn:aws:states:eu-west-1:123456789012:stateMachine:m')).toEqual({
      name: 'm',
      region: 'eu-west-1',
    });
    expect(parseExecutionArn('arn:aws:states:eu-west-1:123456789012:execution:m:run-1')).toEqual({
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:m',
      name: 'run-1',
    });
  });

  it.each([
    ['not an ARN', () => parseStateMachineArn('m'), 'Invalid ARN prefix'],
    [
      'an execution ARN for a machine',
      () => parseStateMachineArn('arn:aws:states:eu-west-1:123456789012:execution:m:r'),
      'Resource type not valid in this context: execution',
    ],
    [
      'a machine ARN for an execution',
      () => parseExecutionArn('arn:aws:states:eu-west-1:123456789012:stateMachine:m'),
      'Resource type not valid in this context: stateMachine',
    ],
    [
      'an execution ARN without its name',
      () => parseExecutionArn('arn:aws:states:eu-west-1:123456789012:execution:m'),
      'must name a state machine and an execution',
    ],
  ])('refuses %s with InvalidArn', (_case, parse, message) => {
    expect(parse).toThrow(InvalidArnError);
    expect(parse).toThrow(message);
  });
});

describe('Function: taskResourceOf', () => {
  it.each([
    ['arn:aws:states:::lambda:invoke', { resourceType: 'lambda', resource: 'invoke' }],
    ['arn:aws:states:::events:putEvents', { resourceType: 'events', resource: 'putEvents' }],
    ['arn:aws:states:::states:startExecution.sync:2', { resourceType: 'states', resource: 'startExecution.sync:2' }],
    ['arn:aws:states:::aws-sdk:dynamodb:getItem', { resourceType: 'aws-sdk:dynamodb', resource: 'getItem' }],
    ['arn:aws:lambda:us-east-1:123456789012:function:f', undefined],
  ])('%s', (arn, expected) => {
    expect(taskResourceOf(arn)).toEqual(expected);
  });
});
