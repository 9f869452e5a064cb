import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/domain/errors.js';
import type { MembershipSpan, StoredEvent } from '../../src/domain/types.js';
import { MemoryBus } from '../../src/bus/memory.js';
import { entryBytes, type LogEntry } from '../../src/hub/event-log.js';
import { Hub, type Subscriber } from '../../src/hub/hub.js';
import type { Wire } from '../../src/hub/ports.js';
import { QueueMeter } from '../../src/hub/queue-meter.js';
import { Session } from '../../src/hub/session.js';
import type { Store } from '../../src/store/store.js';

const NL = Buffer.from('\n');
const encoded = new WeakMap<LogEntry, Buffer>();

/** A wire whose writes complete only when the test (or `auto`) says so. */
class FakeWire implements Wire {
  readonly kind = 'fake';
  readonly written: Buffer[] = [];
  private readonly pending: Array<() => void> = [];
  ended: ErrorCode | null = null;
  constructor(private readonly auto = false) {}
  // Newline-delimited like a real framing, so a batch written at once can be split apart again.
  // Made once per entry and shared by every wire, as the real wires cache theirs on the entry.
  encode(e: LogEntry): Buffer {
    let b = encoded.get(e);
    if (!b) encoded.set(e, (b = Buffer.concat([entryBytes(e), NL])));
    return b;
  }
  encodeFrame(json: string): Buffer {
    return Buffer.from(json + '\n');
  }
  write(data: Buffer, done: () => void): void {
    this.written.push(data);
    if (this.auto) setImmediate(done);
    else this.pending.push(done);
  }
  end(code: ErrorCode): void {
    this.ended = code;
  }
  get pendingCount(): number {
    return this.pending.length;
  }
  /** Completes the oldest `n` writes. */
  flush(n = Infinity): void {
    for (let i = 0; i < n && this.pending.length > 0; i++) this.pending.shift()!();
  }
  /** Every frame written, in order, whichever write carried it. */
  text(): string[] {
    return this.written.flatMap((b) => b.toString().split('\n').slice(0, -1));
  }
}

function entry(seq: number, size = 100): LogEntry {
  const payload = JSON.stringify({ type: 'message.created', message: { id: String(seq), body: 'x'.repeat(size) } });
  return {
    seq,
    type: 'message.created',
    conversationId: null,
    targets: ['u1'],
    payload,
    frame: `{"cursor":"c${seq.toString(36)}",${payload.slice(1)}`,
  };
}

function session(wire: Wire, limits = { maxBytes: 1000, window: 300 }, meter = new QueueMeter()) {
  const released: Session[] = [];
  const s = new Session('u1', wire, limits, meter, 0, (x) => released.push(x));
  return { s, meter, released };
}

describe('Session: a bounded outbound queue', () => {
  it('writes while less than a window is in flight, queues the rest and keeps the order', () => {
    const wire = new FakeWire();
    const { s, meter } = session(wire);
    for (let i = 1; i <= 5; i++) s.send(JSON.stringify({ n: i, pad: 'p'.repeat(90) })); // ~110 bytes each
    expect(wire.written).toHaveLength(3); // 0, 110, 220 in flight when each was pushed: all below 300
    expect(s.bytes).toBe(meter.queuedBytes);
    wire.flush(1);
    expect(wire.written).toHaveLength(4);
    wire.flush();
    wire.flush();
    expect(wire.text().map((t) => JSON.parse(t).n)).toEqual([1, 2, 3, 4, 5]);
    expect(s.bytes).toBe(0);
    expect(meter.queuedBytes).toBe(0);
  });

  it('closes as SLOW_CONSUMER instead of growing past maxBytes, and drops what it held', () => {
    const wire = new FakeWire();
    const { s, meter, released } = session(wire);
    let pushed = 0;
    for (let i = 1; i <= 20; i++) if (s.push(Buffer.alloc(100, 'a'))) pushed++;
    expect(pushed).toBe(10); // 10 × 100 = 1000 = maxBytes; the 11th would exceed it
    expect(s.closed).toBe(true);
    expect(wire.ended).toBe('SLOW_CONSUMER');
    expect(meter.slowConsumerCloses).toBe(1);
    expect(meter.peakSessionBytes).toBe(1000);
    expect(meter.queuedBytes).toBe(0);
    expect(released).toEqual([s]);
    const writes = wire.written.length;
    wire.flush(); // late completions change nothing
    expect(wire.written).toHaveLength(writes);
    expect(meter.queuedBytes).toBe(0);
  });

  it('delivers each stored event once, in position order', () => {
    const wire = new FakeWire(true);
    const { s } = session(wire, { maxBytes: 100_000, window: 10_000 });
    s.deliver([entry(1), entry(2)]);
    s.deliver([entry(2), entry(3), entry(1)]);
    expect(wire.text().map((t) => JSON.parse(t).cursor)).toEqual(['c1', 'c2', 'c3']);
    expect(s.lastSeq).toBe(3);
  });

  it('room() waits until the session holds at most one window, or closes', async () => {
    const wire = new FakeWire();
    const { s } = session(wire);
    for (let i = 0; i < 6; i++) s.push(Buffer.alloc(100));
    let ready = false;
    const room = s.room().then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false);
    wire.flush(3); // 600 → 300 held: one window
    await room;
    expect(ready).toBe(true);
    const wire2 = new FakeWire();
    const { s: s2 } = session(wire2);
    for (let i = 0; i < 6; i++) s2.push(Buffer.alloc(100));
    const waiting = s2.room();
    s2.gone();
    await waiting; // resolves: nothing to wait for any more
    expect(wire2.ended).toBeNull(); // the peer left; nothing to close
  });
});

describe('QueueMeter: a frame shared by many sessions is counted once', () => {
  const limits = { maxBytes: 1_000_000, window: 300 };

  it('100 sessions holding the same frames report one copy; each session still counts its own bound', () => {
    const meter = new QueueMeter();
    const wires = Array.from({ length: 100 }, () => new FakeWire());
    const sessions = wires.map((w) => session(w, limits, meter).s);
    const entries = Array.from({ length: 20 }, (_, i) => entry(i + 1));
    for (const e of entries) for (const s of sessions) s.deliver([e]); // one event per turn, as a quiet room gets them
    const oneCopy = entries.reduce((n, e) => n + wires[0]!.encode(e).length, 0);
    expect(sessions[0]!.bytes).toBe(oneCopy);
    expect(meter.queuedBytes).toBe(oneCopy);
    for (const s of sessions.slice(0, 99)) s.close('SLOW_CONSUMER');
    expect(meter.queuedBytes).toBe(oneCopy); // the last holder still holds every frame
    sessions[99]!.gone();
    expect(meter.queuedBytes).toBe(0);
  });

  it('frames queued behind a backlog stay shared instead of being copied into each session', () => {
    const meter = new QueueMeter();
    const wires = Array.from({ length: 100 }, () => new FakeWire());
    const sessions = wires.map((w) => session(w, limits, meter).s);
    const first = [entry(1), entry(2), entry(3)]; // ~150 bytes each: one write of ~450, above the window
    const rest = Array.from({ length: 7 }, (_, i) => entry(i + 4));
    for (const s of sessions) s.deliver(first);
    const firstWrite = wires[0]!.written[0]!.length;
    for (const s of sessions) s.deliver(rest); // each session is behind now: these wait in its queue
    const restBytes = rest.reduce((n, e) => n + wires[0]!.encode(e).length, 0);
    for (const w of wires) expect(w.written).toHaveLength(1);
    expect(sessions[0]!.bytes).toBe(firstWrite + restBytes);
    // The batch written at once is each session's own (one write per socket); the queued frames are the shared ones.
    expect(meter.queuedBytes).toBe(100 * firstWrite + restBytes);
    // Draining joins queued frames into writes again, in order, and releases the shares.
    for (const w of wires) while (w.pendingCount > 0) w.flush();
    expect(wires[0]!.written.length).toBeLessThan(1 + rest.length); // joined, not one write per frame
    expect(wires[0]!.text().map((t) => JSON.parse(t).cursor)).toEqual([...first, ...rest].map((e) => `c${e.seq.toString(36)}`));
    expect(meter.queuedBytes).toBe(0);
    for (const s of sessions) expect(s.bytes).toBe(0);
  });
});

/** Just enough of a Store for the hub: a log of `count` events for u1, each ~`size` bytes. */
function fakeStore(count: number, size: number): Store {
  const events: StoredEvent[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const e = entry(seq, size);
    events.push({ seq, type: e.type, conversationId: null, targets: ['u1'], payload: e.payload });
  }
  const store: Partial<Store> = {
    headSeq: async () => count,
    floorSeq: async () => 0,
    readEvents: async (after, limit) => events.filter((e) => e.seq > after).slice(0, limit),
    readUserEvents: async (userId, after, upTo, limit) =>
      events.filter((e) => e.seq > after && e.seq <= upTo && e.targets.includes(userId)).slice(0, limit),
    membershipSpans: async (): Promise<MembershipSpan[]> => [],
  };
  return store as Store;
}

describe('Hub: sessions and fan-out', () => {
  it('follow() catches up a long backlog from the store without exceeding the queue bound, then attaches', async () => {
    const hub = new Hub(fakeStore(2000, 2000), new MemoryBus(), {
      nodeId: 't',
      logCapacity: 100,
      pollInterval: 0,
      maxQueueBytes: 64 * 1024,
      writeWindow: 16 * 1024,
    });
    await hub.start();
    expect(hub.log.head).toBe(2000);
    const wire = new FakeWire(true); // drains one write per macrotask: far slower than the reads
    const s = hub.open('u1', wire, 0);
    await hub.follow(s);
    expect(s.closed).toBe(false);
    expect(hub.stats().subscribers).toBe(1);
    const cursors = wire.text().map((t) => parseInt(JSON.parse(t).cursor.slice(1), 36));
    expect(cursors).toEqual([...Array(2000).keys()].map((i) => i + 1));
    const st = hub.stats();
    expect(st.peakSessionQueueBytes).toBeLessThanOrEqual(64 * 1024);
    expect(st.slowConsumerCloses).toBe(0);
    await hub.stop();
  });

  it('closeAll closes sessions and subscribers; one without close() is detached', async () => {
    const hub = new Hub(fakeStore(0, 0), new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    const wire = new FakeWire(true);
    const s = hub.open('u1', wire, 0);
    await hub.follow(s);
    const closed: ErrorCode[] = [];
    const withClose: Subscriber = {
      userId: 'u2',
      kind: 'x',
      deliver() {},
      signal() {},
      close(code) {
        closed.push(code);
        hub.detach(this);
      },
    };
    const without: Subscriber = { userId: 'u3', kind: 'x', deliver() {}, signal() {} };
    hub.attach(withClose, 0);
    hub.attach(without, 0);
    expect(hub.stats().subscribers).toBe(3);
    hub.closeAll('SHUTTING_DOWN');
    expect(wire.ended).toBe('SHUTTING_DOWN');
    expect(closed).toEqual(['SHUTTING_DOWN']);
    expect(hub.stats()).toMatchObject({ subscribers: 0, sessions: 0, usersOnline: 0 });
    await hub.stop();
  });

  it('reports a user present on the first subscriber and gone after the last', async () => {
    const hub = new Hub(fakeStore(0, 0), new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    const seen: Array<[string, boolean]> = [];
    hub.onPresence((u, p) => seen.push([u, p]));
    const a = hub.open('u1', new FakeWire(true), 0);
    const b = hub.open('u1', new FakeWire(true), 0);
    await hub.follow(a);
    await hub.follow(b);
    a.gone();
    expect(seen).toEqual([['u1', true]]);
    b.close('SLOW_CONSUMER');
    expect(seen).toEqual([
      ['u1', true],
      ['u1', false],
    ]);
    await hub.stop();
  });

  it('fans out everything committed in one event-loop turn as one batch: one write per socket', async () => {
    const hub = new Hub(fakeStore(0, 0), new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    const wire = new FakeWire(true);
    const s = hub.open('u1', wire, 0);
    await hub.follow(s);
    const stored = (seq: number): StoredEvent => ({
      seq,
      type: 'message.created',
      conversationId: null,
      targets: ['u1'],
      payload: entry(seq).payload,
    });
    // Three commits in the same turn (a busy node reading several sends at once)…
    await Promise.all([hub.committed([stored(1)]), hub.committed([stored(2)]), hub.committed([stored(3)])]);
    // …go out in one write, in order; a later turn is a write of its own.
    expect(wire.written).toHaveLength(1);
    await hub.committed([stored(4)]);
    expect(wire.written).toHaveLength(2);
    expect(wire.text().map((t) => JSON.parse(t).cursor)).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('a subscriber attaching before a pending fan-out gets each event once', async () => {
    const hub = new Hub(fakeStore(0, 0), new MemoryBus(), { nodeId: 't', logCapacity: 100, pollInterval: 0 });
    await hub.start();
    const got: number[] = [];
    const sub: Subscriber = { userId: 'u1', kind: 'fake', deliver: (es) => got.push(...es.map((e) => e.seq)), signal: () => undefined };
    const stored: StoredEvent = { seq: 1, type: 'message.created', conversationId: null, targets: ['u1'], payload: entry(1).payload };
    const done = hub.committed([stored]);
    await Promise.resolve().then(() => undefined); // the ingest ran; its fan-out waits for the end of the turn
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    expect(hub.log.head).toBe(1);
    hub.attach(sub, 0); // from position 0: the pending event is handed over here…
    await done; // …and not again by the fan-out
    expect(got).toEqual([1]);
  });

  it('refuses a write window at or above the queue bound', () => {
    expect(
      () =>
        new Hub(fakeStore(0, 0), new MemoryBus(), {
          nodeId: 't',
          logCapacity: 100,
          pollInterval: 0,
          maxQueueBytes: 1000,
          writeWindow: 1000,
        }),
    ).toThrow(/writeWindow/);
  });
});
