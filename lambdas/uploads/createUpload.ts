import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ulid } from 'ulid';
import { clientEnv } from '../adapters/clientEnv';
import { httpHandler, json, jsonBody, ownerOf } from '../adapters/http';
import { uploadView } from '../core/apiViews';
import { parseEnv } from '../core/config';
import { FUNCTION_ENV } from '../core/contract/env';
import { parseUploadRequest, UPLOAD_URL_TTL_SECONDS, uploadKey } from '../core/uploads';

const env = parseEnv(FUNCTION_ENV.createUpload);

/**
 * A client of its own: by default the SDK adds the CRC32 of the (empty) body
 * it presigns to the URL, and S3 would refuse the client's PUT of the real
 * image as a bad digest. Checksums are left to the uploader here.
 */
const presigner = new S3Client({
  forcePathStyle: clientEnv.FRAMEBRIDGE_S3_FORCE_PATH_STYLE === '1',
  requestChecksumCalculation: 'WHEN_REQUIRED',
});

/**
 * Signed into the URL, so S3 itself refuses a PUT whose type or size differs
 * from what was asked for (and was checked here: a frame type, at most 20 MB).
 */
const SIGNED_HEADERS = new Set(['content-type', 'content-length']);

/**
 * POST /v2/uploads — a presigned PUT for one frame under the tenant's own
 * `uploads/<tenant id>/`, with its content type and exact length signed. The
 * frame's bytes are checked (format, size, dimensions) when a request names it.
 */
export const handler = httpHandler(async (event) => {
  const tenantId = ownerOf(event);
  const request = parseUploadRequest(jsonBody(event));
  const key = uploadKey(tenantId, ulid(), request);
  const expiresAt = new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000);
  const url = await getSignedUrl(
    presigner,
    new PutObjectCommand({
      Bucket: env.BUCKET_NAME,
      Key: key,
      ContentType: request.content_type,
      ContentLength: request.content_length,
    }),
    { expiresIn: UPLOAD_URL_TTL_SECONDS, signableHeaders: SIGNED_HEADERS },
  );
  return json(
    201,
    uploadView({
      url,
      contentType: request.content_type,
      contentLength: request.content_length,
      bucket: env.BUCKET_NAME,
      key,
      expiresAt,
    }),
  );
});
