import type S3rver from '@20minutes/s3rver';
import * as z from 'zod';
import type { LocalEventBus } from './eventBus';

const s3rverEventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        object: z.object({ key: z.string(), size: z.number().optional(), eTag: z.string().optional() }),
      }),
    }),
  ),
});

/**
 * What S3 sends EventBridge when the bucket has EventBridge notifications on:
 * an `Object Created` event on the default bus, for each object s3rver stores.
 */
export function forwardS3Events(server: S3rver, bus: LocalEventBus): void {
  server.on('event', (raw: unknown) => {
    const parsed = s3rverEventSchema.safeParse(raw);
    if (!parsed.success) return;
    for (const record of parsed.data.Records) {
      if (!record.eventName.startsWith('ObjectCreated:')) continue;
      const { bucket, object } = record.s3;
      bus.publish('default', {
        source: 'aws.s3',
        'detail-type': 'Object Created',
        resources: [`arn:aws:s3:::${bucket.name}`],
        detail: {
          version: '0',
          bucket: { name: bucket.name },
          object: {
            key: decodeURIComponent(object.key.replace(/\+/g, ' ')),
            size: object.size,
            etag: object.eTag,
            sequencer: Date.now().toString(16).toUpperCase(),
          },
          reason: record.eventName.replace('ObjectCreated:', '') === 'Put' ? 'PutObject' : record.eventName,
        },
      });
    }
  });
}
