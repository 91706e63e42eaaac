import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';

/**
 * Lambda runs one invocation at a time in an execution environment; the local
 * stack runs every function's invocations at once in one process, where they
 * share module singletons such as the Powertools logger, and the last
 * invocation to start would name itself in everyone's logs. Lambda's runtime
 * for concurrent invocations keeps per-invocation state in its InvokeStore,
 * backed by AsyncLocalStorage when `AWS_LAMBDA_MAX_CONCURRENCY` is set, and
 * Powertools scopes its state to it; the local runtime does the same.
 */
process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';

// The runtime's own store, installed on the `awslambda` global where Powertools and the SDK look for it.
// Awaited here, so no importer runs before it is there: with the variable above set and no store,
// Powertools throws 'InvokeStore is not available' on any log outside an invocation.
const store = await InvokeStore.getInstanceAsync(true);

/** Runs one invocation with its request id in scope, as Lambda's runtime does. */
export function inInvocationScope<T>(requestId: string, run: () => Promise<T>): Promise<T> {
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, run);
}
