import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { STACK_OUTPUTS } from '../lambdas/core/contract/names';
import { TransitionPipeline, type TransitionPipelineProps } from './constructs/transitionPipeline';

export interface FramebridgeStackProps extends StackProps {
  /**
   * Bucket, retention, upstream, poll plan, API, intake and alarms.
   * @default - see TransitionPipelineProps
   */
  readonly pipeline?: TransitionPipelineProps;
}

/** framebridge on AWS: one TransitionPipeline and the outputs an operator needs. */
export class FramebridgeStack extends Stack {
  public readonly pipeline: TransitionPipeline;

  constructor(scope: Construct, id: string, props: FramebridgeStackProps = {}) {
    super(scope, id, {
      description: 'framebridge: AI video transitions (Pixverse 5 Transition via Segmind) on Step Functions',
      ...props,
    });
    // 'Default' is left out of logical ids: the resources keep the ids they had
    // before the pipeline construct existed, so an existing stack updates in place.
    this.pipeline = new TransitionPipeline(this, 'Default', props.pipeline);

    if (this.pipeline.api) {
      new CfnOutput(this, STACK_OUTPUTS.apiUrl, {
        description: 'Base URL of the Segmind v2 compatible API',
        value: this.pipeline.api.api.url,
      });
    }
    new CfnOutput(this, STACK_OUTPUTS.bucketName, { value: this.pipeline.bucket.bucketName });
    new CfnOutput(this, STACK_OUTPUTS.jobsTableName, { value: this.pipeline.table.tableName });
    new CfnOutput(this, STACK_OUTPUTS.stateMachineArn, { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, STACK_OUTPUTS.eventBusName, {
      description: 'Bus of the Transition Completed / Transition Failed events (source framebridge)',
      value: this.pipeline.eventBus.eventBusName,
    });
    if (this.pipeline.keysTable) {
      new CfnOutput(this, STACK_OUTPUTS.keysTableName, {
        description: 'API keys: issue, list and revoke with framebridge keys --outputs <cdk outputs file>',
        value: this.pipeline.keysTable.table.tableName,
      });
    }
    new CfnOutput(this, STACK_OUTPUTS.webhookSigningSecretArn, {
      description:
        'The webhook signing secret (whsec_…) receivers verify with: aws secretsmanager get-secret-value --secret-id <this ARN>',
      value: this.pipeline.workflow.webhookDelivery.signingSecret.secretArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.segmindApiKeySecretArn, {
      description:
        'Store the Segmind key: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string <key>',
      value: this.pipeline.secrets.segmindApiKey.secretArn,
    });
  }
}
