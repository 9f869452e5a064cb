import type { AudienceIndex } from './audience.js';
import type { LogEntry } from './event-log.js';
import type { EntryListener, Subscriber } from './ports.js';
import type { SubscriberRegistry } from './registry.js';

/** The longest a batch waits for its turn's end before the next commit sends it (see `schedule`). */
const FAN_OUT_MAX_DELAY_MS = 20;

/**
 * Hands ingested entries to the live subscribers of their audience: batched
 * per event-loop turn, routed by the audience index, one `deliver` per
 * subscriber per batch.
 */
export class FanOut {
  /** Ingested this turn, fanned out at its end. */
  private pending: LogEntry[] = [];
  private pendingSince = 0;
  private done: Promise<void> | null = null;
  private readonly listeners = new Set<EntryListener>();

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly index: AudienceIndex,
  ) {}

  /**
   * Fan-out runs once per event-loop turn for everything ingested in it. When
   * the node is busy (a 15,000-socket fan-out takes longer than the gap
   * between messages), the messages that arrived meanwhile go out together:
   * one write per socket for the lot instead of one per message, so delivery
   * catches up instead of falling further behind. When idle, a batch is one
   * event and the cost is a setImmediate.
   */
  schedule(entries: LogEntry[]): void {
    // A node busy with I/O can spend long stretches in one poll phase, where setImmediate
    // does not run; a batch that has waited FAN_OUT_MAX_DELAY_MS goes out with this commit.
    if (this.pending.length > 0 && performance.now() - this.pendingSince > FAN_OUT_MAX_DELAY_MS) this.flush();
    if (this.pending.length === 0) this.pendingSince = performance.now();
    for (const e of entries) this.pending.push(e);
    if (this.done) return;
    this.done = new Promise((resolve) =>
      setImmediate(() => {
        this.flush();
        resolve();
      }),
    );
  }

  /** Hands every ingested, not yet fanned-out entry to its subscribers now (also before an attach, so none gets an entry twice). */
  flush(): void {
    this.done = null;
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];
    this.fanOut(entries);
  }

  /** Resolves once everything scheduled so far has been handed to subscribers. */
  delivered(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  onEntries(listener: EntryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private fanOut(entries: LogEntry[]): void {
    if (entries.length === 1) {
      // The common case on a node keeping up: no per-subscriber batch to build.
      this.forEachRecipient(entries[0]!, (s) => s.deliver(entries));
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
      const set = this.registry.of(t);
      if (set) for (const s of set) fn(s);
    }
    if (e.conversationId === null) return;
    const users = this.index.users(e.conversationId);
    if (!users) return;
    const targeted = e.targets.length > 0;
    const member = (uid: string) => !(targeted && e.targets.includes(uid)) && this.index.includes(e.conversationId!, uid, e.seq);
    // Walk whichever is smaller: the conversation's members or the online users.
    if (users.size <= this.registry.usersOnline) {
      for (const uid of users.keys()) {
        const set = this.registry.of(uid);
        if (set && member(uid)) for (const s of set) fn(s);
      }
    } else {
      for (const [uid, set] of this.registry.users()) if (member(uid)) for (const s of set) fn(s);
    }
  }
}
