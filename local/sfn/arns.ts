/**
 * Step Functions ARNs as the service reads them, so the local endpoint refuses
 * a malformed or wrong-kind ARN with InvalidArn, as AWS does, instead of
 * answering "does not exist" for a name it could never hold.
 */

export class InvalidArnError extends Error {
  override readonly name = 'InvalidArn';
}

const STATES_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):([A-Za-z]+):(.+)$/;

interface StatesArn {
  partition: string;
  region: string;
  accountId: string;
  resourceType: string;
  resource: string;
}

function parse(arn: string, expected: 'stateMachine' | 'execution'): StatesArn {
  const match = STATES_ARN.exec(arn);
  if (!match) throw new InvalidArnError(`Invalid Arn: 'Invalid ARN prefix: ${arn}'`);
  const [, partition = '', region = '', accountId = '', resourceType = '', resource = ''] = match;
  if (resourceType !== expected) {
    throw new InvalidArnError(`Invalid Arn: 'Resource type not valid in this context: ${resourceType}'`);
  }
  return { partition, region, accountId, resourceType, resource };
}

/** `arn:aws:states:<region>:<account>:stateMachine:<name>`. */
export function parseStateMachineArn(arn: string): { name: string; region: string } {
  const { resource, region } = parse(arn, 'stateMachine');
  // A qualified ARN (`<name>:<version or alias>`) names a version, which the local stack does not keep.
  if (resource.includes(':')) throw new InvalidArnError(`Invalid Arn: 'Unsupported qualified ARN: ${arn}'`);
  return { name: resource, region };
}

/** `arn:aws:states:<region>:<account>:execution:<machine name>:<execution name>`, and its machine's ARN. */
export function parseExecutionArn(arn: string): { stateMachineArn: string; name: string } {
  const { partition, region, accountId, resource } = parse(arn, 'execution');
  const parts = resource.split(':');
  const [machineName, name] = parts;
  if (parts.length !== 2 || !machineName || !name) {
    throw new InvalidArnError(`Invalid Arn: 'Execution ARN must name a state machine and an execution: ${arn}'`);
  }
  return { stateMachineArn: `arn:${partition}:states:${region}:${accountId}:stateMachine:${machineName}`, name };
}

/** The ARN of the execution of a state machine with the given name. */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}
