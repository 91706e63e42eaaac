import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

type Props = Record<string, unknown>;
const keyFields = (props: Props) => ({
  KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
  AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
});

/** CreateTable input from the template's table (Table or TableV2's GlobalTable), on-demand. */
export function createTableInput(tableName: string, props: Props): CreateTableCommandInput {
  const indexes = (props.GlobalSecondaryIndexes as Props[] | undefined)?.map((index) => ({
    IndexName: String(index.IndexName),
    KeySchema: index.KeySchema as NonNullable<CreateTableCommandInput['KeySchema']>,
    Projection: index.Projection as { ProjectionType: 'ALL' },
  }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    ...keyFields(props),
    ...(indexes?.length ? { GlobalSecondaryIndexes: indexes } : {}),
  };
}

/** dynalite on loopback, in memory, with the tables the template declares. */
export async function startLocalDynamo(
  tables: readonly { name: string; props: Props }[],
  credentials: { accessKeyId: string; secretAccessKey: string },
) {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials });
  for (const table of tables) await client.send(new CreateTableCommand(createTableInput(table.name, table.props)));
  client.destroy();
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
