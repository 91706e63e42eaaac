import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { JobsTable, type JobsTableProps } from './constructs/jobsTable';
import { FramebridgeSecrets, type FramebridgeSecretsProps } from './constructs/secrets';
import { TransitionApi, type TransitionApiProps } from './constructs/transitionApi';
import { TransitionWorkflow, type TransitionWorkflowProps } from './constructs/transitionWorkflow';
import { VideoBucket, type VideoBucketProps } from './constructs/videoBucket';

export interface FramebridgeStackProps extends StackProps {
  /**
   * Retention and lifecycle of the video bucket.
   * @default - see VideoBucketProps
   */
  readonly bucket?: VideoBucketProps;
  /**
   * Options of the jobs table.
   * @default - see JobsTableProps
   */
  readonly jobsTable?: JobsTableProps;
  /**
   * Options of the secrets.
   * @default - see FramebridgeSecretsProps
   */
  readonly secrets?: FramebridgeSecretsProps;
  /**
   * Upstream, poll plan and timeout of the workflow.
   * @default - see TransitionWorkflowProps
   */
  readonly workflow?: Omit<TransitionWorkflowProps, 'table' | 'bucket' | 'segmindApiKey'>;
  /**
   * Throttling, stage and logging of the API.
   * @default - see TransitionApiProps
   */
  readonly api?: Omit<TransitionApiProps, 'table' | 'bucket' | 'stateMachine'>;
}

/** framebridge on AWS: composes the bucket, the jobs table, the secrets, the workflow and the API. */
export class FramebridgeStack extends Stack {
  public readonly videoBucket: VideoBucket;
  public readonly jobsTable: JobsTable;
  public readonly secrets: FramebridgeSecrets;
  public readonly workflow: TransitionWorkflow;
  public readonly api: TransitionApi;

  constructor(scope: Construct, id: string, props: FramebridgeStackProps = {}) {
    super(scope, id, {
      description: 'framebridge: AI video transitions (Pixverse 5 Transition via Segmind) on Step Functions',
      ...props,
    });
    this.videoBucket = new VideoBucket(this, 'VideoBucket', props.bucket);
    this.jobsTable = new JobsTable(this, 'JobsTable', props.jobsTable);
    this.secrets = new FramebridgeSecrets(this, 'Secrets', props.secrets);
    this.workflow = new TransitionWorkflow(this, 'Workflow', {
      ...props.workflow,
      table: this.jobsTable.table,
      bucket: this.videoBucket.bucket,
      segmindApiKey: this.secrets.segmindApiKey,
    });
    this.api = new TransitionApi(this, 'Api', {
      ...props.api,
      table: this.jobsTable.table,
      bucket: this.videoBucket.bucket,
      stateMachine: this.workflow.stateMachine,
    });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the Segmind v2 compatible API',
      value: this.api.api.url,
    });
    new CfnOutput(this, 'BucketName', { value: this.videoBucket.bucket.bucketName });
    new CfnOutput(this, 'JobsTableName', { value: this.jobsTable.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'SegmindApiKeySecretArn', {
      description:
        'Store the Segmind key: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string <key>',
      value: this.secrets.segmindApiKey.secretArn,
    });
  }
}
