import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/domain/errors.js';
import type { EventPayload, MembershipSpan, StoredEvent } from '../../src/domain/types.js';
import { MemoryBus } from '../../src/bus/memory.js';
import type { LogEntry } from '../../src/hub/event-log.js';
import { Hub, type Subscriber } from '../../src/hub/hub.js';
import type { Wire } from '../../src/hub/ports.js';
import type { Store } from '../../src/store/store.js';

/**
 * Internal log events (user.deleted, auth.revoked) act on the node as it
 * ingests them: the deleted user leaves the audience index and the log's
 * targets, and the connections of a revoked credential or a deleted account
 * close with the catalog's "do not reconnect" codes.
 */

class Wire0 implements Wire {
  readonly kind = 'fake';
  ended: ErrorCode | null = null;
  encode(e: LogEntry): Buffer {
    return Buffer.from(e.frame);
  }
  encodeFrame(json: string): Buffer {
    return Buffer.from(json);
  }
  write(_data: Buffer, done: () => void): void {
    setImmediate(done);
  }
  end(code: ErrorCode): void {
    this.ended = code;
  }
}

/** A long-poll-like subscriber: records how it was closed, and detaches itself as a waiter does. */
function waiter(hub: Hub, userId: string, credential: string | null): Subscriber & { closedWith: ErrorCode | null } {
  const w = {
    userId,
    credential,
    kind: 'x',
    closedWith: null as ErrorCode | null,
    deliver() {},
    signal() {},
    close(code: ErrorCode) {
      w.closedWith = code;
      hub.detach(w);
    },
  };
  return w;
}

const X = '9';
const F = '2';
const CONV = '5';

function ev(seq: number, payload: EventPayload, conversationId: string | null, targets: string[] = []): StoredEvent {
  return { seq, type: payload.type, conversationId, targets, payload: JSON.stringify(payload) };
}

const user = (id: string) => ({
  id,
  username: 'u' + id,
  displayName: 'u' + id,
  createdAt: '2026-01-01T00:00:00.000Z',
  role: 'member' as const,
});
const msg = (id: string, senderId: string, body: string): EventPayload => ({
  type: 'message.created',
  message: {
    id,
    conversationId: CONV,
    senderId,
    senderName: 'u' + senderId,
    body,
    createdAt: '2026-01-01T00:00:00.000Z',
    editedAt: null,
    deleted: false,
    replyTo: null,
    reactions: [],
    mentions: [],
    mentionsAll: false,
    attachments: [],
    linkPreview: null,
  },
});

/** X and F are friends and share conversation CONV, which X joined at 2; the store has nothing (the hub starts at head 0). */
function fixture() {
  const spans: MembershipSpan[] = [
    { userId: F, joinedSeq: 2, leftSeq: null },
    { userId: X, joinedSeq: 2, leftSeq: null },
  ];
  const store: Partial<Store> = {
    headSeq: async () => 0,
    floorSeq: async () => 0,
    readEvents: async () => [],
    membershipSpans: async () => spans,
  };
  const history = [
    ev(1, { type: 'friend.accepted', requestId: '1', users: [user(F), user(X)] }, null, [F, X]),
    ev(
      2,
      { type: 'member.joined', conversationId: CONV, member: { id: X, username: 'u9', displayName: 'u9', role: 'member' }, by: null },
      CONV,
    ),
    ev(3, msg('1', X, 'secret from X'), CONV),
    ev(4, msg('2', F, 'hello X'), CONV),
  ];
  return { store: store as Store, history };
}

async function started(): Promise<{ hub: Hub; history: StoredEvent[] }> {
  const { store, history } = fixture();
  const hub = new Hub(store, new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
  await hub.start();
  await hub.committed(history);
  return { hub, history };
}

describe('Hub: internal events act at ingest', () => {
  it('user.deleted drops the user from the audience index, the log targets and the log (their messages)', async () => {
    const { hub } = await started();
    expect(hub.index.users(CONV)?.has(X)).toBe(true);
    expect(hub.readRecent(X, 0, 100)!.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);

    await hub.committed([ev(5, { type: 'user.deleted', userId: X }, null)]);

    // Nothing under the old id remains: a later account that got the same id would see none of it.
    expect(hub.index.users(CONV)?.has(X)).toBe(false);
    expect(hub.index.includes(CONV, X, 4)).toBe(false);
    expect(hub.readRecent(X, 0, 100)!.entries).toEqual([]);
    // The friend keeps their stream, minus the deleted user's messages.
    const forF = hub.readRecent(F, 0, 100)!.entries;
    expect(forF.map((e) => e.seq)).toEqual([1, 2, 4]);
    expect(forF.map((e) => e.frame).join()).not.toContain('secret from X');
    // The internal event itself is in nobody's stream.
    expect(hub.log.head).toBe(5);
    await hub.stop();
  });

  it('auth.revoked closes the connections of that credential only; null closes every one of the user', async () => {
    const { hub } = await started();
    const [wa, wb] = [new Wire0(), new Wire0()];
    const a = hub.open(F, wa, 4, 'hashA');
    const b = hub.open(F, wb, 4, 'hashB');
    await hub.follow(a);
    await hub.follow(b);
    const pollA = waiter(hub, F, 'hashA');
    const pollB = waiter(hub, F, 'hashB');
    const other = waiter(hub, X, 'hashA');
    for (const w of [pollA, pollB, other]) expect(hub.attach(w, 4)).toBe(true);

    await hub.committed([ev(5, { type: 'auth.revoked', userId: F, tokenHash: 'hashA', reason: 'logout' }, null)]);
    expect([wa.ended, wb.ended]).toEqual(['SESSION_REVOKED', null]);
    expect([pollA.closedWith, pollB.closedWith, other.closedWith]).toEqual(['SESSION_REVOKED', null, null]);
    expect(a.closed).toBe(true);
    expect(b.closed).toBe(false);
    expect(hub.connectionsOf(F)).toBe(2);

    await hub.committed([ev(6, { type: 'auth.revoked', userId: F, tokenHash: null, reason: 'logout-all' }, null)]);
    expect(wb.ended).toBe('SESSION_REVOKED');
    expect(pollB.closedWith).toBe('SESSION_REVOKED');
    expect(hub.connectionsOf(F)).toBe(0);
    expect(other.closedWith).toBeNull();
    await hub.stop();
  });

  it('user.deleted closes every connection of the user with ACCOUNT_DELETED, attached or still catching up', async () => {
    const { hub } = await started();
    const [wa, wb] = [new Wire0(), new Wire0()];
    const attached = hub.open(X, wa, 4, 'h1');
    await hub.follow(attached);
    const catchingUp = hub.open(X, wb, 0, 'h2'); // opened, not yet followed
    const poll = waiter(hub, X, 'h3');
    hub.attach(poll, 4);
    const friend = hub.open(F, new Wire0(), 4, 'hf');
    await hub.follow(friend);

    await hub.committed([ev(5, { type: 'user.deleted', userId: X }, null)]);
    expect([wa.ended, wb.ended, poll.closedWith]).toEqual(['ACCOUNT_DELETED', 'ACCOUNT_DELETED', 'ACCOUNT_DELETED']);
    expect(catchingUp.closed).toBe(true);
    expect(friend.closed).toBe(false);
    expect(hub.stats()).toMatchObject({ sessions: 1, subscribers: 1 });
    await hub.stop();
  });

  it('acts on internal events pulled from the store too (another node or a CLI wrote them)', async () => {
    const { store, history } = fixture();
    const later = [...history, ev(5, { type: 'auth.revoked', userId: F, tokenHash: null, reason: 'password' }, null)];
    let head = 4;
    const s = store as Partial<Store>;
    s.headSeq = async () => head;
    s.readEvents = async (after, limit) => later.filter((e) => e.seq > after && e.seq <= head).slice(0, limit);
    const hub = new Hub(store, new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    const w = new Wire0();
    const sess = hub.open(F, w, 4, 'hashA');
    await hub.follow(sess);
    head = 5;
    await hub.refresh();
    expect(w.ended).toBe('SESSION_REVOKED');
    await hub.stop();
  });
});
