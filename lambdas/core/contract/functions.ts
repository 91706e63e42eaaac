import type { FunctionName } from './env';

/** The handler module of each function, relative to the repository root. */
export const FUNCTION_ENTRIES = {
  createTransition: 'lambdas/jobs/createTransition.ts',
  getStatus: 'lambdas/jobs/getStatus.ts',
  getResult: 'lambdas/jobs/getResult.ts',
  cancelRequest: 'lambdas/jobs/cancelRequest.ts',
  listRequests: 'lambdas/jobs/listRequests.ts',
  createUpload: 'lambdas/uploads/createUpload.ts',
  getOpenApi: 'lambdas/openapi/getOpenApi.ts',
  streamEvents: 'lambdas/jobs/streamEvents.ts',
  syncTransition: 'lambdas/jobs/syncTransition.ts',
  getPlayground: 'lambdas/playground/getPlayground.ts',
  submit: 'lambdas/workflow/submit.ts',
  checkStatus: 'lambdas/workflow/checkStatus.ts',
  copyToS3: 'lambdas/workflow/copyToS3.ts',
  recordFailure: 'lambdas/workflow/recordFailure.ts',
  notify: 'lambdas/webhooks/notify.ts',
  deliverWebhook: 'lambdas/webhooks/deliverWebhook.ts',
  recordWebhookFailure: 'lambdas/webhooks/recordWebhookFailure.ts',
  s3Manifest: 'lambdas/intake/s3Manifest.ts',
  writeOutbox: 'lambdas/intake/writeOutbox.ts',
  reconcileExecution: 'lambdas/reconciler/reconcileExecution.ts',
  authorizer: 'lambdas/auth/authorizer.ts',
  initWebhookSecret: 'lambdas/secrets/initWebhookSecret.ts',
} as const satisfies Record<FunctionName, string>;
