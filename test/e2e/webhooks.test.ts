import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebhookPayload, webhookPayloadSchema } from '../../lambdas/core/webhook';
import { localJobsClient, uploadExampleFrames } from '../../local/clients';
import type { LocalStepFunctions } from '../../local/sfn/executions';
import { type LocalStack, startLocalStack } from '../../local/stack';

const API_KEY = 'e2e-webhooks-key';
const SECRET = `whsec_${Buffer.from('framebridge e2e webhook signing secret').toString('base64')}`;
const FAIL_MARK = '[upstream-fails]';
const NEVER_MARK = '[never-finishes]';
const UPSTREAM_FAILURE = 'Content moderation: the prompt was rejected by the model';
const JOB_TIMEOUT_MS = 90_000;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A webhook receiver on loopback: each path answers its planned statuses in turn, then 200. */
class Receiver {
  readonly received: Received[] = [];
  private readonly plans = new Map<string, number[]>();
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const requestPath = request.url ?? '/';
      const status = this.plans.get(requestPath)?.shift() ?? 200;
      this.received.push({
        path: requestPath,
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
        status,
      });
      const location = status >= 300 && status < 400 ? { location: `/redirected${requestPath}` } : {};
      response.writeHead(status, { 'content-type': 'text/plain', ...location }).end(`answered ${status}`);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  plan(requestPath: string, statuses: number[]): string {
    this.plans.set(requestPath, [...statuses]);
    return `${this.url}${requestPath}`;
  }

  at(requestPath: string): Received[] {
    return this.received.filter((r) => r.path === requestPath);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Verifies as a receiver would, at the time the request was signed (the verifier allows 5 minutes of skew). */
function verified(request: Received): WebhookPayload {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  return webhookPayloadSchema.parse(new Webhook(SECRET).verify(request.body, headers));
}

describe('E2E: webhooks on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let receiver: Receiver;
  let jobs: DynamoDBDocumentClient;
  let frameUris: { first: string; last: string };
  let delivery: LocalStepFunctions;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-e2e-webhooks-'));
    receiver = new Receiver();
    await receiver.start();
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        scenario: (request) =>
          String(request.prompt ?? '').includes(FAIL_MARK)
            ? { fail: UPSTREAM_FAILURE }
            : String(request.prompt ?? '').includes(NEVER_MARK)
              ? { neverFinish: true }
              : undefined,
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
      webhookSecret: SECRET,
    });
    const { endpoints } = stack;
    const machine = stack.stateMachines.all().find((m) => m.stateMachineArn.includes('WebhookDelivery'));
    if (!machine) throw new Error('the local stack runs no webhook delivery state machine');
    delivery = machine;
    jobs = localJobsClient(endpoints);
    frameUris = await uploadExampleFrames(endpoints, stack.ownerOf(API_KEY), 'e2e-webhooks');
  });

  afterAll(async () => {
    jobs?.destroy();
    await stack?.close();
    await receiver?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  /** Submits through the API, then waits for the job, its events and its webhook delivery to settle. */
  async function runJob(callbackUrl: string | undefined, prompt = 'dawn to night'): Promise<string> {
    const response = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt,
        first_frame_url: frameUris.first,
        last_frame_url: frameUris.last,
        quality: '360p',
        ...(callbackUrl ? { callback_url: callbackUrl } : {}),
      }),
    });
    const body = (await response.json()) as { request_id?: string; error?: unknown };
    expect(response.status, JSON.stringify(body)).toBe(202);
    const jobId = String(body.request_id);
    // Settles the job's execution, the events it put and the delivery execution Notify started.
    await stack.idle();
    return jobId;
  }

  const jobRecord = async (id: string) =>
    (await jobs.send(new GetCommand({ TableName: stack.endpoints.jobsTable, Key: { id }, ConsistentRead: true }))).Item;
  const deliveryOf = (jobId: string) =>
    delivery.list(delivery.stateMachineArn).find((e) => (JSON.parse(e.input) as { jobId?: string }).jobId === jobId);

  it(
    'delivers a signed transition.completed webhook carrying a fresh video URL that works',
    async () => {
      // Arrange
      const callback = receiver.plan('/hooks/ok', []);

      // Act
      const jobId = await runJob(callback);

      // Assert
      const [request, ...more] = receiver.at('/hooks/ok');
      expect(more).toHaveLength(0);
      if (!request) throw new Error('no webhook received');
      expect(request.headers).toMatchObject({
        'webhook-id': `msg_${jobId}`,
        'content-type': 'application/json',
        'user-agent': 'framebridge-webhooks/1',
      });
      const payload = verified(request);
      expect(payload).toMatchObject({
        type: 'transition.completed',
        data: {
          request_id: jobId,
          status: 'COMPLETED',
          s3_uri: `s3://${stack.endpoints.bucket}/jobs/${jobId}/video.mp4`,
          error: null,
        },
      });
      const expiresIn = Date.parse(String(payload.data.expires_at)) - Date.now();
      expect(expiresIn).toBeGreaterThan(55 * 60_000);
      expect(expiresIn).toBeLessThanOrEqual(3_600_000);
      const video = await fetch(String(payload.data.video_url));
      expect(video.status).toBe(200);
      const bytes = Buffer.from(await video.arrayBuffer());
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

      const record = await jobRecord(jobId);
      expect(record).toMatchObject({
        status: 'COMPLETED',
        webhook: { id: `msg_${jobId}`, status: 'delivered', attempts: 1, lastStatus: 200 },
      });
      expect(record?.output?.bytes).toBe(bytes.length);
      const status = await fetch(`${stack.endpoints.apiUrl}/v2/requests/${jobId}/status`, {
        headers: { 'x-api-key': API_KEY },
      });
      expect(await status.json()).toMatchObject({
        status: 'COMPLETED',
        webhook: { id: `msg_${jobId}`, status: 'delivered', attempts: 1 },
      });
      expect(deliveryOf(jobId)?.status).toBe('SUCCEEDED');
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'retries a receiver that answers 500, delivering on attempt 2 with the same webhook-id',
    async () => {
      const callback = receiver.plan('/hooks/flaky', [500]);

      const jobId = await runJob(callback);

      const requests = receiver.at('/hooks/flaky');
      expect(requests.map((r) => r.status)).toEqual([500, 200]);
      expect(requests.map((r) => r.headers['webhook-id'])).toEqual([`msg_${jobId}`, `msg_${jobId}`]);
      for (const request of requests) expect(verified(request).data.request_id).toBe(jobId);
      expect((await jobRecord(jobId))?.webhook).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200 });
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'stops at a 410 after one attempt: the webhook is failed, the job still COMPLETED',
    async () => {
      const callback = receiver.plan('/hooks/gone', [410]);

      const jobId = await runJob(callback);

      expect(receiver.at('/hooks/gone').map((r) => r.status)).toEqual([410]);
      expect(await jobRecord(jobId)).toMatchObject({
        status: 'COMPLETED',
        webhook: { status: 'failed', attempts: 1, lastStatus: 410 },
      });
      expect(deliveryOf(jobId)).toMatchObject({ status: 'FAILED', error: 'WebhookDeliveryFailed' });
      const workflow = stack.stepFunctions.ofJob(stack.endpoints.stateMachineArn, jobId)[0];
      expect(workflow?.status).toBe('SUCCEEDED');
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'does not follow a redirect: a 301 is a failed attempt, retried at the same URL',
    async () => {
      const callback = receiver.plan('/hooks/moved', [301]);

      const jobId = await runJob(callback);

      expect(receiver.at('/hooks/moved').map((r) => r.status)).toEqual([301, 200]);
      expect(receiver.at('/redirected/hooks/moved')).toHaveLength(0);
      expect((await jobRecord(jobId))?.webhook).toMatchObject({ status: 'delivered', attempts: 2 });
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'sends transition.failed with the code and message when the upstream job fails, and the job still fails',
    async () => {
      const callback = receiver.plan('/hooks/failed', []);

      const jobId = await runJob(callback, `a transition ${FAIL_MARK}`);

      const [request] = receiver.at('/hooks/failed');
      if (!request) throw new Error('no webhook received');
      expect(verified(request)).toMatchObject({
        type: 'transition.failed',
        data: {
          request_id: jobId,
          status: 'FAILED',
          video_url: null,
          expires_at: null,
          s3_uri: null,
          error: { code: 'upstream_failed', message: expect.stringContaining(UPSTREAM_FAILURE) },
        },
      });
      expect(await jobRecord(jobId)).toMatchObject({
        status: 'FAILED',
        error: { code: 'upstream_failed' },
        webhook: { status: 'delivered', attempts: 1 },
      });
      const workflow = stack.stepFunctions.ofJob(stack.endpoints.stateMachineArn, jobId)[0];
      expect(workflow).toMatchObject({ status: 'FAILED', error: 'upstream_failed' });
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'sends nothing and starts no delivery for a job without a callback_url',
    async () => {
      const before = receiver.received.length;

      const jobId = await runJob(undefined);

      expect(receiver.received).toHaveLength(before);
      expect(deliveryOf(jobId)).toBeUndefined();
      expect(await jobRecord(jobId)).toMatchObject({ status: 'COMPLETED' });
      expect((await jobRecord(jobId))?.webhook).toBeUndefined();
    },
    JOB_TIMEOUT_MS,
  );
  it(
    'keeps the job COMPLETED and records every failed attempt when the receiver is down',
    async () => {
      // A port that was open a moment ago and is now closed: connection refused.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));

      const jobId = await runJob(`http://127.0.0.1:${port}/hooks/down`);

      const record = await jobRecord(jobId);
      expect(record).toMatchObject({ status: 'COMPLETED', webhook: { status: 'failed' } });
      expect(record?.webhook.attempts).toBe(11);
      expect(record?.webhook.lastError).toMatch(/ECONNREFUSED|refused|connect/i);
      expect(deliveryOf(jobId)).toMatchObject({ status: 'FAILED' });
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'counts a receiver slower than 15 s as a failed attempt and retries it with the same webhook-id',
    async () => {
      const seen: string[] = [];
      const slow = createServer((request, response) => {
        seen.push(String(request.headers['webhook-id']));
        request.resume();
        const delay = seen.length === 1 ? 16_000 : 0;
        setTimeout(() => response.writeHead(200).end('ok'), delay).unref();
      });
      await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
      try {
        const jobId = await runJob(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/hooks/slow`);

        const record = await jobRecord(jobId);
        expect(record).toMatchObject({ status: 'COMPLETED', webhook: { status: 'delivered', attempts: 2 } });
        expect(seen).toEqual([`msg_${jobId}`, `msg_${jobId}`]);
      } finally {
        slow.closeAllConnections();
        await new Promise((resolve) => slow.close(resolve));
      }
    },
    JOB_TIMEOUT_MS,
  );
  it(
    'announces a cancelled job like any failed one: transition.failed with code cancelled, and the event',
    async () => {
      const callback = receiver.plan('/hooks/cancelled', []);
      const submitted = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({
          prompt: `a transition ${NEVER_MARK}`,
          first_frame_url: frameUris.first,
          last_frame_url: frameUris.last,
          quality: '360p',
          callback_url: callback,
        }),
      });
      const jobId = String(((await submitted.json()) as { request_id: string }).request_id);

      const cancelled = await fetch(`${stack.endpoints.apiUrl}/v2/requests/${jobId}`, {
        method: 'DELETE',
        headers: { 'x-api-key': API_KEY },
      });
      await stack.idle();

      expect(cancelled.status).toBe(200);
      const [request] = receiver.at('/hooks/cancelled');
      if (!request) throw new Error('no webhook received for the cancelled job');
      expect(verified(request)).toMatchObject({
        type: 'transition.failed',
        data: { request_id: jobId, status: 'FAILED', error: { code: 'cancelled' } },
      });
      expect(await jobRecord(jobId)).toMatchObject({
        status: 'FAILED',
        error: { code: 'cancelled' },
        webhook: { status: 'delivered', attempts: 1 },
      });
      const events = (await readFile(stack.endpoints.eventsFile, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { DetailType: string; Detail: { request_id: string; code?: string } });
      expect(events.filter((event) => event.Detail.request_id === jobId)).toEqual([
        expect.objectContaining({
          DetailType: 'Transition Failed',
          Detail: expect.objectContaining({ code: 'cancelled' }),
        }),
      ]);
    },
    JOB_TIMEOUT_MS,
  );
});
