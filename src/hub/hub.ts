import type { ErrorCode } from '../domain/errors.js';
import type { StoredEvent } from '../domain/types.js';
import type { Bus, BusMessage } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { AudienceIndex } from './audience.js';
import { follow } from './catch-up.js';
import type { Control } from './control.js';
import { FanOut } from './fan-out.js';
import { Intake } from './intake.js';
import type { EntryListener, PresenceListener, QueueLimits, ReadResult, Subscriber, Wire } from './ports.js';
import { QueueMeter } from './queue-meter.js';
import { SubscriberRegistry } from './registry.js';
import { Session } from './session.js';
import { LogTail } from './tail.js';

export type { ReadResult, Subscriber } from './ports.js';

export interface HubOptions {
  nodeId: string;
  /** Entries kept in memory. */
  logCapacity: number;
  /** Estimated bytes kept in memory (see entryCost); default 64 MiB. */
  logCapacityBytes?: number;
  /** How often to look at the store's head in case a doorbell was lost (ms; 0 = never). */
  pollInterval: number;
  /** Outbound queue bound per session (bytes); see QueueLimits. Default 4 MiB. */
  maxQueueBytes?: number;
  /** Bytes in flight per session before frames wait in its queue. Default 256 KiB. */
  writeWindow?: number;
}

/**
 * The node's view of the log and its live connections, as one object for the
 * layers above. The work is done by its parts: `Intake` (events in, in
 * position order), `LogTail` (reads and cursor checks), `FanOut` (batching
 * and audience routing), `SubscriberRegistry` (who is connected) and
 * `follow` (catch-up). Readers are served from memory when their cursor is
 * recent and from the store otherwise.
 */
export class Hub {
  readonly index = new AudienceIndex();
  readonly limits: QueueLimits;
  private readonly tail: LogTail;
  private readonly registry = new SubscriberRegistry();
  private readonly fanOut: FanOut;
  private readonly intake: Intake;
  private readonly meter = new QueueMeter();
  private closed = false;

  constructor(
    readonly store: Store,
    private readonly bus: Bus,
    readonly opts: HubOptions,
  ) {
    this.limits = { maxBytes: opts.maxQueueBytes ?? 4 * 1024 * 1024, window: opts.writeWindow ?? 256 * 1024 };
    if (this.limits.window >= this.limits.maxBytes) throw new Error('Invalid hub options: writeWindow must be below maxQueueBytes');
    this.tail = new LogTail(store, this.index, opts.logCapacity, opts.logCapacityBytes ?? 64 * 1024 * 1024);
    this.fanOut = new FanOut(this.registry, this.index);
    this.intake = new Intake(
      store,
      bus,
      opts.nodeId,
      this.tail,
      this.index,
      (c) => this.act(c),
      (e) => this.fanOut.schedule(e),
    );
  }

  get stopped(): boolean {
    return this.closed;
  }

  /** The highest position this node has ingested: a cursor for "from now on". */
  get head(): number {
    return this.tail.head;
  }

  /** The tail's figures, read-only (metrics, tests); readers go through `read`. */
  get log(): { readonly head: number; readonly length: number; readonly bytes: number } {
    const { head, length, bytes } = this.tail;
    return { head, length, bytes };
  }

  set onError(fn: ((err: unknown) => void) | undefined) {
    this.intake.onError = fn;
  }

  get onError(): ((err: unknown) => void) | undefined {
    return this.intake.onError;
  }

  async start(): Promise<void> {
    await this.tail.start();
    await this.bus.subscribe((msg) => this.onBus(msg));
    this.intake.poll(this.opts.pollInterval);
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.intake.stop();
  }

  /** Called after a local write committed `events`: ingest them and ring the other nodes. */
  committed(events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.intake.committed(events).then(() => this.fanOut.delivered());
  }

  /** Looks for events in the store past our head (a doorbell rang or the poll timer fired). */
  refresh(): Promise<void> {
    return this.intake.refresh().then(() => this.fanOut.delivered());
  }

  /** Observe every ingested batch (metrics, legacy adapters). */
  onEntries(listener: EntryListener): () => void {
    return this.fanOut.onEntries(listener);
  }

  /** Observe users coming online on this node (first subscriber) and going (last one left). */
  onPresence(listener: PresenceListener): () => void {
    return this.registry.onPresence(listener);
  }

  /** Drops stored events at or below `seq` (retention). Cursors below it then get CURSOR_EXPIRED. */
  prune(seq: number): Promise<number> {
    return this.tail.prune(seq);
  }

  /** Validates a cursor position against what this node can serve. */
  checkCursor(after: number): Promise<void> {
    return this.tail.checkCursor(after, () => this.refresh());
  }

  /** The user's events after `after`, at most `limit` (memory when recent, else the store, then memory). */
  read(userId: string, after: number, limit: number): Promise<ReadResult> {
    return this.tail.read(userId, after, limit, () => this.refresh());
  }

  /** `read` when memory alone can answer; null when the store would have to be asked (take `read`). */
  readRecent(userId: string, after: number, limit: number): ReadResult | null {
    return this.closed ? null : this.tail.readRecent(userId, after, limit);
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
    if (this.closed || !this.tail.covers(position)) return false;
    // Entries in the log but not yet fanned out would reach the new subscriber twice
    // (once from memory here, once from the fan-out): hand them out first.
    this.fanOut.flush();
    const pending = this.tail.readMemory(sub.userId, position, maxPending === Number.MAX_SAFE_INTEGER ? maxPending : maxPending + 1);
    if (pending.entries.length > maxPending) return false;
    // Register first: a subscriber that finishes on delivery (a long poll) detaches itself.
    const arrived = this.registry.add(sub);
    if (pending.entries.length > 0) sub.deliver(pending.entries);
    if (arrived) this.registry.arrived(sub.userId);
    return true;
  }

  detach(sub: Subscriber): void {
    this.registry.remove(sub);
  }

  /**
   * A new session over `wire` for `userId`, not yet attached: the transport
   * sends its hello, catches up (see `follow`) and then it receives live.
   * `credential` is the token hash it was opened with (null: none in
   * particular); revoking it closes the session.
   */
  open(userId: string, wire: Wire, position: number, credential: string | null = null): Session {
    const s = new Session(userId, wire, this.limits, this.meter, position, (x) => this.registry.closeSession(x));
    this.registry.openSession(s, credential);
    return s;
  }

  /** Brings `session` from its position to live, no faster than its queue drains (catch-up.ts). */
  follow(session: Session, pageSize = 500): Promise<void> {
    return follow(this, session, pageSize);
  }

  /** Closes every subscriber and session with `code` (shutdown). */
  closeAll(code: ErrorCode): void {
    for (const sub of this.registry.all()) this.end(sub, code);
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
    return this.registry.of(userId)?.size ?? 0;
  }

  connectionCount(): number {
    return this.registry.subscribers;
  }

  isOnline(userId: string): boolean {
    return this.registry.of(userId) !== undefined;
  }

  /** Sends a live-only frame to the current members of a conversation and/or some users, on every node. */
  async signal(conversationId: string | null, userIds: string[], frame: string): Promise<void> {
    await this.bus.publish({ kind: 'signal', node: this.opts.nodeId, conversationId, userIds, frame });
  }

  stats(): HubStats {
    return {
      subscribers: this.registry.subscribers,
      byKind: this.registry.byKind(),
      usersOnline: this.registry.usersOnline,
      head: this.tail.head,
      logEntries: this.tail.length,
      logBytes: this.tail.bytes,
      conversationsIndexed: this.index.size,
      sessions: this.registry.openSessions,
      queuedBytes: this.meter.queuedBytes,
      peakSessionQueueBytes: this.meter.peakSessionBytes,
      maxQueueBytes: this.limits.maxBytes,
      slowConsumerCloses: this.meter.slowConsumerCloses,
    };
  }

  /**
   * An internal event's effect on this node, at its position in the log: a
   * deleted user is forgotten, and the connections it names are closed now,
   * synchronously, so a frame that arrives on one afterwards finds it closed.
   */
  private act(c: Control): void {
    if (c.forget) {
      this.index.removeUser(c.userId);
      this.tail.forget(c.userId);
    }
    for (const sub of this.registry.endedBy(c)) this.end(sub, c.code);
  }

  private end(sub: Subscriber, code: ErrorCode): void {
    if (sub.close) sub.close(code);
    else this.detach(sub);
  }

  private onBus(msg: BusMessage): void {
    if (this.closed) return;
    if (msg.kind === 'head') {
      if (msg.seq > this.tail.head) void this.refresh();
      return;
    }
    void this.deliverSignal(msg.conversationId, msg.userIds, msg.frame);
  }

  private async deliverSignal(conversationId: string | null, userIds: string[], frame: string): Promise<void> {
    const to = new Set(userIds);
    if (conversationId !== null) for (const uid of await this.currentMembers(conversationId)) to.add(uid);
    for (const uid of to) for (const s of this.registry.of(uid) ?? []) s.signal(frame);
  }
}

export interface HubStats {
  subscribers: number;
  byKind: Record<string, number>;
  usersOnline: number;
  head: number;
  logEntries: number;
  /** The tail's estimated bytes (bounded by logCapacityBytes). */
  logBytes: number;
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
