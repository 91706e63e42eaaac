import * as z from 'zod';
import { parseEnv } from '../lambdas/core/config';
import { AUTHORIZER_CACHE_SECONDS } from '../lambdas/core/contract/names';
import type { KeySummary, TenantLimits } from '../lambdas/core/tenants';
import { issueKey, listKeySummaries, revokeKeyById, UnknownKeyError } from '../lambdas/keys/manageKeys';
import { type KeysCommand, keysUsage, parseKeysArgs, UsageError } from './keysArgs';
import { type OpenedKeyStore, openKeyStore, TargetError } from './keysTarget';

/** Where the local stack writes `endpoints.json`, as `startLocalStack` resolves it. */
const cliEnv = parseEnv(z.object({ FRAMEBRIDGE_DATA_DIR: z.string().default('.framebridge') }));

const print = (text: string) => process.stdout.write(`${text}\n`);
const complain = (text: string) => process.stderr.write(`${text}\n`);

/** Seconds to the second: `2025-03-01T12:00:00Z`. */
const timeText = (iso: string | undefined) => (iso === undefined ? 'never' : iso.replace(/\.\d{3}Z$/, 'Z'));

/** `3 active, 100/day`; an unset limit is the deployment's default. */
function limitsText(limits: TenantLimits | undefined): string {
  const { maxActiveJobs, maxJobsPerDay } = limits ?? {};
  if (maxActiveJobs === undefined && maxJobsPerDay === undefined) return 'defaults';
  return `${maxActiveJobs ?? 'default'} active, ${maxJobsPerDay ?? 'default'}/day`;
}

async function create(command: Extract<KeysCommand, { action: 'create' }>, opened: OpenedKeyStore) {
  const { apiKey, key } = await issueKey(opened.store, { tenantId: command.tenantId, limits: command.limits });
  if (command.json) return print(JSON.stringify({ apiKey, ...key }, null, 2));
  print(
    [
      `Issued an API key for the tenant ${key.tenantId}. It is shown only this once: store it now.`,
      '',
      `  ${apiKey}`,
      '',
      `Key id:   ${key.keyId}`,
      `Tenant:   ${key.tenantId}`,
      `Limits:   ${limitsText(key.limits)}`,
      `Stored:   ${opened.description}`,
    ].join('\n'),
  );
}

function keyTable(keys: KeySummary[]): string {
  const rows = [
    ['KEY ID', 'TENANT', 'STATUS', 'CREATED', 'LAST USED', 'LIMITS'],
    ...keys.map((key) => [
      key.keyId,
      key.tenantId,
      key.status,
      timeText(key.createdAt),
      timeText(key.lastUsedAt),
      limitsText(key.limits),
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function list(command: Extract<KeysCommand, { action: 'list' }>, opened: OpenedKeyStore) {
  const keys = await listKeySummaries(opened.store, { tenantId: command.tenantId });
  if (command.json) return print(JSON.stringify(keys, null, 2));
  if (keys.length === 0) {
    const whose = command.tenantId === undefined ? '' : ` of the tenant ${command.tenantId}`;
    return print(`No keys${whose} in the ${opened.description}.`);
  }
  print(keyTable(keys));
}

async function revoke(command: Extract<KeysCommand, { action: 'revoke' }>, opened: OpenedKeyStore) {
  const { key, alreadyRevoked } = await revokeKeyById(opened.store, command.keyId);
  if (command.json) return print(JSON.stringify({ ...key, alreadyRevoked }, null, 2));
  const revokedAt = timeText(key.revokedAt);
  if (alreadyRevoked) return print(`${key.keyId} (tenant ${key.tenantId}) was already revoked at ${revokedAt}.`);
  const when =
    opened.kind === 'local'
      ? 'The local stack refuses it at once.'
      : `API Gateway may still accept it for up to ${AUTHORIZER_CACHE_SECONDS / 60} minutes: the authorizer caches each key's answer for ${AUTHORIZER_CACHE_SECONDS} s.`;
  print(`Revoked ${key.keyId} (tenant ${key.tenantId}) at ${revokedAt}. ${when}`);
}

/** `framebridge keys …`: 0 done, 1 the table refused or could not be reached, 2 bad input. */
export async function keys(argv: string[]): Promise<number> {
  let command: KeysCommand;
  try {
    command = parseKeysArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    complain(`${error.message}\nRun \`npx tsx cli/framebridge.ts keys --help\` for the usage.`);
    return 2;
  }
  if (command.action === 'help') {
    process.stdout.write(keysUsage);
    return 0;
  }

  let opened: OpenedKeyStore;
  try {
    opened = await openKeyStore(command.target, cliEnv.FRAMEBRIDGE_DATA_DIR);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    complain(error.message);
    return 1;
  }
  try {
    if (command.action === 'create') await create(command, opened);
    else if (command.action === 'list') await list(command, opened);
    else await revoke(command, opened);
    return 0;
  } catch (error) {
    complain(
      error instanceof UnknownKeyError
        ? `${error.message} in the ${opened.description}: \`keys list\` shows the key ids.`
        : opened.explain(error),
    );
    return 1;
  } finally {
    opened.close();
  }
}
