import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSITION_DETAIL_TYPES } from '../../lambdas/core/contract/events';
import { uploadExampleFrames } from '../../local/clients';
import type { EmulatorScenario } from '../../local/emulator/server';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { WebhookReceiver } from './webhookReceiver';

/*
 * Segmind has no idempotency: a submit whose outcome is unknown must never be
 * sent again. A gateway's 502 or 504 may come after Segmind accepted (and
 * billed) the job; a 503 (or 500, 429) is the upstream saying it did not.
 */

const API_KEY = 'e2e-submit-outcomes-key';
const JOB_TIMEOUT_MS = 60_000;

interface OutcomeCase {
  name: string;
  scenario: EmulatorScenario;
  status: 'COMPLETED' | 'FAILED';
  code?: string;
  /** Submit requests the emulator received for the job, and jobs it accepted (billed). */
  sent: number;
  accepted: number;
}

const cases: OutcomeCase[] = [
  ...[502, 504].map((status) => ({
    name: `a gateway's ${status} after the upstream accepted`,
    scenario: { submitFaults: [{ kind: 'accept-then-answer' as const, status }] },
    status: 'FAILED' as const,
    code: 'submit_outcome_unknown',
    sent: 1,
    accepted: 1,
  })),
  {
    name: 'a 503 (not accepted), then accepted',
    scenario: { submitFaults: [{ status: 503 }] },
    status: 'COMPLETED',
    sent: 2,
    accepted: 1,
  },
];

describe('E2E: submit outcomes on the local stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let frames: { first: string; last: string };
  let receiver: WebhookReceiver | undefined;
  const submitsOf = new Map<string, number>();
  const byPrompt = new Map(cases.map((outcome) => [`outcome: ${outcome.name}`, outcome]));
  const jobIds = new Map<string, string>();

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-submit-outcomes-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        // Called once per submit request received: counts what reached the upstream.
        scenario: (request) => {
          const prompt = String(request.prompt);
          submitsOf.set(prompt, (submitsOf.get(prompt) ?? 0) + 1);
          return byPrompt.get(prompt)?.scenario;
        },
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 50,
    });
    receiver = new WebhookReceiver(stack.endpoints.webhookSecret);
    await receiver.start();
    frames = await uploadExampleFrames(stack.endpoints, stack.ownerOf(API_KEY), 'e2e-submit-outcomes');
    await Promise.all(cases.map(async (outcome) => jobIds.set(outcome.name, await runJob(outcome))));
    await stack.idle();
  }, JOB_TIMEOUT_MS * 2);

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  const api = async (route: string, init: RequestInit = {}) => {
    const response = await fetch(`${stack.endpoints.apiUrl}${route}`, {
      ...init,
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  /** Submits the case's job and waits until it is COMPLETED or FAILED; answers its id. */
  async function runJob(outcome: OutcomeCase): Promise<string> {
    const submitted = await api('/v2/pixverse-5-transition', {
      method: 'POST',
      body: JSON.stringify({
        prompt: `outcome: ${outcome.name}`,
        first_frame_url: frames.first,
        last_frame_url: frames.last,
        quality: '360p',
        callback_url: `${receiver?.url}/hooks/${encodeURIComponent(outcome.name)}`,
      }),
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const id = String(submitted.body.request_id);
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    for (;;) {
      const { body } = await api(`/v2/requests/${id}/status`);
      if (body.status === 'COMPLETED' || body.status === 'FAILED') return id;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${String(body.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const eventsFor = async (id: string) =>
    (await readFile(stack.endpoints.eventsFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { DetailType: string; Detail: Record<string, unknown> })
      .filter((event) => event.Detail.request_id === id);

  it.each(cases)('$name → $status $code, sent $sent, accepted $accepted', async (outcome) => {
    // Arrange
    const id = jobIds.get(outcome.name) ?? 'none';
    const prompt = `outcome: ${outcome.name}`;

    // Act
    const { status, body } = await api(`/v2/requests/${id}/status`);

    // Assert
    expect(status, JSON.stringify(body)).toBe(outcome.status === 'FAILED' ? 422 : 200);
    expect(body.status).toBe(outcome.status);
    if (outcome.code) expect(body.error_code).toBe(outcome.code);
    expect(submitsOf.get(prompt)).toBe(outcome.sent);
    expect(stack.emulator?.jobs().filter((job) => job.body.prompt === prompt)).toHaveLength(outcome.accepted);
    const detailType = outcome.status === 'FAILED' ? TRANSITION_DETAIL_TYPES.failed : TRANSITION_DETAIL_TYPES.completed;
    expect(await eventsFor(id)).toEqual([
      expect.objectContaining({
        DetailType: detailType,
        Detail: expect.objectContaining({ status: outcome.status, ...(outcome.code ? { code: outcome.code } : {}) }),
      }),
    ]);
    // Verified as a receiver would: signature, id and timestamp.
    const hooks = receiver?.at(`/hooks/${encodeURIComponent(outcome.name)}`);
    expect(hooks).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          request_id: id,
          status: outcome.status,
          error: outcome.code ? expect.objectContaining({ code: outcome.code }) : null,
        }),
      }),
    ]);
  });
});
