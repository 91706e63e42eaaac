import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { JobStore } from '../../lambdas/adapters/jobStore';
import type { Job } from '../../lambdas/core/job';
import { parseTransitionRequest } from '../../lambdas/core/schemas';
import { validBody } from './requestFixtures';

type Row = Record<string, unknown>;

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/**
 * Serves Get/Put/Update on a mocked DynamoDBDocumentClient from an in-memory
 * table, evaluating the conditions the job store uses (`attribute_exists(id)`,
 * `attribute_not_exists(...)`, the "still active" status test) so the code under
 * test meets DynamoDB's answers, ConditionalCheckFailedException included.
 * Answers the table's rows (`rows`, when given, else a new map).
 */
export function serveJobsTable(
  ddb: AwsClientStub<DynamoDBDocumentClient>,
  rows: Map<string, Row> = new Map(),
): Map<string, Row> {
  ddb.on(GetCommand).callsFake(async (input: GetCommandInput) => {
    const row = rows.get(String(input.Key?.id));
    return { Item: row ? structuredClone(row) : undefined };
  });
  ddb.on(PutCommand).callsFake(async (input: PutCommandInput) => {
    const item = structuredClone(input.Item ?? {});
    if (input.ConditionExpression?.includes('attribute_not_exists(id)') && rows.has(String(item.id))) {
      throw conditionFailed();
    }
    rows.set(String(item.id), item);
    return {};
  });
  ddb.on(UpdateCommand).callsFake(async (input: UpdateCommandInput) => {
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    const condition = input.ConditionExpression ?? '';
    const id = String(input.Key?.id);
    // An update creates the item only when its condition asks that it be absent, as DynamoDB's does.
    if (!rows.has(id) && condition === 'attribute_not_exists(id)') rows.set(id, { id });
    else if (rows.has(id) && condition === 'attribute_not_exists(id)') throw conditionFailed();
    const row = rows.get(id);
    if (!row) throw conditionFailed();
    for (const [, value] of condition.matchAll(/^version = (:\w+)$/g)) {
      if (row.version !== values[value ?? '']) throw conditionFailed();
    }
    if (condition.includes('NOT #currentStatus IN') && ['COMPLETED', 'FAILED'].includes(String(row.status))) {
      throw conditionFailed();
    }
    for (const [, attribute] of condition.matchAll(/attribute_not_exists\((\w+)\)/g)) {
      if (attribute && attribute !== 'id' && row[attribute] !== undefined) throw conditionFailed();
    }
    const [setPart = '', removePart] = (input.UpdateExpression ?? '').replace(/^SET /, '').split(' REMOVE ');
    for (const assignment of setPart.split(/, (?![^(]*\))/).filter(Boolean)) {
      const [name = '', value = ''] = assignment.split(' = ');
      const attribute = names[name] ?? name;
      // `#a = if_not_exists(#a, :a)`: set only when the row has none yet.
      const ifAbsent = /^if_not_exists\([^,]+, (:\w+)\)$/.exec(value);
      if (ifAbsent) {
        if (row[attribute] === undefined) row[attribute] = structuredClone(values[ifAbsent[1] ?? '']);
        continue;
      }
      row[attribute] = structuredClone(values[value]);
    }
    for (const name of removePart?.split(', ') ?? []) delete row[names[name] ?? name];
    return {};
  });
  return rows;
}

export const TABLE_NAME = 'framebridge-jobs-test';
export const OWNER = 'api-key-owner-1';
export const OTHER_OWNER = 'api-key-owner-2';

/** The jobs table as use cases take it: a mocked DynamoDBDocumentClient answers for its client. */
export const jobStore: JobStore = {
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  tableName: TABLE_NAME,
};

export { REQUEST_DEFAULTS, validBody } from './requestFixtures';

/** A stored job as createTransitionJob writes it, with the given request fields and record fields. */
export function storedJob(id: string, request: Record<string, unknown> = {}, fields: Partial<Job> = {}): Job {
  return {
    id,
    owner: OWNER,
    status: 'QUEUED',
    phase: 'queued',
    request: parseTransitionRequest({ ...validBody, ...request }),
    createdAt: '2025-03-01T09:00:00.000Z',
    updatedAt: '2025-03-01T09:00:00.000Z',
    expiresAt: 1_743_000_000,
    ...fields,
  };
}

/** The UpdateCommand inputs sent so far, in order. */
export function updatesSent(ddb: AwsClientStub<DynamoDBDocumentClient>): UpdateCommandInput[] {
  return ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
}
