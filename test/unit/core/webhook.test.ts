import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  describeReceiverStatus,
  failedWebhookRecord,
  judgeReceiverStatus,
  signedWebhookHeaders,
  standardSigningSecret,
  WEBHOOK_USER_AGENT,
  WebhookGoneError,
  WebhookRefusedError,
  WebhookRetryableError,
  webhookIdFor,
  webhookPayload,
  webhookPayloadSchema,
} from '../../../lambdas/core/webhook';

const JOB_ID = '01JQ0000000000000000000042';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW = new Date('2025-03-01T10:00:00.000Z');
const output = {
  s3Bucket: 'framebridge-videos',
  videoKey: `jobs/${JOB_ID}/video.mp4`,
  resultKey: `jobs/${JOB_ID}/result.json`,
  bytes: 1234,
  contentType: 'video/mp4',
};
const video = {
  url: 'https://framebridge-videos.s3.amazonaws.com/x?X-Amz-Signature=abc',
  expiresAt: new Date(NOW.getTime() + 3_600_000),
};

describe('Function: webhookIdFor', () => {
  it('derives one id per job, the same on every call', () => {
    expect(webhookIdFor(JOB_ID)).toBe(`msg_${JOB_ID}`);
    expect(webhookIdFor(JOB_ID)).toBe(webhookIdFor(JOB_ID));
    expect(webhookIdFor('idem-0123')).not.toBe(webhookIdFor(JOB_ID));
  });
});

describe('Function: webhookPayload', () => {
  it('describes a completed job with its fresh video URL, expiry and S3 URI', () => {
    // Act
    const payload = webhookPayload({ id: JOB_ID, status: 'COMPLETED', output }, video, NOW);

    // Assert
    expect(payload).toEqual({
      type: 'transition.completed',
      timestamp: '2025-03-01T10:00:00.000Z',
      data: {
        request_id: JOB_ID,
        status: 'COMPLETED',
        video_url: video.url,
        expires_at: '2025-03-01T11:00:00.000Z',
        s3_uri: `s3://framebridge-videos/jobs/${JOB_ID}/video.mp4`,
        error: null,
      },
    });
    expect(webhookPayloadSchema.parse(payload)).toEqual(payload);
  });

  it('describes a failed job with its code and message and no video', () => {
    const payload = webhookPayload(
      { id: JOB_ID, status: 'FAILED', error: { code: 'upstream_failed', message: 'Content policy' } },
      undefined,
      NOW,
    );

    expect(payload).toEqual({
      type: 'transition.failed',
      timestamp: '2025-03-01T10:00:00.000Z',
      data: {
        request_id: JOB_ID,
        status: 'FAILED',
        video_url: null,
        expires_at: null,
        s3_uri: null,
        error: { code: 'upstream_failed', message: 'Content policy' },
      },
    });
    expect(webhookPayloadSchema.safeParse(payload).success).toBe(true);
  });

  it('refuses to describe a job that has not finished', () => {
    expect(() => webhookPayload({ id: JOB_ID, status: 'PROCESSING' }, undefined, NOW)).toThrow(
      /only sent for a finished job/,
    );
  });
});

describe('Function: standardSigningSecret', () => {
  it('keeps a whsec_ secret as it is', () => {
    expect(standardSigningSecret(SECRET)).toBe(SECRET);
    expect(standardSigningSecret(` ${SECRET}\n`)).toBe(SECRET);
  });

  it('turns a raw secret (as Secrets Manager generates) into whsec_ + base64 of its bytes', () => {
    const raw = 'Zq3u8WvYk2NfP1sR7tH0aB9cD4eG6iJ5';

    const standard = standardSigningSecret(raw);

    expect(standard).toBe(`whsec_${Buffer.from(raw).toString('base64')}`);
    // A receiver that passes the raw string with format 'raw' verifies the same signatures.
    const body = '{"type":"transition.completed"}';
    const viaStandard = new Webhook(standard).sign('msg_1', NOW, body);
    expect(new Webhook(raw, { format: 'raw' }).sign('msg_1', NOW, body)).toBe(viaStandard);
  });

  it('refuses an empty secret and a whsec_ secret that is not base64', () => {
    expect(() => standardSigningSecret('  ')).toThrow(/empty/);
    expect(() => standardSigningSecret('whsec_not base64!')).toThrow(/not base64/);
  });
});

describe('Function: signedWebhookHeaders', () => {
  const body = JSON.stringify(webhookPayload({ id: JOB_ID, status: 'COMPLETED', output }, video, new Date()));

  it('produces Standard Webhooks headers the library verifier accepts', () => {
    // Arrange
    const at = new Date();

    // Act
    const headers = signedWebhookHeaders(SECRET, webhookIdFor(JOB_ID), at, body);

    // Assert
    expect(headers).toMatchObject({
      'webhook-id': `msg_${JOB_ID}`,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
    });
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('is rejected by the verifier with another secret, a changed body or another id', () => {
    const headers = signedWebhookHeaders(SECRET, webhookIdFor(JOB_ID), new Date(), body);
    const other = new Webhook(`whsec_${Buffer.from('another secret').toString('base64')}`);

    expect(() => other.verify(body, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(SECRET).verify(body.replace('COMPLETED', 'FAILED'), headers)).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(SECRET).verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow(
      WebhookVerificationError,
    );
  });

  it('signs a raw secret so that receivers verify with whsec_ + base64 of it', () => {
    const raw = 'GeneratedBySecretsManager0123456789abcdefghijklmnopqrstuvwxyzABC';
    const headers = signedWebhookHeaders(raw, 'msg_1', new Date(), body);

    expect(() => new Webhook(`whsec_${Buffer.from(raw).toString('base64')}`).verify(body, headers)).not.toThrow();
    // Taken as base64 itself (the library's default), the raw string is another key.
    expect(() => new Webhook(raw).verify(body, headers)).toThrow(WebhookVerificationError);
  });
});

describe('Function: judgeReceiverStatus / describeReceiverStatus', () => {
  it.each([
    [200, 'delivered'],
    [202, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [410, 'gone'],
    [100, 'retry'],
    [301, 'retry'],
    [302, 'retry'],
    [307, 'retry'],
    [400, 'retry'],
    [404, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
  ])('judges HTTP %i as %s', (status, verdict) => {
    expect(judgeReceiverStatus(status)).toBe(verdict);
  });

  it('says a redirect was not followed, naming where it pointed', () => {
    expect(describeReceiverStatus(301, 'https://elsewhere.example.com/')).toBe(
      'The receiver answered a redirect (HTTP 301 to https://elsewhere.example.com/); redirects are not followed',
    );
    expect(describeReceiverStatus(410)).toMatch(/410 Gone; no further attempts/);
    expect(describeReceiverStatus(503)).toBe('The receiver answered HTTP 503');
  });
});

describe('Errors: webhook delivery', () => {
  it('carry the names the state machine retries and catches on', () => {
    expect(new WebhookRetryableError('x').name).toBe('WebhookRetryableError');
    expect(new WebhookGoneError('x').name).toBe('WebhookGoneError');
    expect(new WebhookRefusedError('x').name).toBe('WebhookRefusedError');
  });
});

describe('Function: failedWebhookRecord', () => {
  it('marks the delivery failed, keeping attempts and the last status', () => {
    const previous = {
      id: 'msg_1',
      status: 'pending' as const,
      attempts: 11,
      lastStatus: 503,
      lastError: 'The receiver answered HTTP 503',
      lastAttemptAt: '2025-03-01T12:31:00.000Z',
    };

    expect(failedWebhookRecord(previous, 'msg_1', undefined)).toEqual({ ...previous, status: 'failed' });
    expect(failedWebhookRecord(previous, 'msg_1', 'A delivery attempt timed out')).toEqual({
      ...previous,
      status: 'failed',
      lastError: 'A delivery attempt timed out',
    });
    expect(failedWebhookRecord(undefined, 'msg_1', 'crashed')).toEqual({
      id: 'msg_1',
      status: 'failed',
      attempts: 0,
      lastError: 'crashed',
    });
  });
});
