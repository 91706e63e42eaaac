import { describe, expect, it } from 'vitest';
import type { Job, JobPhase } from '../../../lambdas/core/job';
import { statusOfPhase } from '../../../lambdas/core/job';
import { parseTransitionRequest } from '../../../lambdas/core/schemas';
import { jobEventStream } from '../../../lambdas/jobs/streamJobEvents';

const ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const T0 = Date.parse('2025-01-01T10:00:00.000Z');

function job(phase: JobPhase, second: number): Job {
  return {
    id: ID,
    owner: 'tenant-1',
    status: statusOfPhase[phase],
    phase,
    request: parseTransitionRequest({
      prompt: 'dawn to dusk',
      first_frame_url: 'https://cdn.example.com/a.png',
      last_frame_url: 'https://cdn.example.com/b.png',
    }),
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0 + second * 1000).toISOString(),
    expiresAt: 1_738_000_000,
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

const phasesIn = (text: string) => [...text.matchAll(/"phase":"([a-z_]+)"/g)].map((match) => match[1]);

describe('Function: jobEventStream', () => {
  it('sends each change once and ends right after the terminal event', async () => {
    // Arrange
    const reads = [job('queued', 1), job('submitted', 2), job('generating', 3), job('completed', 4)];
    let readCount = 0;

    // Act
    const text = await readAll(
      jobEventStream(job('queued', 0), undefined, {
        read: async () => reads[Math.min(readCount++, reads.length - 1)],
        pollMs: 5,
        heartbeatMs: 10_000,
        deadline: Date.now() + 10_000,
      }),
    );

    // Assert
    expect(phasesIn(text)).toEqual(['queued', 'submitted', 'generating', 'completed']);
    expect(readCount).toBe(4);
    expect(text.endsWith('\n\n')).toBe(true);
  });

  it('sends heartbeats while nothing changes, and ends at its deadline without a terminal event', async () => {
    // Arrange
    const startedAt = Date.now();

    // Act
    const text = await readAll(
      jobEventStream(job('generating', 0), undefined, {
        read: async () => job('generating', 1),
        pollMs: 10,
        heartbeatMs: 40,
        deadline: startedAt + 250,
      }),
    );

    // Assert
    const elapsed = Date.now() - startedAt;
    expect(phasesIn(text)).toEqual(['generating']);
    expect(text.split(': heartbeat\n\n').length - 1).toBeGreaterThanOrEqual(3);
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(1000);
  });

  it('stops reading the job once the stream is destroyed', async () => {
    // Arrange
    let readCount = 0;
    const stream = jobEventStream(job('generating', 0), undefined, {
      read: async () => {
        readCount++;
        return job('generating', 1);
      },
      pollMs: 10,
      heartbeatMs: 10_000,
      deadline: Date.now() + 10_000,
    });
    stream.resume();
    await new Promise((resolve) => setTimeout(resolve, 60));

    // Act
    stream.destroy();
    const readsAtDestroy = readCount;
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assert
    expect(readsAtDestroy).toBeGreaterThan(0);
    expect(readCount - readsAtDestroy).toBeLessThanOrEqual(1);
  });

  it('ends without an event when the job record is gone', async () => {
    const text = await readAll(
      jobEventStream(job('generating', 0), undefined, {
        read: async () => undefined,
        pollMs: 5,
        heartbeatMs: 10_000,
        deadline: Date.now() + 10_000,
      }),
    );

    expect(phasesIn(text)).toEqual(['generating']);
  });
});
