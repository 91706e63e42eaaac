import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { presignedLifetimeSeconds, videoUrlMinter } from '../../../lambdas/adapters/videoUrls';
import { parseEnv } from '../../../lambdas/core/config';
import { FUNCTION_ENV } from '../../../lambdas/core/contract/env';

const NOW = new Date('2025-03-01T09:00:00.000Z');
const BUCKET = 'framebridge-bucket-test';
const KEY = 'jobs/01JQ0000000000000000000042/video.mp4';

/** A client signing with credentials that expire `inSeconds` after NOW (never, when undefined). */
const clientWith = (inSeconds?: number) =>
  new S3Client({
    region: 'us-east-1',
    credentials: async () => ({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'session',
      ...(inSeconds === undefined ? {} : { expiration: new Date(NOW.getTime() + inSeconds * 1000) }),
    }),
  });

describe('Function: videoUrlMinter', () => {
  it('signs a GET of the video valid for the TTL when the credentials outlast it', async () => {
    // Arrange
    const mint = videoUrlMinter(clientWith(6 * 3600), 3600, () => NOW);

    // Act
    const { url, expiresAt } = await mint(BUCKET, KEY);

    // Assert
    const signed = new URL(url);
    expect(`${signed.host}${signed.pathname}`).toContain(KEY);
    expect(signed.searchParams.get('X-Amz-Date')).toBe('20250301T090000Z');
    expect(signed.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(signed.searchParams.get('X-Amz-Security-Token')).toBe('session');
    expect(expiresAt).toEqual(new Date(NOW.getTime() + 3600 * 1000));
  });

  it('ends the URL a minute before the credentials expire when they expire before the TTL', async () => {
    // Arrange: temporary credentials (a Lambda role's) with 20 minutes left, a TTL of 7 days.
    const mint = videoUrlMinter(clientWith(20 * 60), 604_800, () => NOW);

    // Act
    const { url, expiresAt } = await mint(BUCKET, KEY);

    // Assert
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe(String(19 * 60));
    expect(expiresAt).toEqual(new Date(NOW.getTime() + 19 * 60 * 1000));
  });

  it('keeps the TTL when the credentials carry no expiry (IAM user keys)', async () => {
    // Act
    const { url } = await videoUrlMinter(clientWith(undefined), 900, () => NOW)(BUCKET, KEY);

    // Assert
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('900');
  });
});

describe('Function: presignedLifetimeSeconds', () => {
  it.each([
    ['credentials with an hour left, a TTL of 10 minutes', 3600, 600, 600],
    ['credentials with 90 s left', 90, 3600, 30],
    ['credentials already past their expiry (never below 1 s)', -30, 3600, 1],
  ])('answers %s', async (_case, credentialsLeft, ttl, expected) => {
    expect(await presignedLifetimeSeconds(clientWith(credentialsLeft), ttl, NOW)).toBe(expected);
  });
});

describe('Environment: FRAMEBRIDGE_RESULT_URL_TTL_S (the functions that mint video URLs)', () => {
  const base = { JOBS_TABLE_NAME: 'jobs', BUCKET_NAME: BUCKET, FRAMEBRIDGE_WEBHOOK_SECRET: 'whsec_x' };

  it.each(['getResult', 'deliverWebhook'] as const)('%s: accepts 1 s to 7 days, 3600 s by default', (fn) => {
    expect(parseEnv(FUNCTION_ENV[fn], base).FRAMEBRIDGE_RESULT_URL_TTL_S).toBe(3600);
    expect(
      parseEnv(FUNCTION_ENV[fn], { ...base, FRAMEBRIDGE_RESULT_URL_TTL_S: '1' }).FRAMEBRIDGE_RESULT_URL_TTL_S,
    ).toBe(1);
    expect(
      parseEnv(FUNCTION_ENV[fn], { ...base, FRAMEBRIDGE_RESULT_URL_TTL_S: '604800' }).FRAMEBRIDGE_RESULT_URL_TTL_S,
    ).toBe(604_800);
  });

  it.each([
    ['604801', /FRAMEBRIDGE_RESULT_URL_TTL_S: must be at most 604800 seconds/],
    ['0', /FRAMEBRIDGE_RESULT_URL_TTL_S: must be a positive whole number/],
    ['1h', /FRAMEBRIDGE_RESULT_URL_TTL_S: must be a positive whole number/],
  ])('refuses %s at start-up, naming the variable', (value, message) => {
    for (const fn of ['getResult', 'deliverWebhook'] as const) {
      expect(() => parseEnv(FUNCTION_ENV[fn], { ...base, FRAMEBRIDGE_RESULT_URL_TTL_S: value })).toThrow(message);
    }
  });
});
