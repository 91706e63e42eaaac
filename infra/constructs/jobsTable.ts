import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { JOBS_TABLE } from '../../lambdas/core/contract/names';

export interface JobsTableProps {
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The jobs query store: one item per job keyed by `id`, the `byOwner` index
 * (owner, createdAt) for listing, the sparse `waitingForCapacity` index for the
 * line of jobs waiting for upstream capacity, and `expiresAt` as the TTL attribute.
 * A plain `AWS::DynamoDB::Table` keeps the template in CreateTable's shape, which
 * the local stack replays against dynalite.
 */
export class JobsTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: JobsTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: JOBS_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: JOBS_TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: JOBS_TABLE.byOwnerIndex,
      partitionKey: { name: JOBS_TABLE.ownerAttribute, type: AttributeType.STRING },
      sortKey: { name: JOBS_TABLE.createdAtAttribute, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    // Sparse: only jobs waiting for upstream capacity carry its keys.
    this.table.addGlobalSecondaryIndex({
      indexName: JOBS_TABLE.waitingIndex,
      partitionKey: { name: JOBS_TABLE.waitingForAttribute, type: AttributeType.STRING },
      sortKey: { name: JOBS_TABLE.waitingSinceAttribute, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [JOBS_TABLE.waitingSeenAttribute],
    });
  }
}
