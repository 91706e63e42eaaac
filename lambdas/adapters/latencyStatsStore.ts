import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import '../core/zodMini';
import { type LatencyKey, type LatencyObservation, latencyKey, withObservation } from '../core/latencyStats';
import type { Quality, TransitionRequest } from '../core/schemas';
import { isConditionFailure } from './conditionFailure';
import type { JobStore } from './jobStore';
import { logger } from './logger';

/*
 * What the poll plan learns, one small item in the jobs table:
 *   { id: 'upstream#latency', '540p#5': [[lo, hi], …], …, version }
 * one list of the newest observations per quality and duration. Like the
 * admission item its id holds a '#' (no route reads it as a job). A write
 * reads, appends and writes back on condition that the version did not move.
 * Learning is best effort: a job never fails or waits because of it.
 */

export const LATENCY_ITEM_ID = 'upstream#latency';
const MAX_ROUNDS = 4;

const observationsSchema = z.array(z.tuple([z.number(), z.number()]));

async function readItem(store: JobStore): Promise<Record<string, unknown> | undefined> {
  const answer = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { id: LATENCY_ITEM_ID } }));
  return answer.Item;
}

function observationsIn(item: Record<string, unknown> | undefined, key: LatencyKey): LatencyObservation[] {
  const parsed = observationsSchema.safeParse(item?.[key]);
  return parsed.success ? parsed.data.map(([lo, hi]) => ({ lo, hi })) : [];
}

/** The recent observations for a request's quality and duration; none when the item cannot be read. */
export async function readLatencies(
  store: JobStore,
  request: { quality: Quality; duration: TransitionRequest['duration'] },
): Promise<LatencyObservation[]> {
  try {
    return observationsIn(await readItem(store), latencyKey(request));
  } catch (error) {
    logger.warn('latency history unreadable: the static poll plan applies', { error });
    return [];
  }
}

/** Adds one completed job's observation; a lost race reads again, and a failure is only logged. */
export async function recordLatency(
  store: JobStore,
  request: { quality: Quality; duration: TransitionRequest['duration'] },
  observation: LatencyObservation,
): Promise<void> {
  const key = latencyKey(request);
  try {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const item = await readItem(store);
      const version = typeof item?.version === 'number' ? item.version : undefined;
      const list = withObservation(observationsIn(item, key), observation).map(({ lo, hi }) => [lo, hi]);
      try {
        await store.doc.send(
          new UpdateCommand({
            TableName: store.tableName,
            Key: { id: LATENCY_ITEM_ID },
            UpdateExpression: 'SET #list = :list, #version = :next',
            ConditionExpression: version === undefined ? 'attribute_not_exists(#version)' : '#version = :version',
            ExpressionAttributeNames: { '#list': key, '#version': 'version' },
            ExpressionAttributeValues: {
              ':list': list,
              ':next': (version ?? 0) + 1,
              ...(version === undefined ? {} : { ':version': version }),
            },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    logger.warn('latency not recorded: the history item stayed busy', { key });
  } catch (error) {
    logger.warn('latency not recorded', { key, error });
  }
}
