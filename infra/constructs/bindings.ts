import { Arn, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { ENV } from '../../lambdas/core/contract/env';
import { JOBS_TABLE } from '../../lambdas/core/contract/names';
import type { TenantLimits } from '../../lambdas/core/tenants';

/*
 * Environment variables that name an AWS resource are only ever added here,
 * together with the IAM grant that makes them usable.
 */

/**
 * What a function does with the jobs table, and so the only actions it gets:
 * `read` gets jobs by id; `list` queries the byOwner index; `update` also
 * updates them (every workflow step); `create` also puts new ones. No Scan,
 * no delete, no batch, no stream or table-level actions.
 */
export type JobsTableAccess = 'read' | 'list' | 'update' | 'create';

const JOBS_TABLE_ITEM_ACTIONS: Record<Exclude<JobsTableAccess, 'list'>, string[]> = {
  read: ['dynamodb:GetItem'],
  update: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  create: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
};

/** Sets `JOBS_TABLE_NAME` and allows exactly the actions `access` names. */
export function bindJobsTable(fn: LambdaFunction, table: ITable, access: JobsTableAccess): void {
  fn.addEnvironment(ENV.jobsTable, table.tableName);
  const statement =
    access === 'list'
      ? { actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${JOBS_TABLE.byOwnerIndex}`] }
      : { actions: JOBS_TABLE_ITEM_ACTIONS[access], resources: [table.tableArn] };
  fn.addToRolePolicy(new PolicyStatement(statement));
}

/** Allows counting the jobs waiting for upstream capacity: Query on the waiting index, nothing else. */
export function bindWaitingLine(fn: LambdaFunction, table: ITable): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: [`${table.tableArn}/index/${JOBS_TABLE.waitingIndex}`],
    }),
  );
}

/**
 * Sets `KEYS_TABLE_NAME` and allows reading a key and recording its last use:
 * the authorizer's actions, nothing that lists or writes keys.
 */
export function bindKeysTableForAuthorizer(fn: LambdaFunction, table: ITable): void {
  fn.addEnvironment(ENV.keysTable, table.tableName);
  fn.addToRolePolicy(
    new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [table.tableArn] }),
  );
}

/** Sets the defaults of every tenant's spend limits, when given (else the handler's defaults). */
export function setTenantLimitDefaults(fn: LambdaFunction, limits: TenantLimits | undefined): void {
  if (limits?.maxActiveJobs !== undefined) fn.addEnvironment(ENV.maxActiveJobs, String(limits.maxActiveJobs));
  if (limits?.maxJobsPerDay !== undefined) fn.addEnvironment(ENV.maxJobsPerDay, String(limits.maxJobsPerDay));
}

/** Sets how many days the job records a create function writes are kept, when given (else the handler's 30). */
export function setJobRetention(fn: LambdaFunction, retentionDays: number | undefined): void {
  if (retentionDays !== undefined) fn.addEnvironment(ENV.jobRetentionDays, String(retentionDays));
}

export type BucketObjectAction = 's3:GetObject' | 's3:PutObject' | 's3:AbortMultipartUpload' | 's3:DeleteObject';

export interface BucketObjectsGrant {
  /** Object-level actions, named one by one (no `s3:*`, no `s3:Get*`). */
  readonly actions: readonly BucketObjectAction[];
  /** Object key pattern, for example `jobs/*`; `*` means every object. */
  readonly keyPattern: string;
  /** Why the function needs these actions on a key wildcard; recorded with the cdk-nag acknowledgement. */
  readonly reason: string;
}

/** Sets `BUCKET_NAME` and allows exactly the listed object actions on the key pattern. */
export function bindBucketObjects(fn: LambdaFunction, bucket: IBucket, grant: BucketObjectsGrant): void {
  if (grant.actions.length === 0) {
    throw new Error(`bindBucketObjects(${fn.node.id}): name at least one object action.`);
  }
  if (grant.keyPattern === '' || grant.keyPattern.startsWith('/')) {
    throw new Error(
      `bindBucketObjects(${fn.node.id}): keyPattern must be a key prefix pattern without a leading slash, such as 'jobs/*', got '${grant.keyPattern}'.`,
    );
  }
  fn.addEnvironment(ENV.bucket, bucket.bucketName);
  const objects = bucket.arnForObjects(grant.keyPattern);
  fn.addToRolePolicy(new PolicyStatement({ actions: [...grant.actions], resources: [objects] }));
  acknowledgeWildcard(fn, objects, grant.reason);
}

/** Sets `SEGMIND_API_KEY_SECRET_ARN` and grants reading that one secret. */
export function bindSegmindApiKey(fn: LambdaFunction, secret: ISecret): void {
  fn.addEnvironment(ENV.segmindApiKeySecretArn, secret.secretArn);
  secret.grantRead(fn);
}

/** Sets `STATE_MACHINE_ARN` and allows `states:StartExecution` on that state machine only. */
export function bindStateMachineStart(fn: LambdaFunction, stateMachine: IStateMachine): void {
  fn.addEnvironment(ENV.stateMachineArn, stateMachine.stateMachineArn);
  stateMachine.grantStartExecution(fn);
}

/**
 * Sets `WEBHOOK_STATE_MACHINE_ARN` and allows `states:StartExecution` on the
 * webhook delivery state machine only.
 */
export function bindWebhookDeliveryStart(fn: LambdaFunction, stateMachine: IStateMachine): void {
  fn.addEnvironment(ENV.webhookStateMachineArn, stateMachine.stateMachineArn);
  stateMachine.grantStartExecution(fn);
}

/** Sets `CANCELLATION_TAIL_ARN` and grants starting that one state machine (what a cancelled job still owes). */
export function bindCancellationTailStart(fn: LambdaFunction, stateMachine: IStateMachine): void {
  fn.addEnvironment(ENV.cancellationTailArn, stateMachine.stateMachineArn);
  stateMachine.grantStartExecution(fn);
}

/** Sets `WEBHOOK_SECRET_ARN` and grants reading that one secret (the webhook signing secret). */
export function bindWebhookSigningSecret(fn: LambdaFunction, secret: ISecret): void {
  fn.addEnvironment(ENV.webhookSecretArn, secret.secretArn);
  secret.grantRead(fn);
}

/**
 * Sets `STATE_MACHINE_ARN` and allows `states:StopExecution` on that state
 * machine's executions only (`…:execution:<machine name>:*`): each job's
 * execution has its own name, known only at run time.
 */
export function bindStateMachineStop(fn: LambdaFunction, stateMachine: IStateMachine): void {
  fn.addEnvironment(ENV.stateMachineArn, stateMachine.stateMachineArn);
  const machineName = Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
  const executions = Stack.of(fn).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${machineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StopExecution'], resources: [executions] }));
  acknowledgeWildcard(
    fn,
    executions,
    'Cancels a job by stopping its execution, whose name (the job id and a ULID) is stored on the job at run time; the grant is StopExecution on the executions of this one state machine.',
  );
}

/**
 * Acknowledges the cdk-nag IAM5 finding for exactly one wildcard resource on the
 * function's role, so any other wildcard still fails synth.
 */
export function acknowledgeWildcard(fn: LambdaFunction, resourceArn: string, reason: string): void {
  if (!fn.role) return;
  Validations.of(fn.role).acknowledge({ id: wildcardFindingId(fn.role, resourceArn), reason });
}

/** The id cdk-nag gives an IAM5 finding: `AwsSolutions-IAM5[Resource::<Logical.Arn>/suffix]`. */
export function wildcardFindingId(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resourceArn))}]`;
}

/** Flattens a resolved CloudFormation value the way cdk-nag names findings. */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, parts] = join as [string, unknown[]];
      return parts.map(flattenReference).join(delimiter);
    }
    if ('Fn::Sub' in record) return flattenReference(record['Fn::Sub']);
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
    if ('Ref' in record) return `<${flattenReference(record.Ref)}>`;
  }
  return JSON.stringify(node);
}
