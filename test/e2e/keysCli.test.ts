import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdFor } from '../../lambdas/core/tenants';
import { uploadExampleFrames } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { runCli } from './cliProcess';

const KEY_ID = /^Key id: +(key-[0-9a-f]{16})$/m;
const ISSUED_KEY = /^ {2}(fb_[A-Za-z0-9_-]{43})$/m;

const cli = (args: string[], env: Record<string, string>) => runCli('keys', args, env);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('E2E: framebridge keys against the local stack and a deployed stack (outputs file)', () => {
  let stack: LocalStack;
  let workDir: string;
  let local: Record<string, string>;
  let frames: { first: string; last: string };

  const status = async (key: string, route = '/v2/requests') =>
    (await fetch(`${stack.endpoints.apiUrl}${route}`, { headers: { 'x-api-key': key } })).status;

  const listJson = async (env: Record<string, string>, ...args: string[]) => {
    const run = await cli(['list', '--json', ...args], env);
    expect(run.code, run.stderr).toBe(0);
    return { run, keys: JSON.parse(run.stdout) as Record<string, unknown>[] };
  };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-keys-cli-'));
    const dataDir = path.join(workDir, 'data');
    stack = await startLocalStack({
      port: 0,
      dataDir,
      apiKeys: ['acme:k1'],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    local = { FRAMEBRIDGE_DATA_DIR: dataDir };
    frames = await uploadExampleFrames(stack.endpoints, 'acme', 'e2e-keys-cli');
  });

  afterAll(async () => {
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('issues a key that works at once for its tenant, lists it with its last use, and revokes it', async () => {
    // Act: issue.
    const created = await cli(['create', '--tenant', 'acme', '--max-active-jobs', '4'], local);

    // Assert: shown once, with its id and tenant; stored hashed.
    expect(created.code, created.stderr).toBe(0);
    const apiKey = ISSUED_KEY.exec(created.stdout)?.[1] ?? '';
    const keyId = KEY_ID.exec(created.stdout)?.[1];
    expect(apiKey).not.toBe('');
    expect(keyId).toBe(keyIdFor(apiKey));
    expect(created.stdout).toMatch(/^Tenant: +acme$/m);
    expect(created.stdout).toMatch(/^Limits: +4 active, default\/day$/m);
    expect(created.stdout).toContain('shown only this once');

    // The new key works at once, as acme: it sees the job acme's other key submitted.
    const submitted = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': 'k1', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'seen by both keys', first_frame_url: frames.first, last_frame_url: frames.last }),
    });
    expect(submitted.status).toBe(202);
    const { request_id: jobId } = (await submitted.json()) as { request_id: string };
    expect(await status(apiKey, `/v2/requests/${jobId}/status`)).toBe(200);

    // keys list: the key's id, tenant, status, times and limits; never the key or its hash.
    const listed = await cli(['list'], local);
    expect(listed.code, listed.stderr).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(String(keyId)));
    expect(row).toMatch(
      /^key-[0-9a-f]{16} +acme +active +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +4 active, default\/day$/,
    );
    expect(listed.stdout.split('\n')[0]).toMatch(/^KEY ID +TENANT +STATUS +CREATED +LAST USED +LIMITS$/);
    const { run: listedJson, keys } = await listJson(local, '--tenant', 'acme');
    const hash = createHash('sha256').update(apiKey).digest('hex');
    for (const output of [listed.stdout, listedJson.stdout]) {
      expect(output).not.toContain(apiKey);
      expect(output).not.toContain(hash);
    }
    expect(keys.find((key) => key.keyId === keyId)).toMatchObject({
      tenantId: 'acme',
      status: 'active',
      lastUsedAt: expect.any(String),
      limits: { maxActiveJobs: 4 },
    });
    expect(keys.map((key) => key.keyId)).toContain(keyIdFor('k1'));

    // Act: revoke.
    const revoked = await cli(['revoke', String(keyId)], local);

    // Assert: refused at once, with the API's JSON error; the tenant's other key still works.
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked ${keyId} \\(tenant acme\\) at .*refuses it at once`));
    const refused = await fetch(`${stack.endpoints.apiUrl}/v2/requests/${jobId}/status`, {
      headers: { 'x-api-key': apiKey },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: 'The x-api-key is unknown or revoked',
      error_code: 'forbidden',
      details: [],
    });
    expect(await status('k1', `/v2/requests/${jobId}/status`)).toBe(200);
    const { keys: afterRevoke } = await listJson(local);
    expect(afterRevoke.find((key) => key.keyId === keyId)).toMatchObject({
      status: 'revoked',
      revokedAt: expect.any(String),
    });
    const again = await cli(['revoke', String(keyId)], local);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was already revoked');
    for (const run of stack.stepFunctions.list(stack.endpoints.stateMachineArn)) await run.done;
  }, 120_000);

  it('holds a tenant to the limits its key was issued with: 429 with Retry-After, nothing started', async () => {
    // Arrange
    const created = await cli(['create', '--tenant', 'initech', '--max-active-jobs', '1', '--json'], local);
    expect(created.code, created.stderr).toBe(0);
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
    const initechFrames = await uploadExampleFrames(stack.endpoints, 'initech', 'e2e-keys-cli');
    const submit = () =>
      fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({
          prompt: 'one at a time',
          first_frame_url: initechFrames.first,
          last_frame_url: initechFrames.last,
        }),
      });
    const executionsBefore = stack.stepFunctions.list(stack.endpoints.stateMachineArn).length;

    // Act
    const first = await submit();
    const second = await submit();

    // Assert
    expect(first.status).toBe(202);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('30');
    expect(await second.json()).toEqual({
      error: expect.stringContaining('The active jobs limit of 1 is reached'),
      error_code: 'tenant_limit_exceeded',
      details: [{ field: 'maxActiveJobs', rule: 'at most 1 active (queued or running) jobs at a time' }],
    });
    expect(stack.stepFunctions.list(stack.endpoints.stateMachineArn)).toHaveLength(executionsBefore + 1);
    for (const run of stack.stepFunctions.list(stack.endpoints.stateMachineArn)) await run.done;
  }, 120_000);

  it('exits 1 naming an unknown key id, and 2 naming the flag and rule of bad input, changing nothing', async () => {
    // Arrange
    const { keys: before } = await listJson(local);

    // Act
    const [unknown, badTenant, badLimit, badKeyId] = await Promise.all([
      cli(['revoke', 'key-0000000000000000'], local),
      cli(['create', '--tenant', 'Acme Corp'], local),
      cli(['create', '--tenant', 'acme', '--max-jobs-per-day', '0'], local),
      cli(['revoke', 'k1'], local),
    ]);

    // Assert
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No key with id key-0000000000000000');
    expect(badTenant.code).toBe(2);
    expect(badTenant.stderr).toContain('--tenant: must be 1–63 lower-case letters');
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--max-jobs-per-day: must be a whole number from 1 to 999999999 (got "0")');
    expect(badKeyId.code).toBe(2);
    expect(badKeyId.stderr).toContain('KEY_ID: must be a key id');
    const { keys: after } = await listJson(local);
    expect(after).toEqual(before);
  }, 120_000);

  it('says the local stack is not running when there is no endpoints file, or nothing answers at it', async () => {
    // Arrange
    const emptyDir = path.join(workDir, 'no-stack');
    const staleDir = path.join(workDir, 'stale-stack');
    await mkdir(emptyDir, { recursive: true });
    await mkdir(staleDir, { recursive: true });
    const endpoints = JSON.parse(await readFile(stack.endpointsFile, 'utf8')) as Record<string, unknown>;
    endpoints.dynamoDbUrl = `http://127.0.0.1:${await closedPort()}`;
    await writeFile(path.join(staleDir, 'endpoints.json'), JSON.stringify(endpoints));

    // Act
    const [missing, stale] = await Promise.all([
      cli(['list'], { FRAMEBRIDGE_DATA_DIR: emptyDir }),
      cli(['list'], { FRAMEBRIDGE_DATA_DIR: staleDir }),
    ]);

    // Assert
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `The local stack is not running: there is no ${path.join(emptyDir, 'endpoints.json')}`,
    );
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`The local stack is not running: nothing answers at ${endpoints.dynamoDbUrl}`);
  }, 120_000);

  it('--outputs FILE acts on the keys table the outputs name, through the AWS SDK configuration', async () => {
    // Arrange: an outputs file as `cdk deploy --outputs-file` writes it, and a shell aimed at "AWS".
    const outputsFile = path.join(workDir, 'cdk-outputs.json');
    await writeFile(
      outputsFile,
      JSON.stringify({ Framebridge: { ApiUrl: stack.endpoints.apiUrl, KeysTableName: stack.endpoints.keysTable } }),
    );
    const aws = {
      FRAMEBRIDGE_DATA_DIR: path.join(workDir, 'no-stack-here'),
      AWS_REGION: stack.endpoints.region,
      AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamoDbUrl,
      AWS_ACCESS_KEY_ID: stack.endpoints.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stack.endpoints.credentials.secretAccessKey,
    };

    // Act
    const created = await cli(['create', '--tenant', 'globex', '--outputs', outputsFile, '--json'], aws);

    // Assert
    expect(created.code, created.stderr).toBe(0);
    const issued = JSON.parse(created.stdout) as { apiKey: string; keyId: string; tenantId: string };
    expect(issued).toMatchObject({ keyId: keyIdFor(issued.apiKey), tenantId: 'globex', status: 'active' });
    expect(await status(issued.apiKey)).toBe(200);
    const { keys } = await listJson(aws, '--outputs', outputsFile, '--tenant', 'globex');
    expect(keys.map((key) => key.keyId)).toEqual([issued.keyId]);
    const revoked = await cli(['revoke', issued.keyId, '--outputs', outputsFile], aws);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('up to 5 minutes');
    expect(await status(issued.apiKey)).toBe(403);

    // A table the region does not hold, no region, several stacks: each said plainly.
    const otherOutputs = path.join(workDir, 'other-outputs.json');
    await writeFile(otherOutputs, JSON.stringify({ Old: { KeysTableName: 'no-such-table' } }));
    const twoStacks = path.join(workDir, 'two-stacks.json');
    await writeFile(twoStacks, JSON.stringify({ A: { KeysTableName: 'a' }, B: { KeysTableName: 'b' } }));
    const { AWS_REGION: _region, ...noRegion } = aws;
    const [missingTable, missingRegion, ambiguous] = await Promise.all([
      cli(['list', '--outputs', otherOutputs], aws),
      cli(['list', '--outputs', outputsFile], noRegion),
      cli(['list', '--outputs', twoStacks], aws),
    ]);
    expect(missingTable.code).toBe(1);
    expect(missingTable.stderr).toContain(`The keys table no-such-table does not exist in ${stack.endpoints.region}`);
    expect(missingRegion.code).toBe(1);
    expect(missingRegion.stderr).toContain('No AWS region is configured: set AWS_REGION');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('several stacks with keys (A, B): name one with --stack');
  }, 120_000);
});
