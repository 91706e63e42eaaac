/**
 * The contract infra, the Lambdas, the local stack and the CLI share: each fact
 * that both sides of the deploy boundary must agree on lives in one place here.
 */
export * from './apiErrors';
export * from './env';
export * from './errorRegistry';
export * from './events';
export * from './executionEvents';
export * from './failureClasses';
export * from './functions';
export * from './names';
export * from './states';
export * from './upstreamStatus';
