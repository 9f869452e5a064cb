import { encodeCursor } from '../domain/cursor.js';
import type { EventType, StoredEvent } from '../domain/types.js';

/** An event as the node keeps and sends it: serialized once, written to every recipient as is. */
export interface LogEntry {
  readonly seq: number;
  readonly type: EventType;
  readonly conversationId: string | null;
  readonly targets: readonly string[];
  /** The event's JSON with its cursor, exactly what every transport sends. */
  readonly frame: string;
  /** The payload JSON (no cursor), for consumers that reparse. */
  readonly payload: string;
  /** `frame` as UTF-8, made on first use and shared by every socket. */
  bytes?: Buffer;
  /** The SSE record (`id:` + `data:`), made on first use and shared by every SSE stream. */
  sse?: Buffer;
  /** The WebSocket text frame (header + `frame`), made on first use and shared by every socket. */
  ws?: Buffer;
}

export function toEntry(e: StoredEvent): LogEntry {
  return {
    seq: e.seq, type: e.type, conversationId: e.conversationId, targets: e.targets, payload: e.payload,
    frame: '{"cursor":"' + encodeCursor(e.seq) + '",' + e.payload.slice(1),
  };
}

export function entryBytes(e: LogEntry): Buffer {
  return (e.bytes ??= Buffer.from(e.frame));
}

const EVICTED: LogEntry = { seq: 0, type: 'message.created', conversationId: null, targets: [], frame: '', payload: '' };

/**
 * The recent tail of the global log, in position order, bounded by `capacity`
 * entries (the seeds' message cache, done per position). Everything in
 * (startAfter, head] that is visible in the store is here, so a reader whose
 * cursor is at or after `startAfter` needs no database query.
 */
export class EventLog {
  private readonly ring: LogEntry[] = [];
  private first = 0; // index in ring of the oldest entry
  /** Positions ≤ startAfter may be gone from memory. */
  startAfter: number;
  head: number;

  constructor(head: number, private readonly capacity: number) {
    this.head = head;
    this.startAfter = head;
  }

  get length(): number {
    return this.ring.length - this.first;
  }

  /** Appends entries with positions above head, in order. */
  append(entries: LogEntry[]): void {
    for (const e of entries) {
      if (e.seq <= this.head) continue;
      this.ring.push(e);
      this.head = e.seq;
    }
    const excess = this.length - this.capacity;
    if (excess > 0) {
      this.startAfter = this.ring[this.first + excess - 1]!.seq;
      // Release evicted entries now; the array itself is compacted only now and then.
      this.ring.fill(EVICTED, this.first, this.first + excess);
      this.first += excess;
      if (this.first > 4096 && this.first * 2 > this.ring.length) {
        this.ring.splice(0, this.first);
        this.first = 0;
      }
    }
  }

  /** Marks positions up to `seq` as settled with nothing in them (gaps that will never fill). */
  advanceEmpty(seq: number): void {
    if (seq > this.head) this.head = seq;
    if (this.length === 0) this.startAfter = this.head;
  }

  /** Removes matching entries (a deleted account's messages); order is kept. */
  redact(match: (e: LogEntry) => boolean): number {
    let w = this.first;
    let removed = 0;
    for (let r = this.first; r < this.ring.length; r++) {
      const e = this.ring[r]!;
      if (match(e)) removed++;
      else this.ring[w++] = e;
    }
    this.ring.length = w;
    return removed;
  }

  /**
   * Takes a deleted user out of every entry's targets (friend events, read
   * pointers name both sides): the others keep the event, and the id no
   * longer selects anything. Entries are replaced, not changed, so their
   * shared frames stay as they are.
   */
  dropTarget(userId: string): number {
    let changed = 0;
    for (let i = this.first; i < this.ring.length; i++) {
      const e = this.ring[i]!;
      if (!e.targets.includes(userId)) continue;
      this.ring[i] = { ...e, targets: e.targets.filter((t) => t !== userId) };
      changed++;
    }
    return changed;
  }

  covers(after: number): boolean {
    return after >= this.startAfter;
  }

  /** Index of the first entry with seq > after (binary search; positions are increasing). */
  private indexAfter(after: number): number {
    let lo = this.first;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  *after(after: number): IterableIterator<LogEntry> {
    for (let i = this.indexAfter(after); i < this.ring.length; i++) yield this.ring[i]!;
  }
}
