import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The SDK clients' default credential provider inside a Lambda bundle, where
 * `TransitionFunction` bundles this module in place of
 * `@aws-sdk/credential-provider-node` (the only thing the clients import from
 * it). Lambda hands every function its role's credentials in
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, the first
 * link of the default chain, and the local stack sets the same variables; the
 * other links (INI files, SSO, process, web identity, container and instance
 * metadata, with their nested STS/SSO clients) never answer there but weigh
 * ~130 kB and ~20 ms of cold start in every bundle. Code outside the bundles
 * (the CLI, the local stack) keeps the full chain.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
