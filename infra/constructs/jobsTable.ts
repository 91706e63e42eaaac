import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Name of the index listing an owner's jobs by creation time. */
export const BY_OWNER_INDEX = 'byOwner';

export interface JobsTableProps {
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The jobs query store: one item per job keyed by `id`, the `byOwner` index
 * (owner, createdAt) for listing, and `expiresAt` as the TTL attribute.
 * A plain `AWS::DynamoDB::Table` keeps the template in CreateTable's shape, which
 * the local stack replays against dynalite.
 */
export class JobsTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: JobsTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BY_OWNER_INDEX,
      partitionKey: { name: 'owner', type: AttributeType.STRING },
      sortKey: { name: 'createdAt', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}
