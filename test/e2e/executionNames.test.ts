import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localJobsClient, uploadExampleFrames } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';

/*
 * Idempotent job ids are deterministic, and Step Functions keeps a Standard
 * execution's name taken for 90 days while a job record lives 30: every job
 * gets an execution name of its own, stored on it. And a job whose execution
 * cannot start ends FAILED at once, never stuck QUEUED.
 */

const API_KEY = 'e2e-execution-names-key';
const JOB_TIMEOUT_MS = 60_000;

/**
 * A pass-through in front of the local Step Functions endpoint that answers the
 * transition workflow's StartExecution with an error while `refuseWith` is set.
 */
async function startSfnFaultProxy(target: string, isTransition: (machineArn: string) => boolean) {
  const proxy = {
    refuseWith: undefined as string | undefined,
    refused: [] as string[],
    url: '',
    server: undefined as Server | undefined,
  };
  proxy.server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const operation = String(request.headers['x-amz-target'] ?? '');
    const input = body.length ? (JSON.parse(body.toString()) as { stateMachineArn?: string; name?: string }) : {};
    if (proxy.refuseWith && operation.endsWith('.StartExecution') && isTransition(String(input.stateMachineArn))) {
      proxy.refused.push(String(input.name));
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': proxy.refuseWith });
      response.end(JSON.stringify({ __type: proxy.refuseWith, message: `Injected ${proxy.refuseWith}` }));
      return;
    }
    const forwarded = httpRequest(
      new URL(request.url ?? '/', target),
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => proxy.server?.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
  return proxy;
}

describe('E2E: execution names and failed starts on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let jobs: DynamoDBDocumentClient;
  let frames: { first: string; last: string };
  let proxy: Awaited<ReturnType<typeof startSfnFaultProxy>>;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-execution-names-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulator: { latencySeconds: 1 },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    // Handlers create their SDK clients when first loaded, as at a cold start:
    // pointing them at the proxy now, before any request, puts it in their path.
    proxy = await startSfnFaultProxy(
      stack.endpoints.stepFunctionsUrl,
      (arn) => arn === stack.endpoints.stateMachineArn,
    );
    process.env.AWS_ENDPOINT_URL_SFN = proxy.url;
    jobs = localJobsClient(stack.endpoints);
    frames = await uploadExampleFrames(stack.endpoints, stack.ownerOf(API_KEY), 'e2e-execution-names');
  });

  afterAll(async () => {
    jobs?.destroy();
    await stack?.close();
    proxy?.server?.closeAllConnections();
    await new Promise((resolve) => proxy?.server?.close(resolve));
    await rm(workDir, { recursive: true, force: true });
  });

  const submit = async (prompt: string, idempotencyKey?: string) => {
    const response = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: {
        'x-api-key': API_KEY,
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
      },
      body: JSON.stringify({ prompt, first_frame_url: frames.first, last_frame_url: frames.last, quality: '360p' }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, replayed: response.headers.get('idempotent-replayed'), body };
  };
  const statusOf = async (id: string) =>
    (await fetch(`${stack.endpoints.apiUrl}/v2/requests/${id}/status`, { headers: { 'x-api-key': API_KEY } })).json();
  const jobRecord = async (id: string) =>
    (await jobs.send(new GetCommand({ TableName: stack.endpoints.jobsTable, Key: { id }, ConsistentRead: true }))).Item;
  const executionNamed = (name: unknown) =>
    stack.stepFunctions.list(stack.endpoints.stateMachineArn).find((execution) => execution.name === name);

  it(
    'starts a new execution, and completes, when an idempotent job is submitted again after its record expired',
    async () => {
      // Arrange: the first job completes under its own execution; then the TTL removes its record.
      const submissionsBefore = stack.emulator?.submissions() ?? 0;
      const first = await submit('expired idempotent job', 'expires-1');
      const id = String(first.body.request_id);
      await stack.idle();
      const firstRecord = await jobRecord(id);
      await jobs.send(new DeleteCommand({ TableName: stack.endpoints.jobsTable, Key: { id } }));

      // Act
      const again = await submit('expired idempotent job', 'expires-1');
      await stack.idle();

      // Assert
      expect(first.status).toBe(202);
      expect(again).toMatchObject({ status: 202, replayed: null, body: { request_id: id } });
      expect(firstRecord).toMatchObject({ status: 'COMPLETED', executionName: expect.stringMatching(`^${id}-`) });
      const secondRecord = await jobRecord(id);
      expect(secondRecord?.executionName).toMatch(new RegExp(`^${id}-`));
      expect(secondRecord?.executionName).not.toBe(firstRecord?.executionName);
      expect(await statusOf(id)).toMatchObject({ request_id: id, status: 'COMPLETED' });
      expect(executionNamed(firstRecord?.executionName)).toMatchObject({ status: 'SUCCEEDED' });
      expect(executionNamed(secondRecord?.executionName)).toMatchObject({
        status: 'SUCCEEDED',
        executionArn: secondRecord?.executionArn,
      });
      // The record had expired: the second submit is a new, paid job.
      expect(stack.emulator?.submissions()).toBe(submissionsBefore + 2);
    },
    JOB_TIMEOUT_MS,
  );

  it.each(['ExecutionLimitExceeded', 'ExecutionAlreadyExists'])(
    'ends a job whose execution cannot start (%s) FAILED with a code, never QUEUED',
    async (refusal) => {
      // Arrange
      proxy.refuseWith = refusal;
      const submissionsBefore = stack.emulator?.submissions() ?? 0;

      // Act
      const answer = await submit(`cannot start: ${refusal}`, `refused-${refusal}`);
      proxy.refuseWith = undefined;
      const id = proxy.refused.at(-1)?.replace(/-[0-9A-HJKMNP-TV-Z]{26}$/, '') ?? 'none';

      // Assert
      expect(answer.status).toBe(500);
      expect(await statusOf(id)).toMatchObject({
        request_id: id,
        status: 'FAILED',
        error_code: 'internal_error',
        error: expect.stringMatching(/could not be started; nothing was submitted/),
      });
      expect(executionNamed((await jobRecord(id))?.executionName)).toBeUndefined();
      expect(stack.emulator?.submissions()).toBe(submissionsBefore);
      // A replay answers the same request (as a submit answers) and starts nothing: the job stays as it ended.
      const replay = await submit(`cannot start: ${refusal}`, `refused-${refusal}`);
      expect(replay).toMatchObject({ status: 202, replayed: 'true', body: { request_id: id } });
      expect(await statusOf(id)).toMatchObject({ status: 'FAILED', error_code: 'internal_error' });
      expect(proxy.refused.filter((name) => name.startsWith(id))).toHaveLength(1);
    },
  );
});
