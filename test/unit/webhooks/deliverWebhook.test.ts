import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job, WebhookRecord } from '../../../lambdas/core/job';
import {
  WEBHOOK_USER_AGENT,
  WebhookGoneError,
  type WebhookPayload,
  WebhookRefusedError,
  WebhookRetryableError,
  webhookPayloadSchema,
} from '../../../lambdas/core/webhook';
import { CallbackRefusedError, type GuardedPostAnswer } from '../../../lambdas/webhooks/guardedPost';
import { type DeliverWebhookDeps, deliverWebhook } from '../../../lambdas/webhooks/steps/deliverWebhook';
import { recordWebhookFailure } from '../../../lambdas/webhooks/steps/recordWebhookFailure';
import { jobStore, serveJobsTable, storedJob, TABLE_NAME, updatesSent } from '../fakeJobsTable';
import { lambdaContext, stubLambdaEnv } from '../lambdaContext';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
stubLambdaEnv({
  JOBS_TABLE_NAME: TABLE_NAME,
  FRAMEBRIDGE_WEBHOOK_SECRET: SECRET,
  FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS: '0',
});

const ddb = mockClient(DynamoDBDocumentClient);
const { handler: deliverHandler } = await import('../../../lambdas/webhooks/deliverWebhook');
const { handler: recordFailureHandler } = await import('../../../lambdas/webhooks/recordWebhookFailure');

const JOB_ID = '01JQ0000000000000000000202';
const WEBHOOK_ID = `msg_${JOB_ID}`;
const CALLBACK = 'https://hooks.example.com/framebridge';
const output = {
  s3Bucket: 'framebridge-videos',
  videoKey: `jobs/${JOB_ID}/video.mp4`,
  resultKey: `jobs/${JOB_ID}/result.json`,
  bytes: 2048,
  contentType: 'video/mp4',
};

let rows: Map<string, Record<string, unknown>>;
const putRow = (job: Job) => rows.set(job.id, structuredClone(job));
const webhookOf = () => rows.get(JOB_ID)?.webhook as WebhookRecord | undefined;
const completedJob = (fields: Partial<Job> = {}) =>
  storedJob(JOB_ID, { callback_url: CALLBACK }, { status: 'COMPLETED', phase: 'completed', output, ...fields });

interface Sent {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** Deps whose receiver answers the given statuses (or errors) in turn, recording what it was sent. */
function receiver(answers: (number | Error | GuardedPostAnswer)[]) {
  const sent: Sent[] = [];
  let minted = 0;
  let clock = Date.parse('2025-03-01T10:00:00.000Z');
  const deps: DeliverWebhookDeps = {
    store: jobStore,
    signingSecret: async () => SECRET,
    mintVideoUrl: async (bucket, key) => {
      minted += 1;
      return {
        url: `https://${bucket}.s3.amazonaws.com/${key}?X-Amz-Signature=sig${minted}`,
        expiresAt: new Date(clock + 3_600_000),
      };
    },
    post: async (url, body, headers) => {
      sent.push({ url, body, headers });
      const next = answers.shift() ?? 200;
      if (next instanceof Error) throw next;
      return typeof next === 'number' ? { status: next } : next;
    },
    now: () => {
      clock += 1000;
      return new Date(clock);
    },
  };
  return { deps, sent, minted: () => minted };
}

const payloadOf = (sent: Sent): WebhookPayload => webhookPayloadSchema.parse(JSON.parse(sent.body));

beforeEach(() => {
  ddb.reset();
  rows = serveJobsTable(ddb);
});

describe('Function: deliverWebhook', () => {
  it('POSTs a signed transition.completed payload with a fresh video URL and records the delivery', async () => {
    // Arrange
    putRow(completedJob({ webhook: { id: WEBHOOK_ID, status: 'pending', attempts: 0 } }));
    const { deps, sent } = receiver([200]);

    // Act
    const result = await deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps);

    // Assert
    expect(result).toEqual({ jobId: JOB_ID, webhookId: WEBHOOK_ID, status: 'delivered', attempts: 1 });
    expect(sent).toHaveLength(1);
    const [request] = sent as [Sent];
    expect(request.url).toBe(CALLBACK);
    expect(request.headers).toMatchObject({
      'webhook-id': WEBHOOK_ID,
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
    });
    // The verifier checks the timestamp against the real clock: verify at the signing time.
    vi.useFakeTimers({ now: Number(request.headers['webhook-timestamp']) * 1000 });
    try {
      expect(new Webhook(SECRET).verify(request.body, request.headers)).toEqual(JSON.parse(request.body));
    } finally {
      vi.useRealTimers();
    }
    expect(payloadOf(request)).toEqual({
      type: 'transition.completed',
      timestamp: new Date(Number(request.headers['webhook-timestamp']) * 1000).toISOString(),
      data: {
        request_id: JOB_ID,
        status: 'COMPLETED',
        video_url: `https://framebridge-videos.s3.amazonaws.com/jobs/${JOB_ID}/video.mp4?X-Amz-Signature=sig1`,
        expires_at: expect.any(String),
        s3_uri: `s3://framebridge-videos/jobs/${JOB_ID}/video.mp4`,
        error: null,
      },
    });
    expect(webhookOf()).toEqual({
      id: WEBHOOK_ID,
      status: 'delivered',
      attempts: 1,
      lastStatus: 200,
      lastAttemptAt: expect.any(String),
      deliveredAt: expect.any(String),
    });
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'COMPLETED', phase: 'completed' });
  });

  it('throws WebhookRetryableError on a 500, then delivers on the next attempt with the same webhook-id', async () => {
    // Arrange
    putRow(completedJob());
    const { deps, sent, minted } = receiver([500, 200]);

    // Act
    const first = deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps);
    await expect(first).rejects.toBeInstanceOf(WebhookRetryableError);
    const afterFirst = webhookOf();
    const second = await deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps);

    // Assert
    expect(afterFirst).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatus: 500,
      lastError: 'The receiver answered HTTP 500',
    });
    expect(second).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(webhookOf()).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200 });
    expect(webhookOf()).not.toHaveProperty('lastError');
    expect(sent.map((s) => s.headers['webhook-id'])).toEqual([WEBHOOK_ID, WEBHOOK_ID]);
    // Built afresh: a new timestamp and a newly minted URL on each attempt.
    expect(sent[0]?.headers['webhook-timestamp']).not.toBe(sent[1]?.headers['webhook-timestamp']);
    expect(minted()).toBe(2);
    expect(payloadOf(sent[1] as Sent).data.video_url).toContain('sig2');
  });

  it('fails for good on 410 Gone, after one attempt, leaving the job COMPLETED', async () => {
    putRow(completedJob());
    const { deps, sent } = receiver([410]);

    const attempt = deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps);

    await expect(attempt).rejects.toBeInstanceOf(WebhookGoneError);
    await expect(attempt).rejects.toMatchObject({ name: 'WebhookGoneError' });
    expect(sent).toHaveLength(1);
    expect(webhookOf()).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 410 });
    expect(rows.get(JOB_ID)?.status).toBe('COMPLETED');
  });

  it('treats a redirect as a failed attempt to retry, naming where it pointed', async () => {
    putRow(completedJob());
    const { deps } = receiver([{ status: 301, location: 'https://elsewhere.example.com/hook' }]);

    await expect(deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps)).rejects.toBeInstanceOf(
      WebhookRetryableError,
    );

    expect(webhookOf()).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatus: 301,
      lastError: expect.stringContaining('redirect (HTTP 301 to https://elsewhere.example.com/hook)'),
    });
  });

  it('retries a connection error or timeout, recording it without a status', async () => {
    putRow(
      completedJob({ webhook: { id: WEBHOOK_ID, status: 'pending', attempts: 3, lastStatus: 503, lastError: 'x' } }),
    );
    const { deps } = receiver([
      Object.assign(new Error('connect ECONNREFUSED 203.0.113.5:443'), { code: 'ECONNREFUSED' }),
    ]);

    await expect(deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps)).rejects.toBeInstanceOf(
      WebhookRetryableError,
    );

    expect(webhookOf()).toEqual({
      id: WEBHOOK_ID,
      status: 'pending',
      attempts: 4,
      lastAttemptAt: expect.any(String),
      lastError: 'The callback could not be delivered: connect ECONNREFUSED 203.0.113.5:443',
    });
  });

  it('fails for good when the URL or its address is refused', async () => {
    putRow(completedJob());
    const { deps } = receiver([
      new CallbackRefusedError('The callback host resolves to a non-public address (private)'),
    ]);

    const attempt = deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps);

    await expect(attempt).rejects.toBeInstanceOf(WebhookRefusedError);
    expect(webhookOf()).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'The callback host resolves to a non-public address (private)',
    });
  });

  it('sends transition.failed with the code and message for a failed job, and mints no URL', async () => {
    putRow(
      storedJob(
        JOB_ID,
        { callback_url: CALLBACK },
        { status: 'FAILED', phase: 'failed', error: { code: 'upstream_failed', message: 'Content policy' } },
      ),
    );
    const { deps, sent, minted } = receiver([204]);

    await deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps);

    expect(payloadOf(sent[0] as Sent)).toMatchObject({
      type: 'transition.failed',
      data: {
        request_id: JOB_ID,
        status: 'FAILED',
        video_url: null,
        expires_at: null,
        s3_uri: null,
        error: { code: 'upstream_failed', message: 'Content policy' },
      },
    });
    expect(minted()).toBe(0);
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'FAILED', webhook: { status: 'delivered', lastStatus: 204 } });
  });

  it('does not POST again a webhook already delivered (a retried invocation)', async () => {
    putRow(completedJob({ webhook: { id: WEBHOOK_ID, status: 'delivered', attempts: 2, lastStatus: 200 } }));
    const { deps, sent } = receiver([200]);

    const result = await deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps);

    expect(result).toEqual({ jobId: JOB_ID, webhookId: WEBHOOK_ID, status: 'delivered', attempts: 2 });
    expect(sent).toHaveLength(0);
    expect(updatesSent(ddb)).toHaveLength(0);
  });

  it('refuses to send for a job that has not finished or has no callback_url', async () => {
    const { deps, sent } = receiver([200]);
    putRow(storedJob(JOB_ID, { callback_url: CALLBACK }, { status: 'PROCESSING', phase: 'copying' }));
    await expect(deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps)).rejects.toThrow(/not finished/);

    putRow(storedJob(JOB_ID, {}, { status: 'COMPLETED', phase: 'completed', output }));
    await expect(deliverWebhook({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, deps)).rejects.toThrow(/no callback_url/);

    expect(sent).toHaveLength(0);
  });
});

describe('Function: recordWebhookFailure', () => {
  const lastAttempt = {
    id: WEBHOOK_ID,
    status: 'pending' as const,
    attempts: 11,
    lastStatus: 503,
    lastError: 'The receiver answered HTTP 503',
    lastAttemptAt: '2025-03-01T12:31:00.000Z',
  };
  const caught = (name: string, message: string) => ({
    Error: name,
    Cause: JSON.stringify({ errorType: name, errorMessage: message }),
  });

  it('marks the webhook failed after the retries, keeping the last attempt, and leaves the job alone', async () => {
    // Arrange
    putRow(completedJob({ webhook: lastAttempt }));

    // Act
    const result = await recordWebhookFailure(
      {
        jobId: JOB_ID,
        webhookId: WEBHOOK_ID,
        error: caught('WebhookRetryableError', 'The receiver answered HTTP 503'),
      },
      { store: jobStore },
    );

    // Assert
    expect(webhookOf()).toEqual({ ...lastAttempt, status: 'failed' });
    expect(rows.get(JOB_ID)).toMatchObject({ status: 'COMPLETED', phase: 'completed' });
    expect(result).toEqual({
      jobId: JOB_ID,
      webhookId: WEBHOOK_ID,
      attempts: 11,
      message: `Webhook ${WEBHOOK_ID} was not delivered after 11 attempt(s): The receiver answered HTTP 503`,
    });
  });

  it('records a timed-out attempt, which the delivery step could not record itself', async () => {
    putRow(completedJob({ webhook: lastAttempt }));

    await recordWebhookFailure(
      { jobId: JOB_ID, webhookId: WEBHOOK_ID, error: { Error: 'States.Timeout', Cause: null } },
      { store: jobStore },
    );

    expect(webhookOf()).toMatchObject({ status: 'failed', attempts: 11, lastError: 'A delivery attempt timed out' });
  });

  it('keeps a crash’s details out of the record', async () => {
    putRow(completedJob());

    await recordWebhookFailure(
      { jobId: JOB_ID, webhookId: WEBHOOK_ID, error: caught('TypeError', 'x is undefined at /var/task/index.mjs') },
      { store: jobStore },
    );

    expect(webhookOf()).toMatchObject({ id: WEBHOOK_ID, status: 'failed', attempts: 0 });
    expect(webhookOf()?.lastError).toMatch(/failed internally/);
    expect(JSON.stringify(webhookOf())).not.toContain('/var/task');
  });

  it('writes nothing for a job that no longer exists', async () => {
    const result = await recordWebhookFailure(
      { jobId: JOB_ID, webhookId: WEBHOOK_ID, error: caught('WebhookRefusedError', `Job ${JOB_ID} not found`) },
      { store: jobStore },
    );

    expect(result.attempts).toBe(0);
    expect(updatesSent(ddb)).toHaveLength(0);
  });
});

describe('Handler: deliverWebhook task', () => {
  it('refuses a callback to a literal private address in AWS mode, recording the webhook failed', async () => {
    // Arrange: no FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS, so the real guarded POST refuses before connecting.
    putRow(
      storedJob(
        JOB_ID,
        { callback_url: 'https://127.0.0.1:9/hook' },
        { status: 'COMPLETED', phase: 'completed', output },
      ),
    );

    // Act
    const attempt = deliverHandler({ jobId: JOB_ID, webhookId: WEBHOOK_ID }, lambdaContext('deliverWebhook'));

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'WebhookRefusedError' });
    expect(webhookOf()).toMatchObject({
      id: WEBHOOK_ID,
      status: 'failed',
      attempts: 1,
      lastError: 'The callback URL must not point at a non-public address (loopback)',
    });
  });

  it('throws ValidationError on a state input without a webhookId', async () => {
    await expect(deliverHandler({ jobId: JOB_ID }, lambdaContext('deliverWebhook'))).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});

describe('Handler: recordWebhookFailure task', () => {
  it('marks the webhook failed from the Catch output', async () => {
    putRow(completedJob({ webhook: { id: WEBHOOK_ID, status: 'failed', attempts: 1, lastStatus: 410 } }));

    const output = await recordFailureHandler(
      {
        jobId: JOB_ID,
        webhookId: WEBHOOK_ID,
        error: {
          Error: 'WebhookGoneError',
          Cause: JSON.stringify({ errorType: 'WebhookGoneError', errorMessage: 'gone' }),
        },
      },
      lambdaContext('recordWebhookFailure'),
    );

    expect(output).toMatchObject({ jobId: JOB_ID, attempts: 1, message: expect.stringContaining('gone') });
    expect(webhookOf()).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 410, lastError: 'gone' });
  });
});
