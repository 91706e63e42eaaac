import * as z from 'zod/mini';
import '../core/zodMini';

/**
 * Set by the runtime, not by the deployment: Lambda sets AWS_REGION; the local
 * stack points the SDK at s3rver with AWS_ENDPOINT_URL_S3.
 */
export const storageEnvSchema = z.object({
  AWS_REGION: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')),
  AWS_ENDPOINT_URL_S3: z.optional(z.url()),
});
export type StorageEnv = z.infer<typeof storageEnvSchema>;

/**
 * Where presigned URLs point: the configured S3 endpoint, or else the region's
 * S3 endpoints, virtual-hosted (`<bucket>.s3.<region>…`, the SDK's default)
 * and path-style (bucket names with dots).
 */
export function storageOrigins(env: StorageEnv): string[] {
  if (env.AWS_ENDPOINT_URL_S3) return [new URL(env.AWS_ENDPOINT_URL_S3).origin];
  const suffix = env.AWS_REGION.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return [`https://*.s3.${env.AWS_REGION}.${suffix}`, `https://s3.${env.AWS_REGION}.${suffix}`];
}
