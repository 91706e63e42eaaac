import { Duration } from 'aws-cdk-lib';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/contract/env';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
import { UPLOADS_PREFIX } from '../../lambdas/core/contract/names';
import { INBOX_PREFIX } from '../../lambdas/core/manifest';
import {
  bindBucketObjects,
  bindJobsTable,
  bindSegmindApiKey,
  bindWaitingLine,
  bindWebhookDeliveryStart,
} from './bindings';
import { TransitionFunction } from './transitionFunction';
import type { TransitionWorkflowProps, WorkflowConfig } from './transitionWorkflowProps';

export type WorkflowFunctionName = 'submit' | 'checkStatus' | 'copyToS3' | 'recordFailure' | 'notify';
export type WorkflowFunctions = Readonly<Record<WorkflowFunctionName, TransitionFunction>>;

const FUNCTION_SETTINGS: Record<WorkflowFunctionName, { id: string; description: string; memorySize?: number }> = {
  submit: { id: 'SubmitFunction', description: 'Submits a transition job to the upstream, once' },
  checkStatus: { id: 'CheckStatusFunction', description: 'Polls the upstream job status and plans the next wait' },
  copyToS3: { id: 'CopyToS3Function', description: 'Streams the finished video into S3', memorySize: 512 },
  recordFailure: { id: 'RecordFailureFunction', description: 'Records why a job failed' },
  notify: {
    id: 'NotifyFunction',
    description: 'Starts the webhook delivery of a finished job that has a callback_url',
  },
};

/**
 * The workflow's functions, each with exactly the environment and grants its
 * handler uses, and the timeout the time budget gives it.
 */
export function createWorkflowFunctions(
  scope: Construct,
  props: TransitionWorkflowProps,
  config: WorkflowConfig,
  webhookDelivery: IStateMachine,
): WorkflowFunctions {
  const make = (name: WorkflowFunctionName) =>
    new TransitionFunction(scope, FUNCTION_SETTINGS[name].id, {
      entry: FUNCTION_ENTRIES[name],
      description: FUNCTION_SETTINGS[name].description,
      timeout: Duration.seconds(config.budget.steps[name].functionTimeoutSeconds),
      memorySize: FUNCTION_SETTINGS[name].memorySize,
    });
  const functions = {
    submit: make('submit'),
    checkStatus: make('checkStatus'),
    copyToS3: make('copyToS3'),
    recordFailure: make('recordFailure'),
    notify: make('notify'),
  };
  const { submit, checkStatus, copyToS3, notify } = functions;

  bindWebhookDeliveryStart(notify, webhookDelivery);
  for (const fn of Object.values(functions)) bindJobsTable(fn, props.table, 'update');
  for (const fn of [submit, checkStatus, copyToS3]) fn.addEnvironment(ENV.segmindBaseUrl, config.segmindBaseUrl);
  for (const fn of [submit, checkStatus]) {
    bindSegmindApiKey(fn, props.segmindApiKey);
    setOptional(fn, ENV.pollFirst, config.pollFirstSeconds);
    setOptional(fn, ENV.pollInterval, config.pollIntervalSeconds);
    if (config.pollStrategy) fn.addEnvironment(ENV.pollStrategy, config.pollStrategy);
    fn.addEnvironment(ENV.pollDeadline, String(config.budget.pollDeadlineSeconds));
    setOptional(fn, ENV.upstreamRpm, config.upstreamRequestsPerMinute);
    setOptional(fn, ENV.upstreamConcurrency, config.upstreamConcurrency);
  }
  submit.addEnvironment(ENV.capacityWait, String(config.budget.capacityWaitSeconds));
  // Submit finds its place in line among the jobs waiting for capacity.
  bindWaitingLine(submit, props.table);
  // Frames can only be an API tenant's uploads or an intake manifest's inbox/ files.
  for (const prefix of [UPLOADS_PREFIX, INBOX_PREFIX]) {
    bindBucketObjects(submit, props.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: `${prefix}*`,
      reason: `Presigns GET URLs for s3:// frames so the upstream can fetch them; frames live under ${prefix} with names known only at run time, and only GetObject is allowed.`,
    });
  }
  bindBucketObjects(copyToS3, props.bucket, {
    actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
    keyPattern: 'jobs/*',
    reason:
      'Writes jobs/{id}/video.mp4 and jobs/{id}/result.json with a multipart upload and removes partial objects; job ids are only known at run time, so the grant is the jobs/ prefix.',
  });
  setOptional(copyToS3, ENV.outputHosts, config.outputHosts?.join(','));
  setOptional(copyToS3, ENV.maxVideoBytes, config.maxVideoBytes);
  return functions;
}

/** Operator settings that are not resources: set only when given, so the handler's default applies otherwise. */
function setOptional(fn: TransitionFunction, name: string, value: string | number | undefined): void {
  if (value !== undefined) fn.addEnvironment(name, String(value));
}
