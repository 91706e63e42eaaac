import type { Context } from 'aws-lambda';
import { vi } from 'vitest';

/** The Lambda context the middy-wrapped handlers and the Powertools logger read. */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2025/03/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Stubs a function's environment as Lambda sets it: the given variables plus
 * the region and (fixed, fake) credentials the SDK clients and presigners read.
 * Handlers parse their environment at module scope: call this before importing one.
 */
export function stubLambdaEnv(variables: Record<string, string>): void {
  const lambda = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: '',
  };
  for (const [name, value] of Object.entries({ ...lambda, ...variables })) vi.stubEnv(name, value);
}
