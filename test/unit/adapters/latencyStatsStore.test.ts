import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobStore } from '../../../lambdas/adapters/jobStore';
import { LATENCY_ITEM_ID, readLatencies, recordLatency } from '../../../lambdas/adapters/latencyStatsStore';
import { logger } from '../../../lambdas/adapters/logger';
import { LATENCY_WINDOW, type LatencyObservation } from '../../../lambdas/core/latencyStats';
import { startDynaliteJobsStore } from './dynaliteJobsStore';

/*
 * The latency history item on dynalite: its version condition is DynamoDB's
 * to evaluate. Each test gets a table of its own.
 */

const R540P_5S = { quality: '540p', duration: 5 } as const;
const R720P_8S = { quality: '720p', duration: 8 } as const;
const exact = (seconds: number): LatencyObservation => ({ lo: seconds, hi: seconds });

let store: JobStore;
let closeStore: () => Promise<void>;

beforeEach(async () => {
  ({ store, close: closeStore } = await startDynaliteJobsStore());
});

afterEach(async () => {
  vi.restoreAllMocks();
  await closeStore();
});

const rawItem = async () =>
  (
    await store.doc.send(
      new GetCommand({ TableName: store.tableName, Key: { id: LATENCY_ITEM_ID }, ConsistentRead: true }),
    )
  ).Item;
const putRawItem = (item: Record<string, unknown>) =>
  store.doc.send(new PutCommand({ TableName: store.tableName, Item: { id: LATENCY_ITEM_ID, ...item } }));
/** The same table under a name that does not exist: every call fails with ResourceNotFoundException. */
const missingTable = (): JobStore => ({ doc: store.doc, tableName: 'no-such-table' });

describe('Function: readLatencies', () => {
  it('reads no history before anything was recorded', async () => {
    // Act
    const observations = await readLatencies(store, R540P_5S);

    // Assert
    expect(observations).toEqual([]);
  });

  it.each([
    ['a list that is not one', { '540p#5': 'garbage', version: 1 }],
    ['pairs that are not numbers', { '540p#5': [[70, 'late']], version: 1 }],
    ['observations that are not pairs', { '540p#5': [{ lo: 70, hi: 72 }], version: 1 }],
  ])('reads %s as no history', async (_case, item) => {
    // Arrange
    await putRawItem(item);

    // Act
    const observations = await readLatencies(store, R540P_5S);

    // Assert
    expect(observations).toEqual([]);
  });

  it('reads no history, and logs why, when the table cannot be read', async () => {
    // Arrange
    const warn = vi.spyOn(logger, 'warn');

    // Act
    const observations = await readLatencies(missingTable(), R540P_5S);

    // Assert
    expect(observations).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('unreadable'), expect.anything());
  });
});

describe('Function: recordLatency', () => {
  it('records observations that read back per quality and duration, in order', async () => {
    // Arrange
    await recordLatency(store, R540P_5S, exact(76));
    await recordLatency(store, R720P_8S, { lo: 140, hi: 150 });
    await recordLatency(store, R540P_5S, { lo: 74, hi: 78 });

    // Act
    const at540p = await readLatencies(store, R540P_5S);
    const at720p = await readLatencies(store, R720P_8S);
    const at1080p = await readLatencies(store, { quality: '1080p', duration: 5 });

    // Assert
    expect(at540p).toEqual([exact(76), { lo: 74, hi: 78 }]);
    expect(at720p).toEqual([{ lo: 140, hi: 150 }]);
    expect(at1080p).toEqual([]);
    expect(await rawItem()).toEqual({
      id: LATENCY_ITEM_ID,
      '540p#5': [
        [76, 76],
        [74, 78],
      ],
      '720p#8': [[140, 150]],
      version: 3,
    });
  });

  it(`keeps only the newest ${LATENCY_WINDOW} observations of a quality and duration`, async () => {
    // Arrange
    const seconds = Array.from({ length: LATENCY_WINDOW + 3 }, (_, i) => 60 + i);
    for (const second of seconds) await recordLatency(store, R540P_5S, exact(second));

    // Act
    const observations = await readLatencies(store, R540P_5S);

    // Assert
    expect(observations).toEqual(seconds.slice(3).map(exact));
  });

  it('lands both of two concurrent records: the one that lost the version race reads again', async () => {
    // Arrange: both records read the item before either writes
    const send = store.doc.send.bind(store.doc);
    let reads = 0;
    let bothRead: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    const outcomes: string[] = [];
    vi.spyOn(store.doc, 'send').mockImplementation((async (command: GetCommand | UpdateCommand) => {
      if (command instanceof GetCommand && reads < 2) {
        reads += 1;
        const answer = await send(command);
        if (reads === 2) bothRead();
        await barrier;
        return answer;
      }
      if (!(command instanceof UpdateCommand)) return send(command);
      try {
        const answer = await send(command);
        outcomes.push('written');
        return answer;
      } catch (error) {
        outcomes.push((error as Error).name);
        throw error;
      }
    }) as never);

    // Act
    await Promise.all([recordLatency(store, R540P_5S, exact(75)), recordLatency(store, R540P_5S, exact(79))]);

    // Assert
    const observations = await readLatencies(store, R540P_5S);
    expect(observations).toHaveLength(2);
    expect(observations).toEqual(expect.arrayContaining([exact(75), exact(79)]));
    expect(outcomes).toEqual(['written', 'ConditionalCheckFailedException', 'written']);
    expect((await rawItem())?.version).toBe(2);
  });

  it('never throws when the table cannot be written, and logs the loss', async () => {
    // Arrange
    const warn = vi.spyOn(logger, 'warn');

    // Act
    const recording = recordLatency(missingTable(), R540P_5S, exact(76));

    // Assert
    await expect(recording).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith('latency not recorded', expect.objectContaining({ key: '540p#5' }));
  });

  it('gives up without throwing after four lost version races', async () => {
    // Arrange: every write finds the version moved
    const send = store.doc.send.bind(store.doc);
    const warn = vi.spyOn(logger, 'warn');
    const spy = vi.spyOn(store.doc, 'send').mockImplementation((async (command: GetCommand | UpdateCommand) => {
      if (command instanceof UpdateCommand) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      }
      return send(command);
    }) as never);

    // Act
    const recording = recordLatency(store, R540P_5S, exact(76));

    // Assert
    await expect(recording).resolves.toBeUndefined();
    expect(spy.mock.calls.filter(([command]) => command instanceof UpdateCommand)).toHaveLength(4);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('stayed busy'), { key: '540p#5' });
  });

  it('starts a garbage list afresh rather than keeping it', async () => {
    // Arrange
    await putRawItem({ '540p#5': 'garbage', '720p#8': [[140, 150]], version: 7 });

    // Act
    await recordLatency(store, R540P_5S, exact(76));

    // Assert
    expect(await readLatencies(store, R540P_5S)).toEqual([exact(76)]);
    expect(await readLatencies(store, R720P_8S)).toEqual([{ lo: 140, hi: 150 }]);
    expect((await rawItem())?.version).toBe(8);
  });
});
