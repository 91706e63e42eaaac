/**
 * How Step Functions names a Task state's service integration in Task* history
 * events: `arn:aws:states:::lambda:invoke` is resourceType `lambda`, resource
 * `invoke`; `…:::aws-sdk:dynamodb:getItem` is `aws-sdk:dynamodb` / `getItem`;
 * `…:::states:startExecution.sync:2` is `states` / `startExecution.sync:2`.
 * Anything else (a Lambda function or activity ARN) is not an integration:
 * AWS reports those with LambdaFunction* / Activity* events, which the local
 * stack does not run.
 */
export interface TaskResource {
  resourceType: string;
  resource: string;
}

const INTEGRATION = /^arn:[^:]+:states:::(.+)$/;

export function taskResourceOf(resourceArn: string): TaskResource | undefined {
  const path = INTEGRATION.exec(resourceArn)?.[1];
  if (!path) return undefined;
  const parts = path.split(':');
  const typeLength = parts[0] === 'aws-sdk' ? 2 : 1;
  if (parts.length <= typeLength) return undefined;
  return { resourceType: parts.slice(0, typeLength).join(':'), resource: parts.slice(typeLength).join(':') };
}
