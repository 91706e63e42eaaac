/**
 * framebridge for other CDK apps: embed `TransitionPipeline` (everything), or
 * compose the constructs it is made of.
 */
export {
  type BucketObjectsGrant,
  bindBucketObjects,
  bindJobsTable,
  bindStateMachineStart,
} from './constructs/bindings';
export { JobsTable, type JobsTableProps } from './constructs/jobsTable';
export { S3Intake, type S3IntakeProps } from './constructs/s3Intake';
export { FramebridgeSecrets, type FramebridgeSecretsProps } from './constructs/secrets';
export { TransitionApi, type TransitionApiProps } from './constructs/transitionApi';
export {
  TRANSITION_DETAIL_TYPES,
  TRANSITION_EVENT_SOURCE,
  TransitionEvents,
  type TransitionEventsProps,
} from './constructs/transitionEvents';
export { TransitionFunction, type TransitionFunctionProps } from './constructs/transitionFunction';
export { TransitionPipeline, type TransitionPipelineProps } from './constructs/transitionPipeline';
export { STATE_NAMES, TransitionWorkflow, type TransitionWorkflowProps } from './constructs/transitionWorkflow';
export { VideoBucket, type VideoBucketProps } from './constructs/videoBucket';
export { type CreateFramebridgeAppOptions, createFramebridgeApp, FRAMEBRIDGE_STACK_ID } from './framebridgeApp';
export { FramebridgeStack, type FramebridgeStackProps } from './stack';
