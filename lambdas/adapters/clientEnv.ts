import { parseEnv } from '../core/config';
import { CLIENT_ENV } from '../core/contract/env';

/**
 * Settings shared by the SDK clients. Each client lives in its own module so a
 * bundle carries only the clients its handler uses. Endpoints come from the
 * SDK's own `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how the local
 * stack points the unchanged handlers at s3rver, dynalite and its Step Functions.
 */
export const clientEnv = parseEnv(CLIENT_ENV);
