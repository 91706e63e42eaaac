import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { uploadExampleFrames } from '../../local/clients';
import { type LocalStack, startLocalStack } from '../../local/stack';

const API_KEY = 'e2e-events-key';
const FAIL_MARK = '[upstream-fails]';
const UPSTREAM_FAILURE = 'Content moderation: the prompt was rejected by the model';
const JOB_TIMEOUT_MS = 90_000;

/** One line of `<data dir>/events.jsonl`, as the local stack's PutEvents writes it. */
const eventLineSchema = z.object({
  Source: z.string(),
  DetailType: z.string(),
  Detail: z.record(z.string(), z.unknown()),
  EventBusName: z.string(),
  time: z.iso.datetime(),
});

describe('E2E: EventBridge events on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let frameUris: { first: string; last: string };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-e2e-events-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        scenario: (request) =>
          String(request.prompt ?? '').includes(FAIL_MARK) ? { fail: UPSTREAM_FAILURE } : undefined,
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    const { endpoints } = stack;
    frameUris = await uploadExampleFrames(endpoints, stack.ownerOf(API_KEY), 'e2e-events');
  });

  afterAll(async () => {
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function runJob(prompt: string): Promise<string> {
    const response = await fetch(`${stack.endpoints.apiUrl}/v2/pixverse-5-transition`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt,
        first_frame_url: frameUris.first,
        last_frame_url: frameUris.last,
        quality: '360p',
      }),
    });
    const body = (await response.json()) as { request_id?: string };
    expect(response.status, JSON.stringify(body)).toBe(202);
    await stack.idle();
    return String(body.request_id);
  }

  async function eventsOf(jobId: string) {
    const text = await readFile(stack.endpoints.eventsFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => eventLineSchema.parse(JSON.parse(line)))
      .filter((event) => event.Detail.request_id === jobId);
  }

  it(
    'puts one Transition Completed event with the request id, S3 URI and size when a job completes',
    async () => {
      // Act
      const jobId = await runJob('dawn to night');

      // Assert
      const events = await eventsOf(jobId);
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(event).toMatchObject({
        Source: 'framebridge',
        DetailType: 'Transition Completed',
        EventBusName: expect.stringMatching(/framebridge-events$/),
        Detail: {
          request_id: jobId,
          status: 'COMPLETED',
          s3_uri: `s3://${stack.endpoints.bucket}/jobs/${jobId}/video.mp4`,
        },
      });
      expect(event?.Detail.bytes).toEqual(expect.any(Number));
      expect(Number(event?.Detail.bytes)).toBeGreaterThan(1000);
      expect(Date.now() - Date.parse(String(event?.time))).toBeLessThan(60_000);
    },
    JOB_TIMEOUT_MS,
  );

  it(
    'puts one Transition Failed event with the code and message when a job fails, and the job still fails',
    async () => {
      // Act
      const jobId = await runJob(`a transition ${FAIL_MARK}`);

      // Assert
      const events = await eventsOf(jobId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        Source: 'framebridge',
        DetailType: 'Transition Failed',
        Detail: {
          request_id: jobId,
          status: 'FAILED',
          code: 'upstream_failed',
          message: expect.stringContaining(UPSTREAM_FAILURE),
        },
      });
      const execution = stack.stepFunctions.ofJob(stack.endpoints.stateMachineArn, jobId)[0];
      expect(execution).toMatchObject({ status: 'FAILED', error: 'upstream_failed' });
    },
    JOB_TIMEOUT_MS,
  );

  it('lists the bus and the events file in endpoints.json', async () => {
    const endpoints = JSON.parse(await readFile(path.join(workDir, 'endpoints.json'), 'utf8')) as Record<
      string,
      unknown
    >;

    expect(endpoints).toMatchObject({ eventBus: 'framebridge-events', eventsFile: path.join(workDir, 'events.jsonl') });
  });
});
