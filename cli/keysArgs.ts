import { type ParseArgsConfig, parseArgs } from 'node:util';
import * as z from 'zod';
import { keyIdSchema, type TenantLimits, tenantIdSchema } from '../lambdas/core/tenants';

/** Where `framebridge keys` acts: the running local stack, or a deployed stack named by its outputs file. */
export type KeysTarget = { kind: 'local' } | { kind: 'deployed'; outputsFile: string; stackName?: string };

export type KeysCommand =
  | { action: 'help' }
  | { action: 'create'; tenantId: string; limits: TenantLimits; target: KeysTarget; json: boolean }
  | { action: 'list'; tenantId?: string; target: KeysTarget; json: boolean }
  | { action: 'revoke'; keyId: string; target: KeysTarget; json: boolean };

/** Bad input on the command line (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const keysUsage = `framebridge keys — API keys and their tenants

  keys create --tenant NAME [--max-active-jobs N] [--max-jobs-per-day N]
      Issues a key for the tenant and prints it once, with its key id. Only its hash is stored.
      The limits override the deployment's defaults for jobs made with this key.
  keys list [--tenant NAME]
      Every key (or one tenant's): key id, tenant, status, created, last used, limits.
  keys revoke KEY_ID
      Revokes a key: refused at once locally, within 5 minutes in AWS (the authorizer caches).

  Every command acts on the running local stack, found through <data dir>/endpoints.json
  (FRAMEBRIDGE_DATA_DIR, default .framebridge/), unless given
    --outputs FILE [--stack NAME]   the deployed stack in the file \`cdk deploy --outputs-file FILE\`
                                    wrote; uses the default AWS credentials and region (AWS_REGION),
                                    and AWS_ENDPOINT_URL_DYNAMODB when set.
    --json                          prints JSON instead of text.
`;

const targetOptions = {
  outputs: { type: 'string' },
  stack: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const tenant = z.string({ error: 'is required' }).pipe(tenantIdSchema);
const limit = z
  .string()
  .regex(/^[1-9][0-9]{0,8}$/, { error: 'must be a whole number from 1 to 999999999' })
  .transform(Number)
  .optional();
const target = {
  outputs: z.string().min(1, { error: 'must name a file' }).optional(),
  stack: z.string().min(1, { error: 'must name a stack' }).optional(),
};

const createSchema = z.object({ tenant, 'max-active-jobs': limit, 'max-jobs-per-day': limit, ...target });
const listSchema = z.object({ tenant: tenant.optional(), ...target });
const revokeSchema = z.object({ KEY_ID: z.string({ error: 'is required' }).pipe(keyIdSchema), ...target });

/** `--flag: rule (got "value")`, or `KEY_ID: rule` for the positional argument. */
function parseFlags<S extends z.ZodType>(schema: S, values: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const given = values[name];
    const label = name === name.toUpperCase() ? name : `--${name}`;
    return `${label}: ${issue.message}${typeof given === 'string' ? ` (got "${given}")` : ''}`;
  });
  throw new UsageError(problems.join('\n'));
}

function targetOf(values: { outputs?: string; stack?: string }): KeysTarget {
  if (values.outputs === undefined) {
    if (values.stack !== undefined) throw new UsageError('--stack: only goes with --outputs FILE');
    return { kind: 'local' };
  }
  return { kind: 'deployed', outputsFile: values.outputs, stackName: values.stack };
}

type ParsedArgs = { values: Record<string, string | boolean | undefined>; positionals: string[] };

function readArgs(action: string, argv: string[], options: ParseArgsConfig['options']): ParsedArgs {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true }) as ParsedArgs;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    throw new UsageError(unknown ? `${unknown}: is not an option of \`keys ${action}\`` : message);
  }
}

const tenantOption = { tenant: { type: 'string' } } as const;
const limitOptions = { 'max-active-jobs': { type: 'string' }, 'max-jobs-per-day': { type: 'string' } } as const;
const optionsOf = {
  create: { ...targetOptions, ...tenantOption, ...limitOptions },
  list: { ...targetOptions, ...tenantOption },
  revoke: targetOptions,
} as const;
const isAction = (action: string): action is keyof typeof optionsOf => Object.hasOwn(optionsOf, action);

/** Reads `keys <action> …`; throws a UsageError naming the flag and the rule it breaks. */
export function parseKeysArgs(argv: string[]): KeysCommand {
  const [action = 'help', ...rest] = argv;
  if (action === 'help' || action === '--help' || action === '-h') return { action: 'help' };
  if (!isAction(action)) throw new UsageError(`Unknown keys command '${action}': use create, list or revoke`);
  const { values, positionals } = readArgs(action, rest, optionsOf[action]);
  if (values.help) return { action: 'help' };
  const json = values.json === true;

  if (action === 'revoke') {
    if (positionals.length > 1) throw new UsageError(`KEY_ID: give one key id (got ${positionals.length})`);
    const flags = parseFlags(revokeSchema, { ...values, KEY_ID: positionals[0] });
    return { action, keyId: flags.KEY_ID, target: targetOf(flags), json };
  }
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
  if (action === 'list') {
    const flags = parseFlags(listSchema, values);
    return { action, tenantId: flags.tenant, target: targetOf(flags), json };
  }
  const flags = parseFlags(createSchema, values);
  return {
    action,
    tenantId: flags.tenant,
    limits: { maxActiveJobs: flags['max-active-jobs'], maxJobsPerDay: flags['max-jobs-per-day'] },
    target: targetOf(flags),
    json,
  };
}
