import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory.js';
import type { EventPayload, MembershipSpan, Message, StoredEvent } from '../../src/domain/types.js';
import { entryCost } from '../../src/hub/event-log.js';
import { Hub } from '../../src/hub/hub.js';
import type { Store } from '../../src/store/store.js';

/**
 * A deleted message leaves every node's memory at the position of its
 * `message.deleted`, from a local commit or pulled from the store (another
 * node, the CLI): its entries (as sent, as edited) become its tombstone and
 * replies lose their quote, with the same bytes the store rewrote. An account
 * deletion forgets the account's messages but keeps others' replies to them,
 * without the quote.
 */
const X = '9';
const F = '2';
const CONV = '5';

function ev(seq: number, payload: EventPayload, conversationId: string | null): StoredEvent {
  return { seq, type: payload.type, conversationId, targets: [], payload: JSON.stringify(payload) };
}
const message = (id: string, senderId: string, body: string, replyTo: Message['replyTo'] = null): Message => ({
  id,
  conversationId: CONV,
  senderId,
  senderName: 'u' + senderId,
  body,
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  deleted: false,
  replyTo,
  reactions: [],
  mentions: [],
  mentionsAll: false,
  attachments: [],
  linkPreview: null,
});
const quote = (id: string, senderId: string, preview: string) => ({ id, senderId, senderName: 'u' + senderId, preview, deleted: false });

function fixture() {
  const spans: MembershipSpan[] = [
    { userId: F, joinedSeq: 1, leftSeq: null },
    { userId: X, joinedSeq: 1, leftSeq: null },
  ];
  const history = [
    ev(1, { type: 'message.created', message: message('1', X, 'secret from X') }, CONV),
    ev(2, { type: 'message.updated', message: { ...message('1', X, 'secret edited'), editedAt: 'e' } }, CONV),
    ev(3, { type: 'message.created', message: message('2', F, 'answer', quote('1', X, 'secret edited')) }, CONV),
    ev(4, { type: 'message.created', message: message('3', F, 'unrelated') }, CONV),
  ];
  let head = 0;
  let log = history;
  const store: Partial<Store> = {
    headSeq: async () => head,
    floorSeq: async () => 0,
    readEvents: async (after, limit) => log.filter((e) => e.seq > after && e.seq <= head).slice(0, limit),
    membershipSpans: async () => spans,
  };
  return {
    store: store as Store,
    history,
    /** Another node committed these: the hub finds them on its next pull. */
    elsewhere(events: StoredEvent[]) {
      log = [...log, ...events];
      head = events.at(-1)!.seq;
    },
  };
}

const frames = (hub: Hub, user: string) =>
  hub
    .readRecent(user, 0, 100)!
    .entries.map((e) => e.frame)
    .join('\n');
const messageAt = (hub: Hub, seq: number) => JSON.parse(hub.readRecent(F, seq - 1, 1)!.entries[0]!.payload).message as Message;
const deleted = ev(5, { type: 'message.deleted', conversationId: CONV, messageId: '1', by: X }, CONV);

describe('Hub: a deleted message leaves memory', () => {
  it('at a local commit: its entries become the tombstone, replies lose the quote, the rest is untouched', async () => {
    const { store, history } = fixture();
    const hub = new Hub(store, new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    await hub.committed(history);
    const untouched = hub.readRecent(F, 3, 1)!.entries[0]!;
    expect(frames(hub, F)).toContain('secret');

    await hub.committed([deleted]);
    for (const user of [F, X]) expect(frames(hub, user)).not.toContain('secret');
    expect(messageAt(hub, 1)).toMatchObject({ id: '1', body: '', deleted: true });
    expect(messageAt(hub, 2)).toMatchObject({ id: '1', body: '', deleted: true, editedAt: 'e' });
    expect(messageAt(hub, 3)).toMatchObject({ id: '2', body: 'answer', replyTo: { id: '1', preview: '', deleted: true } });
    expect(hub.readRecent(F, 3, 1)!.entries[0]).toBe(untouched);
    expect(hub.readRecent(F, 0, 100)!.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    // The byte estimate follows the rewritten entries.
    expect(hub.stats().logBytes).toBe(hub.readRecent(F, 0, 100)!.entries.reduce((n, e) => n + entryCost(e), 0));
    await hub.stop();
  });

  it('pulled from the store (another node deleted it)', async () => {
    const { store, history, elsewhere } = fixture();
    const hub = new Hub(store, new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    elsewhere(history);
    await hub.refresh();
    expect(frames(hub, F)).toContain('secret');
    elsewhere([deleted]);
    await hub.refresh();
    expect(hub.log.head).toBe(5);
    expect(frames(hub, F)).not.toContain('secret');
    await hub.stop();
  });

  it('user.deleted forgets the account’s messages and keeps others’ replies without the quote', async () => {
    const { store, history } = fixture();
    const hub = new Hub(store, new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    await hub.committed(history);
    await hub.committed([ev(5, { type: 'user.deleted', userId: X }, null)]);
    expect(hub.readRecent(F, 0, 100)!.entries.map((e) => e.seq)).toEqual([3, 4]);
    expect(frames(hub, F)).not.toContain('secret');
    expect(messageAt(hub, 3)).toMatchObject({ id: '2', replyTo: { preview: '', deleted: true } });
    await hub.stop();
  });
});
