import { Aws, Duration, FeatureFlags, Token, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type CorsRule,
  HttpMethods,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';

export interface VideoBucketProps {
  /**
   * Days a job's video and result (`jobs/`) are kept before S3 expires them.
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * Days uploaded frames (`uploads/`) are kept; they are only needed until the upstream fetched them.
   * @default 7
   */
  readonly uploadRetentionDays?: number;
  /**
   * Days the server access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * Web origins whose pages may PUT frames to the presigned upload URLs (the
   * playground page, served at `/` of the API). CORS only lets a browser send
   * the request: every upload still needs a URL presigned for it.
   * @default - any API Gateway API of the stack's region (`https://*.execute-api.<region>.<url suffix>`), so the API's own default URL; name a custom domain here
   */
  readonly uploadOrigins?: readonly string[];
}

/** How long a browser may cache the bucket's answer to a CORS preflight. */
const CORS_MAX_AGE_SECONDS = 3600;

/**
 * The bucket for frames and finished videos: private, TLS only, S3-managed
 * encryption, EventBridge notifications on, objects expire by prefix, and
 * server access logs to a bucket of their own.
 */
export class VideoBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogBucket: Bucket;
  public readonly retentionDays: number;

  constructor(scope: Construct, id: string, props: VideoBucketProps = {}) {
    super(scope, id);
    this.retentionDays = positiveDays('retentionDays', props.retentionDays ?? 30);
    const uploadRetentionDays = positiveDays('uploadRetentionDays', props.uploadRetentionDays ?? 7);
    const accessLogRetentionDays = positiveDays('accessLogRetentionDays', props.accessLogRetentionDays ?? 90);
    const uploadOrigins = validOrigins(
      props.uploadOrigins ?? [`https://*.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`],
    );

    this.accessLogBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3 log delivery writes only to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      // Log delivery is granted by a bucket policy when the app enables that
      // feature flag (framebridgeApp does); otherwise CDK falls back to the ACL.
      objectOwnership: FeatureFlags.of(this).isEnabled(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY)
        ? ObjectOwnership.BUCKET_OWNER_ENFORCED
        : ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(accessLogRetentionDays) }],
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log destination of the video bucket; logging it too would need a third bucket and log the log delivery itself.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'video-bucket/',
      lifecycleRules: [
        { id: 'expire-jobs', prefix: 'jobs/', expiration: Duration.days(this.retentionDays) },
        { id: 'expire-uploads', prefix: 'uploads/', expiration: Duration.days(uploadRetentionDays) },
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [uploadCorsRule(uploadOrigins)],
    });
    // EventBridge notifications set on the bucket itself: the same effect as the
    // L2 `eventBridgeEnabled: true`, without the BucketNotificationsHandler
    // custom-resource Lambda (and its managed-policy role) that prop deploys.
    // Route S3 events through EventBridge rules, not `addEventNotification`,
    // whose custom resource would rewrite this configuration.
    (this.bucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
  }
}

/**
 * The playground's uploads: a PUT with the signed content type. Videos play
 * in a plain `<video>` element (no CORS request), so GET is not needed.
 */
function uploadCorsRule(origins: readonly string[]): CorsRule {
  return {
    id: 'browser-uploads',
    allowedMethods: [HttpMethods.PUT],
    allowedOrigins: [...origins],
    allowedHeaders: ['content-type'],
    maxAge: CORS_MAX_AGE_SECONDS,
  };
}

/** Each origin as S3 takes it: scheme and host (one `*` at most), no path. */
function validOrigins(origins: readonly string[]): readonly string[] {
  if (origins.length === 0) throw new Error('VideoBucket: uploadOrigins must name at least one origin.');
  for (const origin of origins) {
    if (Token.isUnresolved(origin)) continue;
    if (!/^https?:\/\/[^/?#\s]+$/.test(origin) || (origin.match(/\*/g) ?? []).length > 1) {
      throw new Error(
        `VideoBucket: uploadOrigins must be origins such as 'https://play.example.com' (scheme and host, at most one '*', no path), got '${origin}'.`,
      );
    }
  }
  return origins;
}

function positiveDays(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`VideoBucket: ${name} must be a whole number of days ≥ 1, got ${value}.`);
  }
  return value;
}
