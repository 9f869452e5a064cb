import type { EventEmitter } from 'node:events';
import { encodeCursor } from '../domain/cursor.js';
import { AppError } from '../domain/errors.js';
import type { Message, User } from '../domain/types.js';
import { toEntry, type LogEntry } from '../hub/event-log.js';
import { OneShotWaiter, type WaitOutcome } from '../hub/one-shot.js';
import type { Subscriber } from '../hub/ports.js';
import type { Ctx } from '../edge/context.js';
import { ensureGuest } from './guest.js';

/**
 * The lobby as the legacy adapters see it: one shared, anonymous poster (the
 * "guest" user), the lobby's messages in log order, and the wait for the next
 * ones. Every adapter posts through ChatService and reads through the hub, so
 * legacy clients and the v1 API see the same messages in the same order.
 *
 * A legacy message id is the stored cursor of its `message.created` event
 * ("c" + position in base 36): opaque to the seeds' clients (which only echo
 * the last id back), valid as an HTML id and a jQuery selector, and a position
 * the hub can serve on any node — unlike a message id, whose order need not be
 * commit order on PostgreSQL.
 */
export interface LobbyMessage {
  /** Position of the message's event in the log. */
  seq: number;
  /** The legacy id: the event's cursor. */
  id: string;
  message: Message;
}

/** The seeds' message cache: recent lobby messages kept for cursorless readers (seed 002's cache_size). */
export const RECENT_CAPACITY = 200;
/** How far back (positions) a start looks for lobby messages to refill the cache. */
const PRIME_WINDOW = 5000;
/** Pages of non-message events one read may skip before it answers "nothing yet". */
const MAX_SCAN_PAGES = 50;
const SCAN_PAGE = 500;

export class LobbyFeed {
  /** Recent lobby messages, oldest first, at most RECENT_CAPACITY. */
  readonly recent: LobbyMessage[] = [];
  private readonly parsed = new WeakMap<LogEntry, LobbyMessage | null>();
  private readonly listeners = new Set<(messages: readonly LobbyMessage[]) => void>();
  /** Waiting legacy polls and the address of each. */
  private readonly waiters = new Map<LobbyWaiter, string>();
  private readonly waitersByIp = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  private constructor(
    private readonly ctx: Ctx,
    readonly lobbyId: string,
    readonly guest: User,
  ) {}

  /** Finds the lobby, makes sure the guest exists and has joined it, and starts following the log. */
  static async open(ctx: Ctx): Promise<LobbyFeed> {
    const lobby = await ctx.chat.roomByName('lobby');
    const guest = await ensureGuest(ctx);
    try {
      await ctx.chat.join(guest, lobby.id);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ALREADY_MEMBER') throw err;
    }
    const feed = new LobbyFeed(ctx, lobby.id, guest);
    await feed.start();
    return feed;
  }

  private async start(): Promise<void> {
    // Follow first, then fill the cache with what came before: nothing falls between.
    this.unsubscribe = this.ctx.hub.onEntries((entries) => this.onEntries(entries));
    const head = this.ctx.hub.head;
    const primed: LobbyMessage[] = [];
    let position = Math.max(await this.ctx.store.floorSeq(), head - PRIME_WINDOW);
    while (position < head) {
      const rows = await this.ctx.store.readUserEvents(this.guest.id, position, head, SCAN_PAGE);
      for (const r of rows) {
        const m = this.of(toEntry(r));
        if (m) primed.push(m);
      }
      if (rows.length < SCAN_PAGE) break;
      position = rows[rows.length - 1]!.seq;
    }
    const live = this.recent.splice(0);
    const seen = new Set<number>();
    for (const m of [...primed, ...live]) {
      if (seen.has(m.seq)) continue;
      seen.add(m.seq);
      this.recent.push(m);
    }
    this.recent.sort((a, b) => a.seq - b.seq);
    if (this.recent.length > RECENT_CAPACITY) this.recent.splice(0, this.recent.length - RECENT_CAPACITY);
  }

  /** Stops following the log and answers every waiting long poll with nothing. */
  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    for (const w of [...this.waiters.keys()]) w.expire();
  }

  /** The lobby message an entry carries, or null. Parsed once per entry. */
  of(entry: LogEntry): LobbyMessage | null {
    let m = this.parsed.get(entry);
    if (m !== undefined) return m;
    m = null;
    if (entry.type === 'message.created' && entry.conversationId === this.lobbyId) {
      const payload = JSON.parse(entry.payload) as { message: Message };
      // A tombstone (read back after a delete) is no message to a legacy client: it has no way to show one.
      if (!payload.message.deleted) m = { seq: entry.seq, id: encodeCursor(entry.seq), message: payload.message };
    }
    this.parsed.set(entry, m);
    return m;
  }

  private onEntries(entries: readonly LogEntry[]): void {
    const fresh: LobbyMessage[] = [];
    for (const e of entries) {
      const m = this.of(e);
      if (m) fresh.push(m);
      else if (e.conversationId === this.lobbyId || e.type === 'user.deleted') this.revise(e);
    }
    if (fresh.length === 0) return;
    this.recent.push(...fresh);
    if (this.recent.length > RECENT_CAPACITY) this.recent.splice(0, this.recent.length - RECENT_CAPACITY);
    for (const l of this.listeners) l(fresh);
  }

  /**
   * The legacy protocols only append, so a client keeps what it showed; but a
   * reload shows a message as it now is: edited in place, gone once deleted
   * (with its author's account too), never as an empty line. docs/compat.md.
   */
  private revise(e: LogEntry): void {
    const p = JSON.parse(e.payload) as { type: string; message?: Message; messageId?: string; userId?: string };
    if (p.type === 'message.updated' && p.message) {
      const i = this.recent.findIndex((r) => r.message.id === p.message!.id);
      if (i >= 0) this.recent[i] = { ...this.recent[i]!, message: p.message };
    } else if (p.type === 'message.deleted' || p.type === 'user.deleted') {
      const gone = (m: Message) => (p.type === 'user.deleted' ? m.senderId === p.userId : m.id === p.messageId);
      for (let i = this.recent.length - 1; i >= 0; i--) if (gone(this.recent[i]!.message)) this.recent.splice(i, 1);
    }
  }

  /** Every lobby message this node ingests from now on, in log order (the /msg broadcast). */
  onMessages(listener: (messages: readonly LobbyMessage[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current head as a position to wait from: "only what comes next". */
  get head(): number {
    return this.ctx.hub.head;
  }

  /** Posts to the lobby as the guest (the body goes through the domain's normalizeBody). */
  async post(rawBody: string): Promise<LobbyMessage> {
    const { message } = await this.ctx.chat.send(this.guest, this.lobbyId, rawBody, null);
    // send() returns once the hub has ingested the event, so it is in the cache.
    let found = this.find(message.id);
    if (!found) {
      await this.ctx.hub.refresh();
      found = this.find(message.id);
    }
    if (!found) throw new AppError('INTERNAL', 'The message was stored but its position is not known yet; reload.');
    return found;
  }

  private find(messageId: string): LobbyMessage | null {
    for (let i = this.recent.length - 1; i >= 0; i--) if (this.recent[i]!.message.id === messageId) return this.recent[i]!;
    return null;
  }

  /**
   * Lobby messages after `position`, at most `limit`, with the position read
   * up to. Throws CURSOR_EXPIRED for a position the server cannot serve.
   */
  async after(position: number, limit: number): Promise<{ messages: LobbyMessage[]; position: number }> {
    const out: LobbyMessage[] = [];
    for (let page = 0; page < MAX_SCAN_PAGES; page++) {
      const r = await this.ctx.hub.read(this.guest.id, position, SCAN_PAGE);
      for (const e of r.entries) {
        const m = this.of(e);
        if (!m) continue;
        out.push(m);
        if (out.length >= limit) return { messages: out, position: m.seq };
      }
      position = r.position;
      if (!r.more || out.length > 0) break;
    }
    return { messages: out, position };
  }

  /**
   * Lobby messages after `position`; when there are none yet, waits up to
   * `waitMs` for the next ones. Answers [] on timeout, when `connection`
   * closes, or when the server shuts down. Bounded: too many waiters overall
   * or from one IP get RATE_LIMITED.
   *
   * With `onIdle`, a wait that reaches `waitMs` is not ended: onIdle runs and
   * the wait goes on, in the same slot, until a message comes, the client
   * leaves or the server shuts down (seed 000's client, which cannot re-poll
   * after an empty answer).
   */
  async poll(
    position: number,
    limit: number,
    waitMs: number,
    ip: string,
    connection: EventEmitter,
    onIdle?: () => void,
  ): Promise<LobbyMessage[]> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const r = await this.after(position, limit);
      if (r.messages.length > 0 || waitMs <= 0 || this.closed || this.ctx.hub.stopped) return r.messages;
      position = r.position;
      // Bounded in all (config.legacyMaxLongPolls) and per client IP (config.legacyLongPollsPerIp, 20 by default):
      // with 100 per IP, 50 addresses held every one of 5000 slots and locked everyone else out; with 20 it takes 250.
      if (this.waiters.size >= this.ctx.config.legacyMaxLongPolls)
        throw new AppError('RATE_LIMITED', 'Too many legacy clients are waiting; try again shortly.');
      if ((this.waitersByIp.get(ip) ?? 0) >= this.ctx.config.legacyLongPollsPerIp)
        throw new AppError('RATE_LIMITED', 'Too many waiting requests from your address; try again shortly.');
      const result = await new Promise<LobbyMessage[] | null>((resolve) => {
        const w = this.waiter(limit, ip, resolve);
        // attach() may deliver at once (and so settle the waiter) before it returns.
        if (!this.ctx.hub.attach(w, position)) w.cancel();
        else w.arm(waitMs, connection, onIdle);
      });
      if (result !== null) return result;
      // Memory no longer reaches back to `position`: read from the store and try again.
    }
    return []; // the log keeps outrunning memory: answer "nothing yet" and let the client come back
  }

  /** A one-shot wait as the guest, counted against its address until it settles. */
  private waiter(limit: number, ip: string, resolve: (messages: LobbyMessage[] | null) => void): LobbyWaiter {
    const w = new LobbyWaiter(this.ctx.hub, this, limit, (messages) => {
      this.waiters.delete(w);
      const n = (this.waitersByIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.waitersByIp.delete(ip);
      else this.waitersByIp.set(ip, n);
      resolve(messages);
    });
    this.waiters.set(w, ip);
    this.waitersByIp.set(ip, (this.waitersByIp.get(ip) ?? 0) + 1);
    return w;
  }

  /** Shut down (or the hub stopped): waits end at once. */
  get closing(): boolean {
    return this.closed || this.ctx.hub.stopped;
  }

  get waiting(): number {
    return this.waiters.size;
  }
}

/**
 * A legacy long poll as the guest: it answers with the first lobby messages
 * (other lobby events, joins and renames, are not part of the legacy
 * protocols: it keeps waiting), [] when the wait ends otherwise, and null
 * when memory no longer reaches back (read again).
 */
class LobbyWaiter extends OneShotWaiter<LobbyMessage[]> {
  readonly kind = 'compat-longpoll';

  constructor(
    hub: { detach(sub: Subscriber): void },
    private readonly feed: LobbyFeed,
    private readonly limit: number,
    private readonly answer: (messages: LobbyMessage[] | null) => void,
  ) {
    super(hub, feed.guest.id);
  }

  protected pick(entries: readonly LogEntry[]): LobbyMessage[] | null {
    const messages: LobbyMessage[] = [];
    for (const e of entries) {
      const m = this.feed.of(e);
      if (m) messages.push(m);
      if (messages.length >= this.limit) break;
    }
    return messages.length > 0 ? messages : null;
  }

  protected settle(outcome: WaitOutcome<LobbyMessage[]>): void {
    this.answer(outcome.kind === 'delivered' ? outcome.value : outcome.kind === 'cancelled' ? null : []);
  }
}
