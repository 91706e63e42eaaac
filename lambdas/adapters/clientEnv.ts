import * as z from 'zod';
import { parseEnv } from '../core/config';

/**
 * Settings shared by the SDK clients. Each client lives in its own module so a
 * bundle carries only the clients its handler uses. Endpoints come from the
 * SDK's own `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how the local
 * stack points the unchanged handlers at s3rver, dynalite and its Step Functions.
 */
export const clientEnv = parseEnv(
  z.object({
    // s3rver serves path-style only; real S3 prefers virtual-hosted style.
    FRAMEBRIDGE_S3_FORCE_PATH_STYLE: z.enum(['0', '1']).default('0'),
  }),
);
