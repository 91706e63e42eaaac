import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTransition, type TransitionOutcome } from '../../cli/runTransition';
import { localJobsClient, localS3Client } from '../../local/clients';
import type { EmulatorScenario } from '../../local/emulator/server';
import { type LocalStack, startLocalStack } from '../../local/stack';

/**
 * The fault matrix: the emulator misbehaves in each way the real upstream can,
 * and every job must end in a terminal state with its own code, without a
 * duplicate paid submit and without a partial object in S3.
 */

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

interface FaultCase {
  name: string;
  scenario: () => EmulatorScenario;
  status: 'COMPLETED' | 'FAILED';
  code?: string;
  /** Jobs the upstream accepted (billed) for this case. */
  accepted: number;
}

const cases: FaultCase[] = [
  {
    name: 'submit 429 with a reset time, then accepted',
    scenario: () => ({ submitFaults: [{ status: 429, headers: { 'x-rate-limit-reset-at-utc': inSeconds(1) } }] }),
    status: 'COMPLETED',
    accepted: 1,
  },
  {
    // 502 and 504 may come from a proxy after Segmind accepted: they end submit_outcome_unknown (submitOutcomes.test.ts).
    name: 'submit 500 and 503 answered, then accepted',
    scenario: () => ({ submitFaults: [{ status: 500 }, { status: 503 }] }),
    status: 'COMPLETED',
    accepted: 1,
  },
  {
    name: 'submit reset after the upstream accepted',
    scenario: () => ({ submitFaults: [{ kind: 'accept-then-reset' }] }),
    status: 'FAILED',
    code: 'submit_outcome_unknown',
    accepted: 1,
  },
  ...(
    [
      [400, 'upstream_bad_request'],
      [401, 'upstream_unauthorized'],
      [403, 'upstream_forbidden'],
      [406, 'upstream_insufficient_credits'],
      [410, 'upstream_model_retired'],
    ] as const
  ).map(([status, code]) => ({
    name: `submit ${status}`,
    scenario: () => ({ submitFaults: [{ status, body: { error: `injected ${status}` } }] }),
    status: 'FAILED' as const,
    code,
    accepted: 0,
  })),
  {
    name: 'status 502 and 503, then answered',
    scenario: () => ({ statusFaults: [{ status: 502 }, { status: 503 }] }),
    status: 'COMPLETED',
    accepted: 1,
  },
  {
    name: 'status connection reset, then answered',
    scenario: () => ({ statusFaults: [{ kind: 'reset' }] }),
    status: 'COMPLETED',
    accepted: 1,
  },
  {
    name: 'result 500 once, then answered',
    scenario: () => ({ resultFaults: [{ status: 500 }] }),
    status: 'COMPLETED',
    accepted: 1,
  },
  {
    name: 'upstream record expired (404)',
    scenario: () => ({ expireImmediately: true }),
    status: 'FAILED',
    code: 'upstream_expired',
    accepted: 1,
  },
  {
    name: 'upstream FAILED (422)',
    scenario: () => ({ fail: 'NSFW content detected' }),
    status: 'FAILED',
    code: 'upstream_failed',
    accepted: 1,
  },
  {
    name: 'upstream never finishes',
    scenario: () => ({ neverFinish: true }),
    status: 'FAILED',
    code: 'upstream_timeout',
    accepted: 1,
  },
  { name: 'output as an object', scenario: () => ({ outputShape: 'object' }), status: 'COMPLETED', accepted: 1 },
  { name: 'output as JSON text', scenario: () => ({ outputShape: 'json-string' }), status: 'COMPLETED', accepted: 1 },
  {
    name: 'output as garbage',
    scenario: () => ({ outputShape: 'garbage' }),
    status: 'FAILED',
    code: 'invalid_upstream_output',
    accepted: 1,
  },
  {
    name: 'video on a host outside the allow-list',
    scenario: () => ({ videoUrlOverride: 'https://videos.attacker.example/x.mp4' }),
    status: 'FAILED',
    code: 'video_rejected',
    accepted: 1,
  },
  {
    name: 'video answered with a redirect',
    scenario: () => ({ videoFaults: ['redirect'] }),
    status: 'FAILED',
    code: 'video_rejected',
    accepted: 1,
  },
  {
    name: 'video is an HTML page',
    scenario: () => ({ videoFaults: ['html'] }),
    status: 'FAILED',
    code: 'video_rejected',
    accepted: 1,
  },
  {
    name: 'video body empty',
    scenario: () => ({ videoFaults: ['empty'] }),
    status: 'FAILED',
    code: 'video_rejected',
    accepted: 1,
  },
  {
    name: 'video declared larger than the cap',
    scenario: () => ({ videoFaults: ['oversize-declared'] }),
    status: 'FAILED',
    code: 'video_rejected',
    accepted: 1,
  },
  {
    name: 'video cut off halfway once, then whole',
    scenario: () => ({ videoFaults: ['truncate'] }),
    status: 'COMPLETED',
    accepted: 1,
  },
  {
    name: 'video host 503 once, then whole',
    scenario: () => ({ videoFaults: ['server-error'] }),
    status: 'COMPLETED',
    accepted: 1,
  },
  {
    name: 'video cut off on every attempt',
    scenario: () => ({ videoFaults: ['truncate', 'truncate', 'truncate', 'truncate'] }),
    status: 'FAILED',
    code: 'video_download_failed',
    accepted: 1,
  },
  {
    name: 'video stalls mid-body on every attempt',
    scenario: () => ({ videoFaults: ['stall', 'stall', 'stall', 'stall'] }),
    status: 'FAILED',
    code: 'video_download_failed',
    accepted: 1,
  },
];

describe('E2E: fault matrix on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  const outcomes = new Map<string, TransitionOutcome>();
  const acceptedBy = new Map<string, number>();

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-faults-'));
    const byPrompt = new Map(cases.map((fault) => [`fault: ${fault.name}`, fault]));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: ['faults-key'],
      segmindApiKey: '',
      emulator: { latencySeconds: 1, scenario: (request) => byPrompt.get(String(request.prompt))?.scenario() },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 100,
      lambdaEnvironment: {
        FRAMEBRIDGE_POLL_DEADLINE_S: '30',
        FRAMEBRIDGE_VIDEO_IDLE_TIMEOUT_S: '1',
        // Every fault case runs at once: above the default cap of 20 active jobs per tenant.
        FRAMEBRIDGE_MAX_ACTIVE_JOBS: '100',
      },
    });
    const submissionsOf = (prompt: string) =>
      (stack.emulator?.jobs() ?? []).filter((job) => job.body.prompt === prompt).length;
    // Every case at once: the matrix is also a small concurrency test.
    await Promise.all(
      cases.map(async (fault) => {
        const prompt = `fault: ${fault.name}`;
        const outcome = await runTransition(stack, {
          first: path.join(frames, 'first.png'),
          last: path.join(frames, 'last.png'),
          prompt,
          quality: '360p',
        });
        outcomes.set(fault.name, outcome);
        acceptedBy.set(fault.name, submissionsOf(prompt));
      }),
    );
    await stack.idle();
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it.each(cases)('$name → $status $code, upstream accepted $accepted', (fault) => {
    const outcome = outcomes.get(fault.name);
    expect(outcome?.status, JSON.stringify(outcome)).toBe(fault.status);
    if (outcome?.status === 'FAILED') expect(outcome.code).toBe(fault.code);
    expect(acceptedBy.get(fault.name)).toBe(fault.accepted);
  });

  it('recovers from the upstream refusing connections during submit', async () => {
    const refusing = stack.emulator?.refuseConnections(300);
    const outcome = await runTransition(stack, {
      first: path.join(frames, 'first.png'),
      last: path.join(frames, 'last.png'),
      prompt: 'while the upstream refuses connections',
      quality: '360p',
    });
    await refusing;
    expect(outcome.status).toBe('COMPLETED');
    expect(
      stack.emulator?.jobs().filter((job) => job.body.prompt === 'while the upstream refuses connections'),
    ).toHaveLength(1);
  });

  it('leaves no job in a non-terminal state', async () => {
    await stack.idle();
    const jobs = localJobsClient(stack.endpoints);
    const { Items = [] } = await jobs.send(
      // Job records only: the table also holds each tenant's usage counter.
      new ScanCommand({
        TableName: stack.endpoints.jobsTable,
        FilterExpression: 'attribute_exists(#request)',
        ExpressionAttributeNames: { '#request': 'request' },
      }),
    );
    jobs.destroy();
    expect(Items.length).toBeGreaterThanOrEqual(cases.length);
    expect(Items.filter((job) => job.status !== 'COMPLETED' && job.status !== 'FAILED')).toEqual([]);
  });

  it('never submits a job twice and leaves no partial object: only completed jobs have files, always both', async () => {
    const accepted = stack.emulator?.jobs() ?? [];
    const prompts = accepted.map((job) => String(job.body.prompt));
    expect(new Set(prompts).size).toBe(prompts.length);

    const s3 = localS3Client(stack.endpoints);
    // Everything under the job's prefix, so a stray partial key fails the check too.
    for (const outcome of outcomes.values()) {
      const prefix = `jobs/${outcome.jobId}/`;
      const listing = await s3.send(new ListObjectsV2Command({ Bucket: stack.endpoints.bucket, Prefix: prefix }));
      const files = (listing.Contents ?? []).map((object) => object.Key?.slice(prefix.length));
      expect(files).toEqual(outcome.status === 'COMPLETED' ? ['result.json', 'video.mp4'] : []);
    }
    s3.destroy();
    expect([...outcomes.values()].some((outcome) => outcome.status === 'COMPLETED')).toBe(true);
  });
});
