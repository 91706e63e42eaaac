import { S3Client } from '@aws-sdk/client-s3';
import { clientEnv } from './clientEnv';

/** Created once per cold start. */
export const s3 = new S3Client({ forcePathStyle: clientEnv.FRAMEBRIDGE_S3_FORCE_PATH_STYLE === '1' });
