import { AppError, type ErrorCode } from '../domain/errors.js';
import { membershipChanges } from '../domain/membership.js';
import type { StoredEvent } from '../domain/types.js';
import type { Bus, BusMessage } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { AudienceIndex } from './audience.js';
import { controlOf, ends, type Control } from './control.js';
import { EventLog, toEntry, type LogEntry } from './event-log.js';
import { QueueMeter, Session, type QueueLimits, type Wire } from './session.js';

/**
 * What the hub sees of a live connection: something to deliver to. It never
 * learns which transport is behind it.
 */
export interface Subscriber {
  readonly userId: string;
  /** A label for metrics only ("ws", "sse", "longpoll"); the hub never branches on it. */
  readonly kind: string;
  /**
   * The credential (token hash) the connection was opened with: revoking it
   * closes the connection (see control.ts). Absent: closed only when every
   * credential of the user is revoked or the account is deleted. Sessions get
   * theirs from `Hub.open`.
   */
  readonly credential?: string | null;
  /** Entries of the user's stream, in position order, each after the last delivered. */
  deliver(entries: readonly LogEntry[]): void;
  /** A live-only frame (typing, presence). */
  signal(frame: string): void;
  /**
   * Ends the subscription from the server side (slow consumer, shutdown,
   * revoked credential, deleted account): the
   * connection is closed with `code` and the subscriber detaches itself. One
   * without it is detached by the hub and left to finish on its own.
   */
  close?(code: ErrorCode): void;
}

export interface ReadResult {
  entries: LogEntry[];
  /** Every audience event in (after, position] is in `entries`. */
  position: number;
  more: boolean;
}

export interface HubOptions {
  nodeId: string;
  /** Entries kept in memory. */
  logCapacity: number;
  /** How often to look at the store's head in case a doorbell was lost (ms; 0 = never). */
  pollInterval: number;
  /** Outbound queue bound per session (bytes); see QueueLimits. Default 4 MiB. */
  maxQueueBytes?: number;
  /** Bytes in flight per session before frames wait in its queue. Default 256 KiB. */
  writeWindow?: number;
}

type Listener = (entries: readonly LogEntry[]) => void;

/**
 * The most events one synchronous hand-over gives a session (a store pull, an
 * attach). Event frames are at most ~24 KB (4000 code points, escaped), so a
 * batch stays well below the default queue bound: a healthy client is never
 * closed for a burst it had no chance to read.
 */
const MAX_BATCH = 128;
const PULL_BATCH = MAX_BATCH;
/** The longest a batch waits for its turn's end before the next commit sends it (see scheduleFanOut). */
const FAN_OUT_MAX_DELAY_MS = 20;
/** A user's first subscriber arrived (`true`) or the last one left (`false`). */
type PresenceListener = (userId: string, present: boolean) => void;

/**
 * The node's view of the log and its live sessions. Events enter only through
 * `ingest`, in position order, one batch at a time; each is serialized once and
 * handed to the subscribers of its audience. Readers are served from memory
 * when their cursor is recent and from the store otherwise.
 */
export class Hub {
  readonly index = new AudienceIndex();
  log!: EventLog;
  private floor = 0;
  private readonly subs = new Map<string, Set<Subscriber>>();
  private subCount = 0;
  private chain: Promise<void> = Promise.resolve();
  private refreshQueued = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<Listener>();
  /** Ingested this turn, fanned out at its end (see scheduleFanOut). */
  private pendingFanOut: LogEntry[] = [];
  private pendingSince = 0;
  private fanOutDone: Promise<void> | null = null;
  private readonly presenceListeners = new Set<PresenceListener>();
  /** Every open session, attached or still catching up (for shutdown and revocation), with its credential. */
  private readonly sessions = new Map<Session, string | null>();
  private readonly meter = new QueueMeter();
  readonly limits: QueueLimits;
  private closed = false;

  constructor(readonly store: Store, private readonly bus: Bus, readonly opts: HubOptions) {
    this.limits = { maxBytes: opts.maxQueueBytes ?? 4 * 1024 * 1024, window: opts.writeWindow ?? 256 * 1024 };
    if (this.limits.window >= this.limits.maxBytes) throw new Error('Invalid hub options: writeWindow must be below maxQueueBytes');
  }

  get stopped(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {
    this.log = new EventLog(await this.store.headSeq(), this.opts.logCapacity);
    this.floor = await this.store.floorSeq();
    await this.bus.subscribe((msg) => this.onBus(msg));
    if (this.opts.pollInterval > 0) {
      this.timer = setInterval(() => void this.pollHead(), this.opts.pollInterval);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.chain;
  }

  /** Called after a local write committed `events`: ingest them and ring the other nodes. */
  committed(events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const last = events[events.length - 1]!.seq;
    void this.bus.publish({ kind: 'head', node: this.opts.nodeId, seq: last }).catch(() => undefined);
    return this.enqueue(async () => {
      if (events[0]!.seq === this.log.head + 1) await this.ingest(events);
      else if (last > this.log.head) await this.pull();
    }).then(() => this.delivered());
  }

  /** Looks for events in the store past our head (a doorbell rang or the poll timer fired). */
  refresh(): Promise<void> {
    if (this.refreshQueued) return this.chain.then(() => this.delivered());
    this.refreshQueued = true;
    return this.enqueue(async () => {
      this.refreshQueued = false;
      await this.pull();
    }).then(() => this.delivered());
  }

  /** The safety net for lost doorbells: one cheap head query, a pull only when something is new. */
  private async pollHead(): Promise<void> {
    try {
      if ((await this.store.headSeq()) > this.log.head) await this.refresh();
    } catch (err) {
      this.onError?.(err);
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step).catch((err) => {
      // A failed pull leaves the head where it was; the next doorbell or poll retries.
      this.onError?.(err);
    });
    this.chain = next;
    return next;
  }

  onError?: (err: unknown) => void;

  private async pull(): Promise<void> {
    for (;;) {
      const batch = await this.store.readEvents(this.log.head, PULL_BATCH);
      if (batch.length === 0) return;
      await this.ingest(batch);
      if (batch.length < PULL_BATCH) return;
    }
  }

  private async ingest(events: StoredEvent[]): Promise<void> {
    for (const e of events) {
      if (e.conversationId !== null && !this.index.has(e.conversationId)) {
        this.index.load(e.conversationId, await this.store.membershipSpans(e.conversationId));
      }
    }
    // From here on synchronous: no reader can observe a half-applied batch.
    const entries: LogEntry[] = [];
    for (const e of events) {
      if (e.seq <= this.log.head) continue;
      for (const change of membershipChanges(e)) this.index.apply(change, e.seq);
      const control = e.conversationId === null ? controlOf(e) : null;
      if (control) this.act(control);
      const entry = toEntry(e);
      this.log.append([entry]);
      entries.push(entry);
    }
    if (entries.length > 0) this.scheduleFanOut(entries);
  }

  /**
   * Fan-out runs once per event-loop turn for everything ingested in it. When
   * the node is busy (a 15,000-socket fan-out takes longer than the gap
   * between messages), the messages that arrived meanwhile go out together:
   * one write per socket for the lot instead of one per message, so delivery
   * catches up instead of falling further behind. When idle, a batch is one
   * event and the cost is a setImmediate.
   */
  private scheduleFanOut(entries: LogEntry[]): void {
    // A node busy with I/O can spend long stretches in one poll phase, where setImmediate
    // does not run; a batch that has waited FAN_OUT_MAX_DELAY_MS goes out with this commit.
    if (this.pendingFanOut.length > 0 && performance.now() - this.pendingSince > FAN_OUT_MAX_DELAY_MS) this.flushFanOut();
    if (this.pendingFanOut.length === 0) this.pendingSince = performance.now();
    for (const e of entries) this.pendingFanOut.push(e);
    if (this.fanOutDone) return;
    this.fanOutDone = new Promise((resolve) => setImmediate(() => {
      this.flushFanOut();
      resolve();
    }));
  }


  /** Hands every ingested, not yet fanned-out entry to its subscribers now. */
  private flushFanOut(): void {
    this.fanOutDone = null;
    if (this.pendingFanOut.length === 0) return;
    const entries = this.pendingFanOut;
    this.pendingFanOut = [];
    this.fanOut(entries);
  }

  /** Resolves once everything ingested so far has been handed to subscribers. */
  private delivered(): Promise<void> {
    return this.fanOutDone ?? Promise.resolve();
  }

  private fanOut(entries: LogEntry[]): void {
    if (entries.length === 1) {
      // The common case on a node keeping up: no per-subscriber batch to build.
      const e = entries[0]!;
      this.forEachRecipient(e, (s) => s.deliver(entries));
    } else {
      const batches = new Map<Subscriber, LogEntry[]>();
      for (const e of entries) {
        this.forEachRecipient(e, (s) => {
          const list = batches.get(s);
          if (list) list.push(e);
          else batches.set(s, [e]);
        });
      }
      for (const [sub, list] of batches) sub.deliver(list);
    }
    for (const l of this.listeners) l(entries);
  }

  /** Every live subscriber in the audience of `e`, once each. */
  private forEachRecipient(e: LogEntry, fn: (s: Subscriber) => void): void {
    for (const t of e.targets) {
      const set = this.subs.get(t);
      if (set) for (const s of set) fn(s);
    }
    if (e.conversationId === null) return;
    const users = this.index.users(e.conversationId);
    if (!users) return;
    const targeted = e.targets.length > 0;
    // Walk whichever is smaller: the conversation's members or the online users.
    if (users.size <= this.subs.size) {
      for (const uid of users.keys()) {
        const set = this.subs.get(uid);
        if (set && !(targeted && e.targets.includes(uid)) && this.index.includes(e.conversationId, uid, e.seq)) for (const s of set) fn(s);
      }
    } else {
      for (const [uid, set] of this.subs) {
        if (!(targeted && e.targets.includes(uid)) && this.index.includes(e.conversationId, uid, e.seq)) for (const s of set) fn(s);
      }
    }
  }


  /**
   * An internal event's effect on this node, at its position in the log: a
   * deleted user is forgotten, and the connections it names are closed now,
   * synchronously, so a frame that arrives on one afterwards finds it closed.
   */
  private act(c: Control): void {
    if (c.forget) this.forget(c.userId);
    const ending: Subscriber[] = [];
    for (const [s, credential] of this.sessions) if (ends(c, s.userId, credential)) ending.push(s);
    for (const sub of this.subs.get(c.userId) ?? []) {
      if (!this.sessions.has(sub as Session) && ends(c, sub.userId, sub.credential)) ending.push(sub);
    }
    for (const sub of ending) this.end(sub, c.code);
  }

  /** Drops a deleted user from the audience index and from the log (their id in targets, their messages). */
  private forget(userId: string): void {
    this.index.removeUser(userId);
    this.log.dropTarget(userId);
    const needle = '"senderId":' + JSON.stringify(userId) + ',';
    this.log.redact((e) => e.type === 'message.created' && e.payload.includes(needle));
  }

  private end(sub: Subscriber, code: ErrorCode): void {
    if (sub.close) sub.close(code);
    else this.detach(sub);
  }

  /** Observe every ingested batch (metrics, legacy adapters). */
  onEntries(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  inAudience(e: LogEntry, userId: string): boolean {
    if (e.targets.includes(userId)) return true;
    return e.conversationId !== null && this.index.includes(e.conversationId, userId, e.seq);
  }

  /** Drops stored events at or below `seq` (retention). Cursors below it then get CURSOR_EXPIRED. */
  async prune(seq: number): Promise<number> {
    const n = await this.store.pruneEvents(seq);
    this.floor = Math.max(this.floor, seq);
    return n;
  }

  /** Validates a cursor position against what this node can serve. */
  async checkCursor(after: number): Promise<void> {
    if (after > this.log.head) {
      await this.refresh();
      if (after > this.log.head) throw new AppError('CURSOR_EXPIRED', 'The cursor is ahead of this server\'s log (was the database replaced?); reload your state.');
    }
    // Memory only holds what is retained; below it, ask the store how far history was pruned.
    if (!this.log.covers(after)) this.floor = await this.store.floorSeq();
    if (after < this.floor) throw new AppError('CURSOR_EXPIRED');
  }

  /**
   * The user's events after `after`, at most `limit`. Served from memory when
   * the cursor is recent; otherwise from the store up to our head, then memory.
   */
  async read(userId: string, after: number, limit: number): Promise<ReadResult> {
    await this.checkCursor(after);
    const entries: LogEntry[] = [];
    let position = after;
    while (!this.log.covers(position)) {
      const upTo = this.log.head;
      const rows = await this.store.readUserEvents(userId, position, upTo, limit - entries.length);
      for (const r of rows) entries.push(toEntry(r));
      if (entries.length >= limit) return { entries, position: entries[entries.length - 1]!.seq, more: true };
      position = upTo;
    }
    return this.readMemory(userId, position, limit, entries);
  }

  /**
   * `read` when memory alone can answer: a recent cursor at or below the head.
   * Null when the store would have to be asked (or the cursor checked there);
   * the caller then takes `read`.
   */
  readRecent(userId: string, after: number, limit: number): ReadResult | null {
    if (this.closed || after > this.log.head || after < this.floor || !this.log.covers(after)) return null;
    return this.readMemory(userId, after, limit);
  }

  private readMemory(userId: string, after: number, limit: number, entries: LogEntry[] = []): ReadResult {
    for (const e of this.log.after(after)) {
      if (!this.inAudience(e, userId)) continue;
      entries.push(e);
      if (entries.length >= limit) return { entries, position: e.seq, more: true };
    }
    return { entries, position: this.log.head, more: false };
  }

  /**
   * Registers a live subscriber whose stream is delivered up to `position`.
   * Catches up from memory and registers in one synchronous step, so no event
   * falls between. Returns false when memory no longer reaches back to
   * `position`, or when more than `maxPending` events would be handed over at
   * once: the caller reads a page (hub.read), delivers it at the pace its
   * queue allows, and tries again.
   */
  attach(sub: Subscriber, position: number, maxPending = Number.MAX_SAFE_INTEGER): boolean {
    if (this.closed || !this.log.covers(position)) return false;
    // Entries in the log but not yet fanned out would reach the new subscriber twice
    // (once from memory here, once from the fan-out): hand them out first.
    this.flushFanOut();
    const pending = this.readMemory(sub.userId, position, maxPending === Number.MAX_SAFE_INTEGER ? maxPending : maxPending + 1);
    if (pending.entries.length > maxPending) return false;
    // Register first: a subscriber that finishes on delivery (a long poll) detaches itself.
    let set = this.subs.get(sub.userId);
    const arrived = !set;
    if (!set) this.subs.set(sub.userId, (set = new Set()));
    if (!set.has(sub)) {
      set.add(sub);
      this.subCount++;
    }
    if (pending.entries.length > 0) sub.deliver(pending.entries);
    if (arrived) for (const l of this.presenceListeners) l(sub.userId, true);
    return true;
  }

  detach(sub: Subscriber): void {
    const set = this.subs.get(sub.userId);
    if (!set || !set.delete(sub)) return;
    this.subCount--;
    if (set.size === 0) {
      this.subs.delete(sub.userId);
      for (const l of this.presenceListeners) l(sub.userId, false);
    }
  }

  /**
   * A new session over `wire` for `userId`, not yet attached: the transport
   * sends its hello, catches up (see `follow`) and then it receives live.
   * `credential` is the token hash it was opened with (null: none in
   * particular); revoking it closes the session.
   */
  open(userId: string, wire: Wire, position: number, credential: string | null = null): Session {
    const s = new Session(userId, wire, this.limits, this.meter, position, (x) => {
      this.sessions.delete(x);
      this.detach(x);
    });
    this.sessions.set(s, credential);
    return s;
  }

  /**
   * Brings `session` from its position to live: store or memory pages are
   * delivered no faster than its queue drains, then it is attached. A backlog
   * of any length therefore never holds more than the queue bound.
   */
  async follow(session: Session, pageSize = 500): Promise<void> {
    let position = session.lastSeq;
    while (!session.closed) {
      await session.room();
      if (session.closed) return;
      if (this.attach(session, position, MAX_BATCH)) return;
      const page = await this.read(session.userId, position, pageSize);
      for (const e of page.entries) {
        if (session.bytes > this.limits.maxBytes / 2) await session.room();
        if (session.closed) return;
        session.deliver([e]);
      }
      position = page.position;
    }
  }

  /** Closes every subscriber and session with `code` (shutdown). */
  closeAll(code: ErrorCode): void {
    for (const s of [...this.sessions.keys()]) s.close(code);
    for (const set of [...this.subs.values()]) for (const sub of [...set]) this.end(sub, code);
  }

  /** Observe users coming online on this node (first subscriber) and going (last one left). */
  onPresence(listener: PresenceListener): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  /** Current members of a conversation, from the audience index (loaded on first use). */
  async currentMembers(conversationId: string): Promise<string[]> {
    if (!this.index.has(conversationId)) {
      const spans = await this.store.membershipSpans(conversationId);
      // Unknown ids are not cached, so probing random ids cannot grow the index.
      if (spans.length === 0) return [];
      if (!this.index.has(conversationId)) this.index.load(conversationId, spans);
    }
    return this.index.currentMembers(conversationId);
  }

  /** Live subscribers of one user on this node. */
  connectionsOf(userId: string): number {
    return this.subs.get(userId)?.size ?? 0;
  }

  connectionCount(): number {
    return this.subCount;
  }

  isOnline(userId: string): boolean {
    return this.subs.has(userId);
  }

  /** Sends a live-only frame to the current members of a conversation and/or some users, on every node. */
  async signal(conversationId: string | null, userIds: string[], frame: string): Promise<void> {
    await this.bus.publish({ kind: 'signal', node: this.opts.nodeId, conversationId, userIds, frame });
  }

  private onBus(msg: BusMessage): void {
    if (this.closed) return;
    if (msg.kind === 'head') {
      if (msg.seq > this.log.head) void this.refresh();
      return;
    }
    void this.deliverSignal(msg.conversationId, msg.userIds, msg.frame);
  }

  private async deliverSignal(conversationId: string | null, userIds: string[], frame: string): Promise<void> {
    const to = new Set(userIds);
    if (conversationId !== null) for (const uid of await this.currentMembers(conversationId)) to.add(uid);
    for (const uid of to) for (const s of this.subs.get(uid) ?? []) s.signal(frame);
  }

  stats(): HubStats {
    const byKind: Record<string, number> = {};
    for (const set of this.subs.values()) for (const s of set) byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
    return {
      subscribers: this.subCount, byKind, usersOnline: this.subs.size, head: this.log.head, logEntries: this.log.length, conversationsIndexed: this.index.size,
      sessions: this.sessions.size, queuedBytes: this.meter.queuedBytes, peakSessionQueueBytes: this.meter.peakSessionBytes,
      maxQueueBytes: this.limits.maxBytes, slowConsumerCloses: this.meter.slowConsumerCloses,
    };
  }
}

export interface HubStats {
  subscribers: number;
  byKind: Record<string, number>;
  usersOnline: number;
  head: number;
  logEntries: number;
  conversationsIndexed: number;
  /** Open sessions (WebSocket, SSE), attached or catching up. */
  sessions: number;
  /** Bytes queued or in flight across sessions; a frame shared by several sessions counts once. */
  queuedBytes: number;
  /** The most any one session ever held; never above maxQueueBytes. */
  peakSessionQueueBytes: number;
  maxQueueBytes: number;
  slowConsumerCloses: number;
}
