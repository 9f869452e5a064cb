import { AppError } from '../domain/errors.js';
import { redactPayload } from '../domain/messages.js';
import type { Message } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { AudienceIndex } from './audience.js';
import { EventLog, toEntry, type LogEntry } from './event-log.js';
import type { ReadResult } from './ports.js';

/**
 * The node's log tail and everything read through it: a user's stream after
 * a cursor, from memory when the cursor is recent and from the store
 * otherwise, and the check of a cursor against what this node can serve.
 * Only the ingest path appends (see intake.ts); readers see positions, never
 * the log itself.
 */
export class LogTail {
  private log: EventLog;
  /** Positions at or below it were pruned from the store (retention): their cursors are expired. */
  private floor = 0;

  constructor(
    private readonly store: Store,
    private readonly index: AudienceIndex,
    private readonly capacity: number,
    private readonly capacityBytes?: number,
  ) {
    this.log = new EventLog(0, capacity, capacityBytes);
  }

  /** Starts at the store's head: memory holds nothing older. */
  async start(): Promise<void> {
    this.log = new EventLog(await this.store.headSeq(), this.capacity, this.capacityBytes);
    this.floor = await this.store.floorSeq();
  }

  /** The highest position this node has ingested. */
  get head(): number {
    return this.log.head;
  }

  get length(): number {
    return this.log.length;
  }

  get bytes(): number {
    return this.log.bytes;
  }

  append(entries: LogEntry[]): void {
    this.log.append(entries);
  }

  covers(position: number): boolean {
    return this.log.covers(position);
  }

  /**
   * Drops a deleted user from the log: their id in targets, their messages (as
   * sent and as edited), and the quotes of them in others' replies — as the
   * store did in the deleting transaction.
   */
  forget(userId: string): void {
    this.log.dropTarget(userId);
    const isMessage = (e: LogEntry) => e.type === 'message.created' || e.type === 'message.updated';
    const message = (e: LogEntry) => (JSON.parse(e.payload) as { message: Message }).message;
    this.log.redact((e) => isMessage(e) && message(e).senderId === userId);
    this.log.rewrite((e) => {
      const quoted = isMessage(e) ? message(e).replyTo : null;
      return quoted?.senderId === userId ? redactPayload(e.payload, quoted.id) : null;
    });
  }

  /**
   * A message was deleted: its entries (as sent, as edited) become its
   * tombstone and replies lose their quote of it — the same rewrite the store
   * made in the deleting transaction (redactPayload), so memory and store
   * serve the same bytes and no node keeps the body.
   */
  redactMessage(conversationId: string, messageId: string): number {
    return this.log.rewrite((e) =>
      e.conversationId === conversationId && (e.type === 'message.created' || e.type === 'message.updated')
        ? redactPayload(e.payload, messageId)
        : null,
    );
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

  /** Validates a cursor position against what this node can serve; `catchUp` pulls the store's newer events first. */
  async checkCursor(after: number, catchUp: () => Promise<void>): Promise<void> {
    if (after > this.log.head) {
      await catchUp();
      if (after > this.log.head)
        throw new AppError('CURSOR_EXPIRED', "The cursor is ahead of this server's log (was the database replaced?); reload your state.");
    }
    // Memory only holds what is retained; below it, ask the store how far history was pruned.
    if (!this.log.covers(after)) this.floor = await this.store.floorSeq();
    if (after < this.floor) throw new AppError('CURSOR_EXPIRED');
  }

  /**
   * The user's events after `after`, at most `limit`. Served from memory when
   * the cursor is recent; otherwise from the store up to our head, then memory.
   */
  async read(userId: string, after: number, limit: number, catchUp: () => Promise<void>): Promise<ReadResult> {
    await this.checkCursor(after, catchUp);
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

  /** `read` when memory alone can answer (a recent cursor at or below the head), else null. */
  readRecent(userId: string, after: number, limit: number): ReadResult | null {
    if (after > this.log.head || after < this.floor || !this.log.covers(after)) return null;
    return this.readMemory(userId, after, limit);
  }

  readMemory(userId: string, after: number, limit: number, entries: LogEntry[] = []): ReadResult {
    for (const e of this.log.after(after)) {
      if (!this.inAudience(e, userId)) continue;
      entries.push(e);
      if (entries.length >= limit) return { entries, position: e.seq, more: true };
    }
    return { entries, position: this.log.head, more: false };
  }
}
