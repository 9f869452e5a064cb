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
    seq: e.seq,
    type: e.type,
    conversationId: e.conversationId,
    targets: e.targets,
    payload: e.payload,
    frame: '{"cursor":"' + encodeCursor(e.seq) + '",' + e.payload.slice(1),
  };
}

export function entryBytes(e: LogEntry): Buffer {
  return (e.bytes ??= Buffer.from(e.frame));
}

const EVICTED: LogEntry = { seq: 0, type: 'message.created', conversationId: null, targets: [], frame: '', payload: '' };

/**
 * What an entry is taken to hold in memory, in bytes: its frame and payload
 * text and the encodings the transports cache on it (UTF-8, SSE record,
 * WebSocket frame), each about the frame's length, plus the object itself.
 * An estimate from lengths only (measuring a string's UTF-8 size would scan
 * it on every append); a 4,000-character message counts ≈ 16 KiB, so the
 * default 64 MiB holds ≈ 4,000 of them where the entry bound alone would
 * have let 50,000 take most of a GiB.
 */
export function entryCost(e: LogEntry): number {
  return e.payload.length + 3 * e.frame.length + ENTRY_OVERHEAD;
}
const ENTRY_OVERHEAD = 200;

/**
 * The recent tail of the global log, in position order, bounded by `capacity`
 * entries and by `capacityBytes` (see `entryCost`), whichever is reached
 * first: a burst of large messages must not hold hundreds of MiB. Everything
 * in (startAfter, head] that is visible in the store is here, so a reader
 * whose cursor is at or after `startAfter` needs no database query; an older
 * one reads the store.
 */
export class EventLog {
  private readonly ring: LogEntry[] = [];
  private first = 0; // index in ring of the oldest entry
  /** Positions ≤ startAfter may be gone from memory. */
  startAfter: number;
  head: number;
  /** The entries' estimated bytes (entryCost). */
  bytes = 0;

  constructor(
    head: number,
    private readonly capacity: number,
    private readonly capacityBytes = Number.MAX_SAFE_INTEGER,
  ) {
    if (!(capacity >= 1) || !(capacityBytes >= 1)) throw new Error('Invalid log bounds: capacity and capacityBytes must be at least 1');
    this.head = head;
    this.startAfter = head;
  }

  get length(): number {
    return this.ring.length - this.first;
  }

  /** Appends entries with positions above head, in order, then drops the oldest past either bound. */
  append(entries: LogEntry[]): void {
    for (const e of entries) {
      if (e.seq <= this.head) continue;
      this.ring.push(e);
      this.bytes += entryCost(e);
      this.head = e.seq;
    }
    let excess = 0;
    while (excess < this.length && (this.length - excess > this.capacity || this.bytes > this.capacityBytes)) {
      this.bytes -= entryCost(this.ring[this.first + excess]!);
      excess++;
    }
    if (excess === 0) return;
    this.startAfter = this.ring[this.first + excess - 1]!.seq;
    // Release evicted entries now; the array itself is compacted only now and then.
    this.ring.fill(EVICTED, this.first, this.first + excess);
    this.first += excess;
    if (this.first > 4096 && this.first * 2 > this.ring.length) {
      this.ring.splice(0, this.first);
      this.first = 0;
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
      if (match(e)) {
        removed++;
        this.bytes -= entryCost(e);
      } else this.ring[w++] = e;
    }
    this.ring.length = w;
    return removed;
  }

  /**
   * Replaces the entries `change` gives a new payload for (a deleted
   * message's body and quotes): same position, a new frame, the byte estimate
   * kept true. Replaced, not changed, so frames already shared by sockets
   * mid-write stay as they are.
   */
  rewrite(change: (e: LogEntry) => string | null): number {
    let changed = 0;
    for (let i = this.first; i < this.ring.length; i++) {
      const e = this.ring[i]!;
      const payload = change(e);
      if (payload === null) continue;
      const next = toEntry({ seq: e.seq, type: e.type, conversationId: e.conversationId, targets: [...e.targets], payload });
      this.bytes += entryCost(next) - entryCost(e);
      this.ring[i] = next;
      changed++;
    }
    return changed;
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
