/** Facts about resources that infra creates and the Lambdas, the local stack and the CLI use. */

import { API_ERROR_CODES, type ApiErrorCode } from './apiErrors';

/** The jobs table's keys and its indexes. */
export const JOBS_TABLE = {
  partitionKey: 'id',
  /** Lists an owner's jobs by creation time. */
  byOwnerIndex: 'byOwner',
  ownerAttribute: 'owner',
  createdAtAttribute: 'createdAt',
  ttlAttribute: 'expiresAt',
  /**
   * Jobs waiting for upstream capacity, in order of arrival: a sparse index,
   * since only a waiting job has these attributes (`adapters/upstreamAdmission.ts`).
   */
  waitingIndex: 'waitingForCapacity',
  waitingForAttribute: 'waitingFor',
  waitingSinceAttribute: 'waitingSince',
  waitingSeenAttribute: 'waitingSeenAt',
} as const;

/** The keys table: one item per API key, keyed by its public key id, never holding the key itself. */
export const KEYS_TABLE = {
  partitionKey: 'keyId',
} as const;

/** The header a caller's API key travels in (Segmind's). */
export const API_KEY_HEADER = 'x-api-key';

/** What API Gateway answers when the authorizer refuses; the local API answers the same. */
export const AUTH_REFUSALS = {
  /** No key at all: API Gateway answers before calling the authorizer. */
  missing: {
    status: API_ERROR_CODES.unauthorized.status,
    code: 'unauthorized',
    message: `An ${API_KEY_HEADER} header is required`,
  },
  /** A key the authorizer does not accept: unknown or revoked. */
  refused: {
    status: API_ERROR_CODES.forbidden.status,
    code: 'forbidden',
    message: `The ${API_KEY_HEADER} is unknown or revoked`,
  },
} as const satisfies Record<string, { status: number; code: ApiErrorCode; message: string }>;

/** Seconds API Gateway caches the authorizer's answer for one key: a revoked key stops working within it. */
export const AUTHORIZER_CACHE_SECONDS = 300;

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
  keysTableName: 'KeysTableName',
  webhookSigningSecretArn: 'WebhookSigningSecretArn',
} as const;

/** Where tenants' uploaded frames live: `uploads/<tenant id>/…`; API jobs may only name frames there. */
export const UPLOADS_PREFIX = 'uploads/';
