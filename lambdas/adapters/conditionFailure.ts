/** A conditional write that lost: DynamoDB refused it because its condition no longer held. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';
