import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from '@20minutes/s3rver';
import { assertS3rverPatched } from './s3rverPatch';

/**
 * s3rver's built-in account: SigV4 is verified against it, presigned URLs included.
 * A fresh object each time: the SDK annotates the credentials objects it is given.
 */
export const localS3Credentials = () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** Decides whether S3 answers a request with an error instead (tests); the HTTP status, or undefined. */
export type S3FaultPlan = (request: { method: string; path: string }) => number | undefined;

/**
 * A pass-through in front of s3rver that can answer a request with an S3 error
 * instead, so tests can make S3 fail in the middle of an upload. The Host header
 * is forwarded as sent, so SigV4 signatures still verify.
 */
async function startFaultProxy(targetPort: number, plan: () => S3FaultPlan | undefined) {
  const server = http.createServer((request, response) => {
    const status = plan()?.({ method: request.method ?? 'GET', path: request.url ?? '/' });
    if (status !== undefined) {
      request.resume();
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>Injected S3 failure</Message></Error>`,
      );
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: targetPort, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The playground page (served by the local API on another port) PUTs frames to
 * presigned URLs, as the deployed bucket's CORS rule allows the API's origin.
 */
const LOCAL_CORS =
  '<CORSConfiguration><CORSRule><AllowedOrigin>http://127.0.0.1:*</AllowedOrigin><AllowedOrigin>http://localhost:*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>';

/**
 * s3rver on loopback, with the bucket pre-created (CreateBucket through the SDK fails on it).
 * Listing (ListObjects V1/V2, delimiters, paging) relies on the patched s3rver: checked here.
 */
export async function startLocalS3(directory: string, bucket: string) {
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [LOCAL_CORS] }],
  });
  const { port } = await server.run();
  try {
    await assertS3rverPatched(server.store, bucket);
  } catch (error) {
    await server.close();
    throw error;
  }
  let faults: S3FaultPlan | undefined;
  const proxy = await startFaultProxy(port, () => faults);
  return {
    url: `http://127.0.0.1:${proxy.port}`,
    server,
    /** Sets (or clears) the fault plan. */
    injectFaults: (plan: S3FaultPlan | undefined) => {
      faults = plan;
    },
    close: async () => {
      await proxy.close();
      await server.close();
    },
  };
}
