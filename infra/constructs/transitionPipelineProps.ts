import type { TransitionPipelineProps } from './transitionPipeline';

/* The pipeline's props checked together, each refusal naming the prop and the fix. */

export interface PipelineConfig {
  readonly api: boolean;
  readonly intake: boolean;
  readonly alarms: boolean;
}

export function validatePipelineProps(props: TransitionPipelineProps): PipelineConfig {
  const api = props.api ?? true;
  const intake = props.intake ?? true;
  const alarms = props.alarms ?? true;
  if (props.bucket && props.retentionDays !== undefined) {
    throw new Error(
      'TransitionPipeline: retentionDays applies to the bucket the pipeline creates; with your own bucket, set a lifecycle rule on it (e.g. expire jobs/ after N days) and drop retentionDays.',
    );
  }
  if (props.retentionDays !== undefined && (!Number.isInteger(props.retentionDays) || props.retentionDays < 1)) {
    throw new Error(
      `TransitionPipeline: retentionDays must be a whole number of days ≥ 1, got ${props.retentionDays}.`,
    );
  }
  if (props.bucket?.encryptionKey) {
    throw new Error(
      'TransitionPipeline: the bucket is encrypted with a KMS key, which framebridge’s functions are not granted; use SSE-S3 (BucketEncryption.S3_MANAGED) or let the pipeline create its bucket.',
    );
  }
  if (!api && props.apiOptions) {
    throw new Error('TransitionPipeline: apiOptions is set but api is false; drop apiOptions or set api: true.');
  }
  if (!alarms && props.alarmTopic) {
    throw new Error(
      'TransitionPipeline: alarmTopic is set but alarms is false, so nothing would notify it; drop alarmTopic or set alarms: true.',
    );
  }
  validateTenantProps(props, { api, intake });
  return { api, intake, alarms };
}

/** Tenant limits and the intake tenant: whole positive numbers, and only where something uses them. */
function validateTenantProps(props: TransitionPipelineProps, enabled: { api: boolean; intake: boolean }): void {
  for (const [name, value] of Object.entries(props.tenantLimits ?? {})) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new Error(`TransitionPipeline: tenantLimits.${name} must be a whole number ≥ 1, got ${value}.`);
    }
  }
  if (props.tenantLimits && !enabled.api && !enabled.intake) {
    throw new Error(
      'TransitionPipeline: tenantLimits is set but neither the API nor the intake is deployed, so no job would be held to it; drop tenantLimits.',
    );
  }
  if (props.intakeTenant !== undefined && !enabled.intake) {
    throw new Error(
      'TransitionPipeline: intakeTenant is set but intake is false; drop intakeTenant or set intake: true.',
    );
  }
  if (props.keysTableRemovalPolicy !== undefined && !enabled.api) {
    throw new Error(
      'TransitionPipeline: keysTableRemovalPolicy is set but api is false, so there is no keys table; drop it or set api: true.',
    );
  }
}
