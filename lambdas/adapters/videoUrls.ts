import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** A presigned GET of a finished video, and when it stops working. */
export interface VideoUrl {
  url: string;
  expiresAt: Date;
}

export type MintVideoUrl = (bucket: string, key: string) => Promise<VideoUrl>;

/** Kept between a URL's end and its credentials' end, for clock skew between us and S3. */
const CREDENTIALS_MARGIN_S = 60;

/**
 * Seconds a URL signed now can live: `ttlSeconds`, but never past the signing
 * credentials' expiry (less a margin). A URL signed with temporary credentials
 * stops working when they expire, whatever its own expiry says. Credentials
 * that carry no expiry (IAM user keys, or a provider that does not tell) leave
 * the TTL as it is. The SDK refreshes credentials close to their expiry when
 * asked for them, so what it answers here is what the presigner then signs with.
 */
export async function presignedLifetimeSeconds(s3: S3Client, ttlSeconds: number, signedAt: Date): Promise<number> {
  const { expiration } = await s3.config.credentials();
  if (expiration === undefined) return ttlSeconds;
  const credentialsLeft = Math.floor((expiration.getTime() - signedAt.getTime()) / 1000) - CREDENTIALS_MARGIN_S;
  return Math.max(1, Math.min(ttlSeconds, credentialsLeft));
}

/**
 * Mints presigned GET URLs for videos, each valid `ttlSeconds` (1 s – 7 days,
 * checked with the environment) or until the signing credentials expire,
 * whichever comes first; `expiresAt` is when the URL really stops working.
 * The one way a client-facing video URL is made (result reads and webhooks).
 */
export function videoUrlMinter(s3: S3Client, ttlSeconds: number, now: () => Date = () => new Date()): MintVideoUrl {
  return async (bucket, key) => {
    const signedAt = now();
    const expiresIn = await presignedLifetimeSeconds(s3, ttlSeconds, signedAt);
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn,
      signingDate: signedAt,
    });
    return { url, expiresAt: new Date(signedAt.getTime() + expiresIn * 1000) };
  };
}
