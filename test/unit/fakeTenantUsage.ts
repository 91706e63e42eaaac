import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { tenantUsageId } from '../../lambdas/adapters/tenantUsage';
import type { TenantUsage } from '../../lambdas/core/spendLimits';
import { serveJobsTable } from './fakeJobsTable';

type Row = Record<string, unknown>;
type Fake = (input: never) => Promise<unknown>;

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** The Get and Update fakes serveJobsTable registers, to serve the job rows with. */
function jobsTableFakes(rows: Map<string, Row>) {
  const fakes = new Map<unknown, Fake>();
  const capture = {
    on: (command: unknown) => ({
      callsFake: (fake: Fake) => {
        fakes.set(command, fake);
        return capture;
      },
    }),
  };
  serveJobsTable(capture as unknown as AwsClientStub<DynamoDBDocumentClient>, rows);
  return {
    get: fakes.get(GetCommand) as (input: GetCommandInput) => Promise<{ Item?: Row }>,
    update: fakes.get(UpdateCommand) as (input: UpdateCommandInput) => Promise<unknown>,
  };
}

/**
 * A tenant counter's update, by what the adapter's four updates each carry
 * (their DynamoDB semantics are checked against dynalite in
 * test/unit/adapters/tenantUsage.test.ts); throws as a failed condition does.
 */
function updateUsage(usage: TenantUsage | undefined, values: Record<string, unknown>): TenantUsage {
  const value = (name: string) => values[name] as number & string;
  if (':maxPerDay' in values) {
    if (!usage || usage.day !== value(':today') || usage.dayCount >= value(':maxPerDay')) throw conditionFailed();
    if (usage.activeCount >= value(':maxActive')) throw conditionFailed();
    return { ...usage, activeCount: usage.activeCount + 1, dayCount: usage.dayCount + 1 };
  }
  if (':tenant' in values) {
    if (usage?.day === value(':today') || (usage?.activeCount ?? 0) >= value(':maxActive')) throw conditionFailed();
    return { activeCount: (usage?.activeCount ?? 0) + 1, day: value(':today'), dayCount: 1 };
  }
  if (!usage || usage.activeCount <= 0) throw conditionFailed();
  if (':countedOn' in values) {
    if (usage.dayCount <= 0 || usage.day !== value(':countedOn')) throw conditionFailed();
    return { ...usage, activeCount: usage.activeCount - 1, dayCount: usage.dayCount - 1 };
  }
  return { ...usage, activeCount: usage.activeCount - 1 };
}

/**
 * Adds the tenant counters to a mocked jobs table that serveJobsTable serves
 * (call it after serveJobsTable): `tenant-usage#<tenant>` items live in their
 * own map (answered, by tenant id), apart from the job rows; and a job row's
 * update asking for ALL_OLD answers the row as it was, as DynamoDB does, so a
 * terminal write can give its slot back.
 */
export function serveTenantUsage(
  ddb: AwsClientStub<DynamoDBDocumentClient>,
  rows: Map<string, Row>,
): Map<string, TenantUsage> {
  const usage = new Map<string, TenantUsage>();
  const tenantOf = (id: unknown) => (String(id).startsWith('tenant-usage#') ? String(id).slice(13) : undefined);
  const jobs = jobsTableFakes(rows);
  ddb.on(GetCommand).callsFake(async (input: GetCommandInput) => {
    const tenant = tenantOf(input.Key?.id);
    if (tenant === undefined) return jobs.get(input);
    const item = usage.get(tenant);
    return { Item: item ? { id: tenantUsageId(tenant), tenantId: tenant, ...item } : undefined };
  });
  ddb.on(UpdateCommand).callsFake(async (input: UpdateCommandInput) => {
    const tenant = tenantOf(input.Key?.id);
    if (tenant !== undefined) {
      usage.set(tenant, updateUsage(usage.get(tenant), input.ExpressionAttributeValues ?? {}));
      return {};
    }
    const before = structuredClone(rows.get(String(input.Key?.id)));
    const answer = await jobs.update(input);
    return input.ReturnValues === 'ALL_OLD' ? { Attributes: before } : answer;
  });
  return usage;
}
