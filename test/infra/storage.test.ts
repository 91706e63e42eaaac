import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  functionIdFor,
  jobsTableId,
  keysTableId,
  resourcesFor,
  resourcesOfType,
  statementsOf,
} from './templateHelpers';

let built: BuiltApp;

beforeAll(() => {
  built = buildTemplate();
}, BUILD_TIMEOUT_MS);

const outputRef = (name: string): string =>
  (built.json.Outputs as Record<string, { Value: { Ref: string } }>)[name]?.Value.Ref ?? `no output ${name}`;

function bucketProperties(logicalId: string): Record<string, unknown> {
  const found = resourcesOfType(built.json, 'AWS::S3::Bucket').find(([id]) => id === logicalId);
  if (!found) throw new Error(`no bucket ${logicalId}`);
  return found[1].Properties;
}

describe('Infra: video bucket', () => {
  it('is private, S3-encrypted and unversioned', () => {
    const bucket = bucketProperties(outputRef('BucketName'));

    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket).not.toHaveProperty('VersioningConfiguration');
  });

  it('sends its events to EventBridge', () => {
    expect(bucketProperties(outputRef('BucketName')).NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
  });

  it('expires jobs after 30 days, uploads after 7, and incomplete multipart uploads after 1', () => {
    const rules = (
      bucketProperties(outputRef('BucketName')).LifecycleConfiguration as { Rules: Record<string, unknown>[] }
    ).Rules;

    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'jobs/', ExpirationInDays: 30, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'uploads/', ExpirationInDays: 7, Status: 'Enabled' }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      ]),
    );
    expect(rules.find((r) => r.AbortIncompleteMultipartUpload)).not.toHaveProperty('Prefix');
  });

  it('refuses plain-HTTP requests', () => {
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: outputRef('BucketName') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('writes server access logs to a private access-log bucket', () => {
    const logging = bucketProperties(outputRef('BucketName')).LoggingConfiguration as {
      DestinationBucketName: { Ref: string };
    };
    const logBucket = bucketProperties(logging.DestinationBucketName.Ref);

    expect(logging.DestinationBucketName.Ref).not.toBe(outputRef('BucketName'));
    expect(logBucket.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(logBucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logging.DestinationBucketName.Ref },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'logging.s3.amazonaws.com' },
          }),
        ]),
      },
    });
  });
});

describe('Infra: jobs table', () => {
  /** Matches the jobs table alone: the template also holds the keys table. */
  const jobsTableMatches = (resource: Record<string, unknown>) =>
    built.template.templateMatches({ Resources: { [jobsTableId(built.json)]: resource } });

  it('is keyed by id, lists by owner and creation time, lines up jobs waiting for capacity, and expires on expiresAt', () => {
    jobsTableMatches({
      Type: 'AWS::DynamoDB::Table',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'owner', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byOwner',
            KeySchema: [
              { AttributeName: 'owner', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'waitingForCapacity',
            KeySchema: [
              { AttributeName: 'waitingFor', KeyType: 'HASH' },
              { AttributeName: 'waitingSince', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['waitingSeenAt'] },
          },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    });
  });

  it('bills on demand, recovers to a point in time, and is encrypted with the AWS managed key', () => {
    jobsTableMatches({
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key: KMS with the AWS managed key aws/dynamodb.
        SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
      }),
    });
  });

  it('is retained when the stack goes', () => {
    jobsTableMatches({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('keeps job records retentionDays, as the bucket keeps their videos: both functions that create jobs are told', () => {
    // Arrange
    const creators = ['lambdas/jobs/createTransition.ts', 'lambdas/intake/s3Manifest.ts'];

    // Act
    const week = buildTemplate({ pipeline: { retentionDays: 7 } });

    // Assert
    for (const handler of creators) {
      expect(environmentOf(week.json, handler), handler).toMatchObject({ FRAMEBRIDGE_JOB_RETENTION_DAYS: '7' });
      // Unset, the handler keeps its default of 30 days, the prop's default.
      expect(environmentOf(built.json, handler), handler).not.toHaveProperty('FRAMEBRIDGE_JOB_RETENTION_DAYS');
    }
    const lifecycleRules = resourcesOfType(week.json, 'AWS::S3::Bucket').flatMap(
      ([, bucket]) => (bucket.Properties.LifecycleConfiguration as { Rules?: unknown[] } | undefined)?.Rules ?? [],
    );
    expect(lifecycleRules).toContainEqual(expect.objectContaining({ Id: 'expire-jobs', ExpirationInDays: 7 }));
  });
});

describe('Infra: state machine log groups', () => {
  it('names the execution log group of every state machine under /aws/vendedlogs/states/, one each', () => {
    const logGroups = Object.fromEntries(
      resourcesOfType(built.json, 'AWS::Logs::LogGroup').map(([id, group]) => [id, group.Properties.LogGroupName]),
    );
    const machines = resourcesOfType(built.json, 'AWS::StepFunctions::StateMachine');
    const destinations = machines.map(([, machine]) => {
      const logging = machine.Properties.LoggingConfiguration as {
        Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[];
      };
      return logGroups[logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] ?? 'none'];
    });

    expect(machines.length).toBeGreaterThanOrEqual(3);
    for (const name of destinations) expect(name).toMatch(/^\/aws\/vendedlogs\/states\/Framebridge-[A-Za-z0-9_-]+$/);
    expect(new Set(destinations).size).toBe(machines.length);
  });
});

describe('Infra: secrets and outputs', () => {
  it('holds the Segmind key for the operator to set, and a generated webhook signing secret', () => {
    built.template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    built.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('put-secret-value'),
      SecretString: Match.absent(),
    });
    built.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('webhook'),
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('gives the webhook signing secret its whsec_ form through a custom resource allowed only that secret', () => {
    const INIT = 'lambdas/secrets/initWebhookSecret.ts';
    const [webhookSecret] = resourcesOfType(built.json, 'AWS::SecretsManager::Secret')
      .map(([id]) => id)
      .filter((id) => id.includes('WebhookSigningSecret'));
    const statements = statementsOf(built.json, INIT);

    built.template.resourceCountIs('Custom::WebhookSigningSecret', 1);
    built.template.hasResourceProperties('Custom::WebhookSigningSecret', {
      ServiceToken: { 'Fn::GetAtt': [functionIdFor(built.json, INIT), 'Arn'] },
      SecretId: { Ref: webhookSecret },
    });
    expect(actionsOf(statements).filter((a) => !/^(logs|xray):/.test(a))).toEqual([
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
    ]);
    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']) {
      expect(resourcesFor(statements, action), action).toEqual([{ Ref: webhookSecret }]);
    }
  });

  it('outputs what an operator and a client need', () => {
    expect(Object.keys(built.json.Outputs as object).sort()).toEqual([
      'ApiUrl',
      'BucketName',
      'EventBusName',
      'JobsTableName',
      'KeysTableName',
      'SegmindApiKeySecretArn',
      'StateMachineArn',
      'WebhookSigningSecretArn',
    ]);
  });

  it('names the keys table, and where receivers read the webhook signing secret', () => {
    const outputs = built.json.Outputs as Record<string, { Value: unknown; Description?: string }>;
    const [webhookSecret, ...others] = resourcesOfType(built.json, 'AWS::SecretsManager::Secret')
      .map(([id]) => id)
      .filter((id) => id.includes('WebhookSigningSecret'));

    expect(others).toEqual([]);
    expect(outputs.KeysTableName?.Value).toEqual({ Ref: keysTableId(built.json) });
    expect(resourcesOfType(built.json, 'AWS::DynamoDB::Table').map(([id]) => id)).toContain(keysTableId(built.json));
    expect(outputs.WebhookSigningSecretArn?.Value).toEqual({ Ref: webhookSecret });
    expect(outputs.WebhookSigningSecretArn?.Description).toMatch(/get-secret-value/);
  });
});
