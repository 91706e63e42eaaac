import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { KEYS_TABLE } from '../../lambdas/core/contract/names';

export interface KeysTableProps {
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The API keys: one item per key, keyed by its public id, holding its tenant,
 * status, times and limits, and only the SHA-256 of the key. Issued and revoked
 * with `framebridge keys`; read by the API's authorizer.
 */
export class KeysTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: KeysTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: KEYS_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
