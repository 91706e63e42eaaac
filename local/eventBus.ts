import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { matchesEventPattern } from './eventPattern';
import type { LocalRule } from './template';

export interface BusEvent {
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
  resources?: string[];
}

type Invoke = (handler: string, functionName: string, event: unknown, timeoutMs: number) => Promise<unknown>;

/**
 * The local EventBridge: events put on a bus are appended to events.jsonl (for
 * PutEvents from the workflow) and delivered to every rule of the template whose
 * pattern matches, by invoking the target function in-process, asynchronously —
 * as EventBridge does. A failed target is retried twice, then dropped and logged.
 */
export class LocalEventBus {
  private readonly deliveries = new Set<Promise<void>>();

  constructor(
    private readonly rules: readonly LocalRule[],
    private readonly invoke: Invoke,
    private readonly options: {
      region: string;
      accountId: string;
      eventsFile?: string;
      onError?: (error: unknown) => void;
    },
  ) {}

  /** The PutEvents integration: `Entries` as Step Functions passes them. */
  async putEvents(
    entries: readonly { Source?: string; DetailType?: string; Detail?: unknown; EventBusName?: string }[],
  ) {
    const results = [];
    for (const entry of entries) {
      const detail = typeof entry.Detail === 'string' ? JSON.parse(entry.Detail) : (entry.Detail ?? {});
      const busName = entry.EventBusName ?? 'default';
      if (this.options.eventsFile) {
        const line = {
          Source: entry.Source,
          DetailType: entry.DetailType,
          Detail: detail,
          EventBusName: busName,
          time: new Date().toISOString(),
        };
        await appendFile(this.options.eventsFile, `${JSON.stringify(line)}\n`);
      }
      results.push({
        EventId: this.publish(busName, {
          source: String(entry.Source),
          'detail-type': String(entry.DetailType),
          detail,
        }),
      });
    }
    return { Entries: results, FailedEntryCount: 0 };
  }

  /** Puts one event on a bus; matching rules' targets run in the background. */
  publish(busName: string, event: BusEvent): string {
    const envelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': event['detail-type'],
      source: event.source,
      account: this.options.accountId,
      time: new Date().toISOString(),
      region: this.options.region,
      resources: event.resources ?? [],
      detail: event.detail,
    };
    for (const rule of this.rules) {
      if (rule.busName !== busName && !busName.endsWith(`/${rule.busName}`)) continue;
      if (!matchesEventPattern(rule.pattern, envelope)) continue;
      for (const target of rule.targets) {
        const delivery = this.deliver(target, envelope).finally(() => this.deliveries.delete(delivery));
        this.deliveries.add(delivery);
      }
    }
    return envelope.id;
  }

  private async deliver(target: LocalRule['targets'][number], envelope: unknown): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await this.invoke(target.handler, target.logicalId, envelope, target.timeoutSeconds * 1000);
        return;
      } catch (error) {
        if (attempt === 3) this.options.onError?.(error);
        else await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  /** Resolves once every delivery in flight has finished. */
  async idle(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.all([...this.deliveries]);
  }
}
