import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsCommand,
  type ListObjectsCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3Credentials, startLocalS3 } from '../../local/s3';

/**
 * Listing the local bucket as the SDKs and the AWS CLI do: ListObjectsV2 and V1,
 * with and without a delimiter, at the root and below it, page by page.
 * The S3 server is started as the local stack starts it (local/s3.ts).
 */

const execFileAsync = promisify(execFile);
const BUCKET = 'framebridge-local';
const JOB_A = '01JCA0000000000000000000AA';
const JOB_B = '01JCB0000000000000000000BB';
const ODD_KEY = "uploads/tenant-1/frame (1) & 'x'+y*é.png";

// Keys at several levels; "a-b", "a.b" and "a/b" sort differently as keys than as files.
const KEYS = [
  'README.txt',
  'a-b',
  'a.b',
  'a/b',
  'inbox/clip-1.json',
  `jobs/${JOB_A}/result.json`,
  `jobs/${JOB_A}/video.mp4`,
  `jobs/${JOB_B}/frames/deep/first.png`,
  `jobs/${JOB_B}/result.json`,
  `jobs/${JOB_B}/video.mp4`,
  'uploads/tenant-1/2026/first.png',
  'uploads/tenant-1/2026/last.png',
  ODD_KEY,
];

/** S3 orders keys by their UTF-8 bytes. */
const byKey = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** What S3 answers, as one sorted list: `key:` entries and rolled-up `prefix:` entries after `startAfter`. */
function expectedEntries(prefix: string, delimiter: string, startAfter = ''): string[] {
  const entries = new Map<string, string>();
  for (const key of KEYS.filter((candidate) => candidate.startsWith(prefix))) {
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const name = at === -1 ? key : key.slice(0, at + delimiter.length);
    if (byKey(name, startAfter) > 0) entries.set(name, at === -1 ? `key:${name}` : `prefix:${name}`);
  }
  return [...entries.keys()].sort(byKey).map((name) => entries.get(name) ?? name);
}

type Page = Pick<ListObjectsV2CommandOutput, 'Contents' | 'CommonPrefixes'>;
const entriesOf = (page: Page) =>
  [
    ...(page.Contents ?? []).map((object) => ({ name: object.Key ?? '', entry: `key:${object.Key}` })),
    ...(page.CommonPrefixes ?? []).map((common) => ({ name: common.Prefix ?? '', entry: `prefix:${common.Prefix}` })),
  ]
    .sort((a, b) => byKey(a.name, b.name))
    .map(({ entry }) => entry);

describe('E2E: listing the local bucket', () => {
  let workDir: string;
  let server: Awaited<ReturnType<typeof startLocalS3>>;
  let s3: S3Client;

  const listV2 = (input: Omit<ConstructorParameters<typeof ListObjectsV2Command>[0], 'Bucket'>) =>
    s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ...input }));
  const listV1 = (input: Omit<ConstructorParameters<typeof ListObjectsCommand>[0], 'Bucket'>) =>
    s3.send(new ListObjectsCommand({ Bucket: BUCKET, ...input }));

  /** Follows NextContinuationToken, checking each page against MaxKeys and KeyCount. */
  async function allPagesV2(prefix: string, delimiter: string, maxKeys: number) {
    const entries: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await listV2({
        Prefix: prefix,
        Delimiter: delimiter || undefined,
        MaxKeys: maxKeys,
        ContinuationToken: token,
      });
      const onPage = entriesOf(page);
      expect(onPage.length).toBeLessThanOrEqual(maxKeys);
      expect(page.KeyCount).toBe(onPage.length);
      entries.push(...onPage);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated) expect(token).toBeTruthy();
      pages += 1;
    } while (token && pages <= KEYS.length);
    return { entries, pages };
  }

  /** V1 paging as the SDKs do it: NextMarker with a delimiter, else the last key. */
  async function allPagesV1(prefix: string, delimiter: string, maxKeys: number) {
    const entries: string[] = [];
    let marker: string | undefined;
    let page: ListObjectsCommandOutput;
    let pages = 0;
    do {
      page = await listV1({ Prefix: prefix, Delimiter: delimiter || undefined, MaxKeys: maxKeys, Marker: marker });
      const onPage = entriesOf(page);
      expect(onPage.length).toBeLessThanOrEqual(maxKeys);
      entries.push(...onPage);
      marker = delimiter ? page.NextMarker : page.Contents?.at(-1)?.Key;
      pages += 1;
    } while (page.IsTruncated && pages <= KEYS.length);
    expect(page.IsTruncated).toBe(false);
    return entries;
  }

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-s3-listing-'));
    server = await startLocalS3(path.join(workDir, 's3'), BUCKET);
    s3 = new S3Client({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: localS3Credentials(),
      forcePathStyle: true,
    });
    for (const key of KEYS) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body of ${key}` }));
    }
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('lists the root with a delimiter: top-level keys and every top-level prefix, however deep its keys', async () => {
    const v2 = await listV2({ Delimiter: '/' });
    expect(v2.CommonPrefixes?.map((common) => common.Prefix)).toEqual(['a/', 'inbox/', 'jobs/', 'uploads/']);
    expect(v2.Contents?.map((object) => object.Key)).toEqual(['README.txt', 'a-b', 'a.b']);
    expect(v2.KeyCount).toBe(7);
    expect(v2.IsTruncated).toBe(false);

    const v1 = await listV1({ Delimiter: '/' });
    expect(entriesOf(v1)).toEqual(entriesOf(v2));
  });

  it('lists every key in key order without a delimiter, V2 and V1', async () => {
    const sorted = [...KEYS].sort(byKey);
    expect((await listV2({})).Contents?.map((object) => object.Key)).toEqual(sorted);
    expect((await listV1({})).Contents?.map((object) => object.Key)).toEqual(sorted);
    expect((await listV2({ Prefix: 'jobs/' })).Contents?.map((object) => object.Key)).toEqual(
      sorted.filter((key) => key.startsWith('jobs/')),
    );
  });

  it.each([
    ['jobs/', ['prefix:jobs/01JCA0000000000000000000AA/', 'prefix:jobs/01JCB0000000000000000000BB/']],
    [`jobs/${JOB_A}/`, [`key:jobs/${JOB_A}/result.json`, `key:jobs/${JOB_A}/video.mp4`]],
    [
      `jobs/${JOB_B}/`,
      [`prefix:jobs/${JOB_B}/frames/`, `key:jobs/${JOB_B}/result.json`, `key:jobs/${JOB_B}/video.mp4`],
    ],
    [`jobs/${JOB_B}/frames/`, [`prefix:jobs/${JOB_B}/frames/deep/`]],
    ['jobs/01JCB', [`prefix:jobs/${JOB_B}/`]],
    ['uploads/', ['prefix:uploads/tenant-1/']],
    ['uploads/tenant-1/', ['prefix:uploads/tenant-1/2026/', `key:${ODD_KEY}`]],
    ['a', ['key:a-b', 'key:a.b', 'prefix:a/']],
    ['nothing/', []],
  ])('lists below %s with the "/" delimiter, V2 and V1', async (prefix, expected) => {
    expect(expectedEntries(prefix, '/')).toEqual(expected);
    expect(entriesOf(await listV2({ Prefix: prefix, Delimiter: '/' }))).toEqual(expected);
    expect(entriesOf(await listV1({ Prefix: prefix, Delimiter: '/' }))).toEqual(expected);
  });

  it('rolls up on a delimiter other than "/"', async () => {
    const expected = expectedEntries('', '.');
    expect(expected).toContain('prefix:a.');
    expect(entriesOf(await listV2({ Delimiter: '.' }))).toEqual(expected);
    expect(entriesOf(await listV2({ Prefix: 'jobs/', Delimiter: 'deep/' }))).toEqual(expectedEntries('jobs/', 'deep/'));
  });

  it.each([
    ['', '/'],
    ['', ''],
    ['jobs/', '/'],
    ['jobs/', ''],
    [`jobs/${JOB_B}/`, '/'],
    ['uploads/', ''],
  ])(
    'pages through prefix "%s", delimiter "%s" with MaxKeys and ContinuationToken, common prefixes counted',
    async (prefix, delimiter) => {
      const everything = expectedEntries(prefix, delimiter);
      for (const maxKeys of [1, 2, 3]) {
        const { entries, pages } = await allPagesV2(prefix, delimiter, maxKeys);
        expect(entries).toEqual(everything);
        expect(pages).toBe(Math.max(1, Math.ceil(everything.length / maxKeys)));
      }
    },
  );

  it.each([
    ['', '/'],
    ['', ''],
    ['jobs/', '/'],
    ['uploads/tenant-1/', ''],
  ])('pages through prefix "%s", delimiter "%s" with V1 markers', async (prefix, delimiter) => {
    for (const maxKeys of [1, 2, 5]) {
      expect(await allPagesV1(prefix, delimiter, maxKeys)).toEqual(expectedEntries(prefix, delimiter));
    }
  });

  it('gives NextMarker and NextContinuationToken at a common prefix, and resumes after everything below it', async () => {
    const v1 = await listV1({ Delimiter: '/', MaxKeys: 4 });
    expect(entriesOf(v1)).toEqual(['key:README.txt', 'key:a-b', 'key:a.b', 'prefix:a/']);
    expect(v1.NextMarker).toBe('a/');
    expect(entriesOf(await listV1({ Delimiter: '/', Marker: v1.NextMarker }))).toEqual([
      'prefix:inbox/',
      'prefix:jobs/',
      'prefix:uploads/',
    ]);

    const v2 = await listV2({ Prefix: 'jobs/', Delimiter: '/', MaxKeys: 1 });
    expect(entriesOf(v2)).toEqual([`prefix:jobs/${JOB_A}/`]);
    const next = await listV2({ Prefix: 'jobs/', Delimiter: '/', ContinuationToken: v2.NextContinuationToken });
    expect(entriesOf(next)).toEqual([`prefix:jobs/${JOB_B}/`]);
    expect(next.ContinuationToken).toBe(v2.NextContinuationToken);
  });

  it.each([
    ['jobs/', '/'],
    [`jobs/${JOB_A}/result.json`, '/'],
    ['a', '/'],
    [`jobs/${JOB_A}/result.json`, ''],
    ['uploads/tenant-1/2026/first.png', ''],
  ])('starts after StartAfter "%s" (delimiter "%s")', async (startAfter, delimiter) => {
    const page = await listV2({ StartAfter: startAfter, Delimiter: delimiter || undefined });
    expect(page.StartAfter).toBe(startAfter);
    expect(entriesOf(page)).toEqual(expectedEntries('', delimiter, startAfter));
  });

  it('refuses a continuation token it did not issue for this bucket', async () => {
    await expect(listV2({ ContinuationToken: 'bm90LWEtdG9rZW4' })).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('walks every key with the SDK paginator', async () => {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: BUCKET })) {
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
    }
    expect(keys).toEqual([...KEYS].sort(byKey));
  });

  it('returns keys with XML and URL special characters intact, and URL-encoded on request', async () => {
    const plain = await listV2({ Prefix: 'uploads/tenant-1/f' });
    expect(plain.Contents?.map((object) => object.Key)).toEqual([ODD_KEY]);

    const encoded = await listV2({ Prefix: 'uploads/tenant-1/f', EncodingType: 'url' });
    expect(encoded.EncodingType).toBe('url');
    const key = encoded.Contents?.[0]?.Key ?? '';
    expect(key).not.toBe(ODD_KEY);
    expect(decodeURIComponent(key)).toBe(ODD_KEY);
  });

  it('still verifies signatures: a listing signed with another secret is refused, a presigned one is served', async () => {
    const forger = new S3Client({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' },
      forcePathStyle: true,
    });
    await expect(forger.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
    forger.destroy();

    const url = await getSignedUrl(s3, new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'jobs/', Delimiter: '/' }), {
      expiresIn: 60,
    });
    const answer = await fetch(url);
    const xml = await answer.text();
    expect(answer.status, xml).toBe(200);
    expect(xml).toContain(`<Prefix>jobs/${JOB_A}/</Prefix>`);
    expect((await fetch(url.replace('delimiter=%2F', 'delimiter=x'))).status).toBe(403);
  });

  it('keeps multipart uploads in flight out of listings, and drops a prefix once its last key is deleted', async () => {
    const Key = 'outbox/deep/assembled.mp4';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
    expect(entriesOf(await listV2({ Delimiter: '/' }))).toEqual(expectedEntries('', '/'));
    expect((await listV2({})).Contents?.map((object) => object.Key)).toEqual([...KEYS].sort(byKey));

    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: 'part' }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] },
      }),
    );
    expect(entriesOf(await listV2({ Delimiter: '/' }))).toContain('prefix:outbox/');
    expect(entriesOf(await listV2({ Prefix: 'outbox/', Delimiter: '/' }))).toEqual(['prefix:outbox/deep/']);
    const body = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    expect(await body.Body?.transformToString()).toBe('part');

    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
    expect(entriesOf(await listV2({ Delimiter: '/' }))).toEqual(expectedEntries('', '/'));
  });

  // Optional: the AWS CLI is on some developer machines only; the SDK checks above are the contract.
  const awsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
  it.runIf(awsCli)('answers `aws s3 ls` at the root, below a prefix, and recursively', async () => {
    // Asynchronously: the S3 server answers from this very process.
    const aws = async (...args: string[]) => {
      const { stdout } = await execFileAsync('aws', ['--endpoint-url', server.url, 's3', 'ls', ...args], {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: path.join(workDir, 'no-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(workDir, 'no-aws-credentials'),
        },
      });
      // "PRE jobs/" for a common prefix; "<date> <time> <size> <key>" for a key
      return stdout
        .trim()
        .split('\n')
        .map((line) => (line.trim().startsWith('PRE ') ? line.trim() : line.split(/ +/).slice(3).join(' ')));
    };
    expect(await aws(`s3://${BUCKET}/`)).toEqual([
      'PRE a/',
      'PRE inbox/',
      'PRE jobs/',
      'PRE uploads/',
      'README.txt',
      'a-b',
      'a.b',
    ]);
    expect(await aws(`s3://${BUCKET}/jobs/${JOB_B}/`)).toEqual(['PRE frames/', 'result.json', 'video.mp4']);
    expect(await aws('--recursive', `s3://${BUCKET}/`)).toEqual([...KEYS].sort(byKey));
  });
});
