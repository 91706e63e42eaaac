import { mkdir } from 'node:fs/promises';
import S3rver from '@20minutes/s3rver';

/**
 * s3rver's built-in account: SigV4 is verified against it, presigned URLs included.
 * A fresh object each time: the SDK annotates the credentials objects it is given.
 */
export const localS3Credentials = () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** s3rver on loopback, with the bucket pre-created (CreateBucket through the SDK fails on it). */
export async function startLocalS3(directory: string, bucket: string) {
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return { url: `http://127.0.0.1:${port}`, server, close: () => server.close() };
}
