declare module '@20minutes/s3rver' {
  import type { EventEmitter } from 'node:events';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }
  export interface S3rverListOptions {
    prefix?: string;
    delimiter?: string;
    startAfter?: string;
    maxKeys?: number;
  }
  /** One page of keys; `nextStartAfter` only exists with patches/@20minutes+s3rver+4.0.4.patch applied. */
  export interface S3rverListing {
    objects: { key: string }[];
    commonPrefixes: string[];
    isTruncated: boolean;
    nextStartAfter?: string;
  }
  export interface S3rverStore {
    listObjects(bucket: string, options: S3rverListOptions): Promise<S3rverListing>;
  }
  export default class S3rver extends EventEmitter {
    constructor(options: S3rverOptions);
    readonly store: S3rverStore;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
