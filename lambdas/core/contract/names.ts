/** Facts about resources that infra creates and the Lambdas, the local stack and the CLI use. */

/** The jobs table's keys and its one index. */
export const JOBS_TABLE = {
  partitionKey: 'id',
  /** Lists an owner's jobs by creation time. */
  byOwnerIndex: 'byOwner',
  ownerAttribute: 'owner',
  createdAtAttribute: 'createdAt',
  ttlAttribute: 'expiresAt',
} as const;

/** Segmind's API, used when no other Segmind-compatible base URL is configured. */
export const SEGMIND_DEFAULT_BASE_URL = 'https://api.segmind.com';

/**
 * CloudFormation metadata key on each `AWS::Lambda::Function` holding its
 * repo-relative handler module; the local stack maps the template's functions
 * to modules through it.
 */
export const HANDLER_METADATA_KEY = 'framebridge:handler';

/** The stack's outputs: operators and the CLI read them, and the local stack finds its resources by them. */
export const STACK_OUTPUTS = {
  apiUrl: 'ApiUrl',
  bucketName: 'BucketName',
  jobsTableName: 'JobsTableName',
  stateMachineArn: 'StateMachineArn',
  eventBusName: 'EventBusName',
  segmindApiKeySecretArn: 'SegmindApiKeySecretArn',
} as const;
