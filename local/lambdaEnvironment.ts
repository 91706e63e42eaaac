import { AWS_ONLY_ENV, ENV } from '../lambdas/core/contract';
import type { LocalTemplate } from './template';

/**
 * Variables the local stack does not pass on: the contract's AWS-only ones (their
 * local twins come from the environment instead) and NODE_OPTIONS, which would
 * change this very process.
 */
const NOT_PASSED_ON = new Set([...AWS_ONLY_ENV, 'NODE_OPTIONS']);

/** Where the handlers find the local services, and the settings Lambda would get from secrets. */
export interface LocalLambdaSettings {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  s3Url: string;
  dynamoDbUrl: string;
  stepFunctionsUrl: string;
  segmindUrl: string;
  segmindApiKey: string | undefined;
  webhookSecret: string;
  pollFirstSeconds: number | undefined;
  pollIntervalSeconds: number | undefined;
  /** Extra variables, applied last. */
  extra: Record<string, string> | undefined;
}

/** The union of every function's environment from the template; two functions may not disagree. */
export function templateEnvironment(template: LocalTemplate): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const fn of Object.values(template.functionsByArn)) {
    for (const [name, value] of Object.entries(fn.environment)) {
      if (NOT_PASSED_ON.has(name)) continue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (merged[name] !== undefined && merged[name] !== text) {
        throw new Error(
          `Functions disagree on ${name} (${merged[name]} vs ${text}); the local stack shares one environment`,
        );
      }
      merged[name] = text;
    }
  }
  return merged;
}

/** What the template sets, pointed at the local services; `undefined` unsets a variable. */
export function localLambdaEnvironment(
  template: LocalTemplate,
  settings: LocalLambdaSettings,
): Record<string, string | undefined> {
  const { pollFirstSeconds: pollFirst, pollIntervalSeconds: pollInterval } = settings;
  return {
    ...templateEnvironment(template),
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: settings.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: settings.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: settings.s3Url,
    AWS_ENDPOINT_URL_DYNAMODB: settings.dynamoDbUrl,
    AWS_ENDPOINT_URL_SFN: settings.stepFunctionsUrl,
    [ENV.s3ForcePathStyle]: '1',
    POWERTOOLS_LOG_LEVEL: process.env.FRAMEBRIDGE_LOG_LEVEL ?? 'WARN',
    POWERTOOLS_DEV: 'false',
    [ENV.segmindBaseUrl]: settings.segmindUrl,
    [ENV.segmindApiKey]: settings.segmindApiKey,
    [ENV.webhookSecret]: settings.webhookSecret,
    [ENV.allowPrivateCallbacks]: process.env[ENV.allowPrivateCallbacks] ?? '1',
    [ENV.pollFirst]: pollFirst === undefined ? undefined : String(pollFirst),
    [ENV.pollInterval]: pollInterval === undefined ? undefined : String(pollInterval),
    ...settings.extra,
  };
}

/** Handlers run in this process and read their configuration from it, as in Lambda. */
export function applyEnvironment(environment: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}
