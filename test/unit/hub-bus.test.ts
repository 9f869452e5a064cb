import { describe, expect, it } from 'vitest';
import type { MembershipSpan, StoredEvent } from '../../src/domain/types.js';
import { MemoryBus } from '../../src/bus/memory.js';
import { Hub } from '../../src/hub/hub.js';
import type { Store } from '../../src/store/store.js';

/** A store with nothing in it that counts the hub's reads of the log. */
function countingStore(): { store: Store; reads: () => number } {
  let reads = 0;
  const store: Partial<Store> = {
    headSeq: async () => 0,
    floorSeq: async () => 0,
    readEvents: async () => {
      reads++;
      return [];
    },
    readUserEvents: async () => [],
    membershipSpans: async (): Promise<MembershipSpan[]> => [],
  };
  return { store: store as Store, reads: () => reads };
}

const stored = (seq: number): StoredEvent => ({
  seq,
  type: 'message.created',
  conversationId: null,
  targets: ['u1'],
  payload: JSON.stringify({ type: 'message.created', message: { id: String(seq), body: 'hi' } }),
});

/** Lets every queued microtask, immediate and bus delivery run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('Hub on the in-memory bus: a node is not woken by its own doorbell', () => {
  it('a local commit costs no read of the store', async () => {
    const { store, reads } = countingStore();
    const hub = new Hub(store, new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    for (let seq = 1; seq <= 10; seq++) await hub.committed([stored(seq)]);
    await settle();
    expect(reads()).toBe(0);
    expect(hub.head).toBe(10);
    await hub.stop();
  });

  it("a signal still reaches this node's own subscribers", async () => {
    const { store } = countingStore();
    const hub = new Hub(store, new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    const got: string[] = [];
    hub.attach({ userId: 'u1', kind: 'x', deliver() {}, signal: (f) => got.push(f) }, 0);
    await hub.signal(null, ['u1'], '{"type":"typing"}');
    await settle();
    expect(got).toEqual(['{"type":"typing"}']);
    await hub.stop();
  });
});
