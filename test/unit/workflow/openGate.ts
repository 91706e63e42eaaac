import { vi } from 'vitest';
import type { UpstreamGate } from '../../../lambdas/workflow/upstreamGate';

/** A gate with capacity to spare: every admission and token granted, each call recorded. */
export function openGate(): UpstreamGate & { [K in keyof UpstreamGate]: ReturnType<typeof vi.fn> } {
  return {
    admit: vi.fn(async () => ({ ok: true as const })),
    take: vi.fn(async () => ({ ok: true as const })),
    release: vi.fn(async () => undefined),
    throttled: vi.fn(async () => undefined),
  };
}
