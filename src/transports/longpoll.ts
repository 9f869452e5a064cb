import type { FastifyInstance, FastifyReply } from 'fastify';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import type { LogEntry } from '../hub/event-log.js';
import type { Subscriber } from '../hub/hub.js';
import { requireUser } from '../http/auth-hooks.js';
import type { Ctx } from '../http/context.js';
import { intParam, strParam } from '../http/query.js';

/** The sync body, built from the entries' shared frames: no per-reader JSON.stringify of events. */
export function syncBody(entries: readonly LogEntry[], cursor: string, more: boolean): string {
  let out = '{"events":[';
  for (let i = 0; i < entries.length; i++) out += (i ? ',' : '') + entries[i]!.frame;
  return out + '],"cursor":"' + cursor + '","more":' + more + '}';
}

/**
 * GET /api/v1/sync — short poll, and long poll with `wait`. A long poll with
 * nothing to say becomes a one-shot subscriber of the hub; it answers with the
 * first batch for its user or, after `wait` seconds, with no events and the
 * cursor it was given. A closed connection detaches it at once.
 */
export function longPollRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { hub, config } = ctx;
  const waiting = new Set<LongPollWaiter>();
  // On shutdown, answer every waiting poll at once (no events, its own cursor) so the
  // server can close without holding clients for up to `wait` seconds.
  app.addHook('preClose', async () => {
    for (const w of [...waiting]) w.expire();
  });

  app.get<{ Querystring: { since?: string; wait?: string; limit?: string } }>('/api/v1/sync', async (req, reply) => {
    const me = requireUser(req).user;
    const since = strParam(req.query.since, 'since', 32);
    const wait = intParam(req.query.wait, 'wait', 0, config.maxWaitSeconds, 0);
    const limit = intParam(req.query.limit, 'limit', 1, 1000, 100);
    if (since === null) return reply.type('application/json').send(syncBody([], encodeCursor(hub.log.head), false));
    let position = decodeCursor(since);
    for (;;) {
      const r = await hub.read(me.id, position, limit);
      if (r.entries.length > 0) return reply.type('application/json').send(syncBody(r.entries, encodeCursor(r.entries[r.entries.length - 1]!.seq), r.more));
      if (r.more) { position = r.position; continue; }
      if (wait === 0) return reply.type('application/json').send(syncBody([], since, false));
      const waiter: LongPollWaiter = new LongPollWaiter(me.id, reply, since, limit, () => {
        hub.detach(waiter);
        waiting.delete(waiter);
      });
      waiting.add(waiter);
      if (!hub.attach(waiter, r.position)) {
        waiter.cancel();
        position = r.position;
        continue;
      }
      waiter.arm(wait * 1000, reply.raw);
      return reply;
    }
  });
}

class LongPollWaiter implements Subscriber {
  readonly kind = 'longpoll';
  private timer: NodeJS.Timeout | null = null;
  private done = false;

  constructor(readonly userId: string, private readonly reply: FastifyReply, private readonly since: string, private readonly limit: number, private readonly release: () => void) {}

  arm(ms: number, raw: NodeJS.EventEmitter): void {
    if (this.done) return;
    this.timer = setTimeout(() => this.finish([], false), ms);
    raw.once('close', () => this.finish(null, false));
  }

  deliver(entries: readonly LogEntry[]): void {
    const page = entries.length > this.limit ? entries.slice(0, this.limit) : entries;
    this.finish(page, entries.length > this.limit);
  }

  /** Answers now with no events and the cursor it was given. */
  expire(): void {
    this.finish([], false);
  }

  /** Lets go without answering (the caller answers). */
  cancel(): void {
    this.finish(null, false);
  }

  signal(): void {
    // Live-only signals are not carried by long polls.
  }

  /** Server-side end (shutdown): answer at once with no events; the client polls again elsewhere. */
  close(): void {
    this.finish([], false);
  }

  private finish(entries: readonly LogEntry[] | null, more: boolean): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.release();
    if (entries === null || this.reply.raw.destroyed) return; // client gone: nothing to answer
    const cursor = entries.length > 0 ? encodeCursor(entries[entries.length - 1]!.seq) : this.since;
    void this.reply.type('application/json').send(syncBody(entries, cursor, more));
  }
}
