import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver, { type S3rverListing, type S3rverStore } from '@20minutes/s3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertS3rverPatched, S3RVER_PATCH, S3rverUnpatchedError } from '../../../local/s3rverPatch';

const storeAnswering = (listing: S3rverListing): S3rverStore => ({ listObjects: async () => listing });

describe('Function: assertS3rverPatched', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'framebridge-s3rver-patch-'));
    await mkdir(path.join(directory, 'bucket'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('accepts the installed s3rver, patched by npm install', async () => {
    // Arrange
    const server = new S3rver({ directory, silent: true });

    // Act + Assert
    await expect(assertS3rverPatched(server.store, 'bucket')).resolves.toBeUndefined();
  });

  it('refuses a store that does not say where the next page starts, naming the patch and the fix', async () => {
    // Arrange
    const stock = storeAnswering({ objects: [], commonPrefixes: [], isTruncated: false });

    // Act
    const refusal = assertS3rverPatched(stock, 'bucket');

    // Assert
    await expect(refusal).rejects.toBeInstanceOf(S3rverUnpatchedError);
    await expect(refusal).rejects.toThrow(S3RVER_PATCH);
    await expect(refusal).rejects.toThrow('npm install');
  });

  it('accepts a patched store on an empty page, where nextStartAfter is present but undefined', async () => {
    // Arrange
    const patched = storeAnswering({ objects: [], commonPrefixes: [], isTruncated: false, nextStartAfter: undefined });

    // Act + Assert
    await expect(assertS3rverPatched(patched, 'bucket')).resolves.toBeUndefined();
  });
});
