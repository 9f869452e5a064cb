import { membershipChanges } from '../domain/membership.js';
import type { StoredEvent } from '../domain/types.js';
import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import type { AudienceIndex } from './audience.js';
import { controlOf, redactionOf, type Control } from './control.js';
import { toEntry, type LogEntry } from './event-log.js';
import type { LogTail } from './tail.js';

/** Events read from the store per pull. */
const PULL_BATCH = 128;

/**
 * The only way events enter a node: in position order, one batch at a time,
 * on one promise chain. A local commit that is the next position is appended
 * directly; anything else (another node's writes, a CLI command) is read from
 * the store past the head. Each event updates the audience index, acts if it
 * is an internal event (control.ts), is appended to the tail and is handed to
 * `emit` (the fan-out).
 */
export class Intake {
  private chain: Promise<void> = Promise.resolve();
  private refreshQueued = false;
  private timer: NodeJS.Timeout | null = null;
  onError?: (err: unknown) => void;

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly nodeId: string,
    private readonly tail: LogTail,
    private readonly index: AudienceIndex,
    private readonly act: (c: Control) => void,
    private readonly emit: (entries: LogEntry[]) => void,
  ) {}

  /** Looks at the store's head every `ms` in case a doorbell was lost (0 = never). */
  poll(ms: number): void {
    if (ms <= 0) return;
    this.timer = setInterval(() => void this.pollHead(), ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.chain;
  }

  /**
   * Called after a local write committed `events`: ingest them, and ring the
   * other nodes. A bus that reaches no other node is not rung: the echo of our
   * own doorbell would only make this node read the store for what it just
   * ingested.
   */
  committed(events: StoredEvent[]): Promise<void> {
    const last = events[events.length - 1]!.seq;
    if (this.bus.reachesOtherNodes) void this.bus.publish({ kind: 'head', node: this.nodeId, seq: last }).catch(() => undefined);
    return this.enqueue(async () => {
      if (events[0]!.seq === this.tail.head + 1) await this.ingest(events);
      else if (last > this.tail.head) await this.pull();
    });
  }

  /** Looks for events in the store past our head (a doorbell rang or the poll timer fired). */
  refresh(): Promise<void> {
    if (this.refreshQueued) return this.chain;
    this.refreshQueued = true;
    return this.enqueue(async () => {
      this.refreshQueued = false;
      await this.pull();
    });
  }

  /** The safety net for lost doorbells: one cheap head query, a pull only when something is new. */
  private async pollHead(): Promise<void> {
    try {
      if ((await this.store.headSeq()) > this.tail.head) await this.refresh();
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

  private async pull(): Promise<void> {
    for (;;) {
      const batch = await this.store.readEvents(this.tail.head, PULL_BATCH);
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
      if (e.seq <= this.tail.head) continue;
      for (const change of membershipChanges(e)) this.index.apply(change, e.seq);
      const control = e.conversationId === null ? controlOf(e) : null;
      if (control) this.act(control);
      const redaction = redactionOf(e);
      if (redaction) this.tail.redactMessage(redaction.conversationId, redaction.messageId);
      const entry = toEntry(e);
      this.tail.append([entry]);
      entries.push(entry);
    }
    if (entries.length > 0) this.emit(entries);
  }
}
