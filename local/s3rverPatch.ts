import type { S3rverStore } from '@20minutes/s3rver';

/** What patch-package applies to s3rver on `npm install` (see package.json `postinstall`). */
export const S3RVER_PATCH = 'patches/@20minutes+s3rver+4.0.4.patch';

export class S3rverUnpatchedError extends Error {
  override name = 'S3rverUnpatchedError';
}

/**
 * Refuses to serve S3 from an unpatched s3rver: its listings would silently miss
 * nested prefixes and reject SDK signatures. The patched store tells where the next
 * page starts (`nextStartAfter`, present even when undefined); stock s3rver does not.
 */
export async function assertS3rverPatched(store: S3rverStore, bucket: string): Promise<void> {
  // A prefix no key has: the store reads only the bucket's top directory.
  const probe = await store.listObjects(bucket, { prefix: '\u0000', maxKeys: 1 });
  if (!('nextStartAfter' in probe)) {
    throw new S3rverUnpatchedError(
      `@20minutes/s3rver is missing ${S3RVER_PATCH}: run \`npm install\` (its postinstall runs patch-package), not \`npm install --ignore-scripts\``,
    );
  }
}
