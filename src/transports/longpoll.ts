import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { AppError, type ErrorCode } from '../domain/errors.js';
import type { LogEntry } from '../hub/event-log.js';
import type { Subscriber } from '../hub/hub.js';
import { SESSION_COOKIE, requireUser } from '../http/auth-hooks.js';
import type { Ctx } from '../http/context.js';
import { intParam, strParam } from '../http/query.js';
import type { Principal } from '../services/auth.js';
import { errorJson, setupStreams, type IpStreams } from './streams.js';

/** The sync body, built from the entries' shared frames: no per-reader JSON.stringify of events. */
export function syncBody(entries: readonly LogEntry[], cursor: string, more: boolean): string {
  let out = '{"events":[';
  for (let i = 0; i < entries.length; i++) out += (i ? ',' : '') + entries[i]!.frame;
  return out + '],"cursor":"' + cursor + '","more":' + more + '}';
}

/**
 * What a sync answer from the fast path carries besides the body: the type,
 * no caching, no sniffing, and a CSP that forbids everything (a JSON answer
 * is never a document; the web app's full CSP is on its pages). The rest of
 * helmet's set is about documents and would be ~500 bytes on every poll.
 */
const FAST_HEADERS = [
  'content-type', 'application/json; charset=utf-8',
  'cache-control', 'no-store',
  'x-content-type-options', 'nosniff',
  'content-security-policy', "default-src 'none'; frame-ancestors 'none'",
];

function writeJson(res: ServerResponse, body: string, status = 200): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, [...FAST_HEADERS, 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

const BEARER = /^Bearer\s+(\S+)$/i;
const SESSION = new RegExp('(?:^|;)\\s*' + SESSION_COOKIE + '=([^;]*)');
const SYNC_PREFIX = '/api/v1/sync?';

type SyncQuery = { since?: string; wait?: string; limit?: string };

/**
 * The query of a sync request as plain strings, or null when anything is
 * unusual (a repeated or percent-encoded parameter): the full path's parser
 * then decides, with its errors.
 */
function plainQuery(url: string, from: number): SyncQuery | null {
  if (url.includes('%', from) || url.includes('+', from)) return null;
  const out: SyncQuery = {};
  let at = from;
  while (at <= url.length) {
    let amp = url.indexOf('&', at);
    if (amp < 0) amp = url.length;
    const eq = url.indexOf('=', at);
    const hasValue = eq >= 0 && eq < amp;
    const key = url.slice(at, hasValue ? eq : amp);
    if (key === 'since' || key === 'wait' || key === 'limit') {
      if (out[key] !== undefined) return null;
      out[key] = hasValue ? url.slice(eq + 1, amp) : '';
    }
    at = amp + 1;
  }
  return out;
}

/**
 * GET /api/v1/sync — short poll, and long poll with `wait`. A long poll with
 * nothing to say becomes a one-shot subscriber of the hub; it answers with the
 * first batch for its user or, after `wait` seconds, with no events and the
 * cursor it was given. A closed connection detaches it at once.
 *
 * Two ways in, one behaviour. `serve` takes a steady-state long poll
 * (known credential, valid recent cursor) straight off the HTTP server, before
 * Fastify's routing, hooks and reply objects; a client polling after every
 * message makes this the node's hottest request, and the full path costs
 * several times the CPU and twice the memory per waiting poll (see
 * docs/benchmarks.md). Anything else — a first poll, a short poll, a
 * credential not in the cache, a cursor that needs the store, any invalid
 * input — is left to the Fastify route, which does every check and answers
 * every error.
 */
export class LongPollTransport {
  private readonly waiting = new Set<LongPollWaiter>();
  private closing = false;
  private perIp: IpStreams | null = null;

  constructor(private readonly ctx: Ctx) {}

  routes(app: FastifyInstance): void {
    const { hub, config } = this.ctx;
    // The full path's polls are counted per address by the streams' onRequest hook; the fast path counts its own.
    this.perIp = setupStreams(app, this.ctx).perIp;
    // On shutdown, answer every waiting poll at once (no events, its own cursor) so the
    // server can close without holding clients for up to `wait` seconds.
    app.addHook('preClose', async () => {
      this.closing = true;
      for (const w of [...this.waiting]) w.expire();
    });

    app.get<{ Querystring: SyncQuery }>('/api/v1/sync', async (req, reply) => {
      const principal = requireUser(req);
      const me = principal.user;
      const since = strParam(req.query.since, 'since', 32);
      const wait = intParam(req.query.wait, 'wait', 0, config.maxWaitSeconds, 0);
      const limit = intParam(req.query.limit, 'limit', 1, 1000, 100);
      const json = (body: string) => reply.type('application/json').send(body);
      if (since === null) return json(syncBody([], encodeCursor(hub.log.head), false));
      let position = decodeCursor(since);
      for (;;) {
        const r = await hub.read(me.id, position, limit);
        if (r.entries.length > 0) return json(syncBody(r.entries, encodeCursor(r.entries[r.entries.length - 1]!.seq), r.more));
        if (r.more) { position = r.position; continue; }
        if (wait === 0) return json(syncBody([], since, false));
        const waiter = this.waiter(principal, reply.raw, since, limit, (status, body) => void reply.code(status).type('application/json').send(body));
        if (!hub.attach(waiter, r.position)) {
          waiter.cancel();
          position = r.position;
          continue;
        }
        waiter.arm(wait * 1000);
        return reply;
      }
    });
  }

  /**
   * Serves the request, or hands it to `fallback` (Fastify) untouched. A
   * credential that is known but stale is revalidated first (one store read
   * every few seconds per client); the poll then continues here.
   */
  serve(req: IncomingMessage, res: ServerResponse, fallback: (req: IncomingMessage, res: ServerResponse) => void): void {
    const poll = this.parse(req);
    const known = poll && this.cachedPrincipal(req);
    if (!poll || !known) return fallback(req, res);
    if (known.fresh) {
      if (!this.answer(poll, known.principal, res)) fallback(req, res);
      return;
    }
    this.ctx.auth.resolve(known.token, known.principal.via).then(
      (p) => {
        if (!p || !this.answer(poll, p, res)) fallback(req, res);
      },
      () => fallback(req, res),
    );
  }

  /** A steady-state long poll's parameters, or null for anything the full path should see. */
  private parse(req: IncomingMessage): { since: string; position: number; wait: number; limit: number } | null {
    const url = req.url;
    if (this.closing || req.method !== 'GET' || url === undefined || !url.startsWith(SYNC_PREFIX)) return null;
    const q = plainQuery(url, SYNC_PREFIX.length);
    if (q === null) return null;
    try {
      const since = strParam(q.since, 'since', 32);
      const wait = intParam(q.wait, 'wait', 0, this.ctx.config.maxWaitSeconds, 0);
      const limit = intParam(q.limit, 'limit', 1, 1000, 100);
      if (since === null || wait === 0) return null;
      return { since, position: decodeCursor(since), wait, limit };
    } catch {
      return null;
    }
  }

  /** Answers (now, or by waiting) and returns true; false when the full path must decide. */
  private answer(poll: { since: string; position: number; wait: number; limit: number }, principal: Principal, res: ServerResponse): boolean {
    if (this.closing || res.destroyed) return false;
    const { hub, limits } = this.ctx;
    const userId = principal.user.id;
    try {
      limits.connection(userId);
    } catch {
      return false;
    }
    const r = hub.readRecent(userId, poll.position, poll.limit);
    if (r === null || (r.entries.length === 0 && r.more)) return false;
    if (r.entries.length > 0) {
      writeJson(res, syncBody(r.entries, encodeCursor(r.entries[r.entries.length - 1]!.seq), r.more));
      return true;
    }
    const release = this.holdAddress(res);
    if (!release) return false;
    const waiter = this.waiter(principal, res, poll.since, poll.limit, (status, body) => writeJson(res, body, status), release);
    if (!hub.attach(waiter, r.position)) {
      waiter.cancel();
      return false;
    }
    waiter.arm(poll.wait * 1000);
    return true;
  }

  /**
   * Counts a waiting poll against its address's cap, or null for the full path
   * to decide (and refuse with its error). The address is the peer's own only
   * without a trusted proxy; behind one, the full path works it out as it does
   * for every request (proxy-addr), rather than a second reading of the headers here.
   */
  private holdAddress(res: ServerResponse): (() => void) | null {
    const ip = res.socket?.remoteAddress;
    if (this.ctx.config.trustProxy !== false || ip === undefined || !this.perIp) return null;
    try {
      return this.perIp.acquire(ip);
    } catch {
      return null;
    }
  }

  /** The caller as the auth cache knows them; bearer wins over the cookie, as in `identify`. */
  private cachedPrincipal(req: IncomingMessage): { principal: Principal; fresh: boolean; token: string } | undefined {
    const { auth } = this.ctx;
    const header = req.headers.authorization;
    let token: string | undefined;
    let via: 'bearer' | 'session';
    if (header !== undefined) {
      token = BEARER.exec(header)?.[1];
      via = 'bearer';
    } else {
      const cookie = req.headers.cookie;
      token = cookie === undefined ? undefined : SESSION.exec(cookie)?.[1];
      // A quoted or encoded value is left to the cookie parser of the full path.
      if (token !== undefined && (token.includes('%') || token.includes('"'))) return undefined;
      via = 'session';
    }
    if (!token) return undefined;
    const hit = auth.cached(token, via);
    return hit && { ...hit, token };
  }

  private waiter(principal: Principal, res: ServerResponse, since: string, limit: number, respond: (status: number, body: string) => void, unhold?: () => void): LongPollWaiter {
    const w: LongPollWaiter = new LongPollWaiter(principal.user.id, principal.tokenHash, res, since, limit, respond, () => {
      this.ctx.hub.detach(w);
      this.waiting.delete(w);
      unhold?.();
    });
    this.waiting.add(w);
    return w;
  }
}

class LongPollWaiter implements Subscriber {
  readonly kind = 'longpoll';
  private timer: NodeJS.Timeout | null = null;
  private done = false;

  constructor(
    readonly userId: string,
    readonly credential: string,
    private readonly res: ServerResponse,
    private readonly since: string,
    private readonly limit: number,
    private readonly respond: (status: number, body: string) => void,
    private readonly release: () => void,
  ) {}

  arm(ms: number): void {
    if (this.done) return;
    this.timer = setTimeout(() => this.finish([], false), ms);
    this.res.once('close', () => this.finish(null, false));
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

  /**
   * Server-side end. Shutdown: answer at once with no events; the client polls
   * again elsewhere. Anything else (a revoked credential, a deleted account):
   * the catalog's HTTP error at once, as the next poll would get.
   */
  close(code: ErrorCode): void {
    if (code === 'SHUTTING_DOWN') return this.finish([], false);
    if (!this.settle() || this.res.destroyed) return;
    const err = new AppError(code);
    this.respond(err.status, errorJson(err));
  }

  private finish(entries: readonly LogEntry[] | null, more: boolean): void {
    if (!this.settle()) return;
    if (entries === null || this.res.destroyed) return; // client gone: nothing to answer
    const cursor = entries.length > 0 ? encodeCursor(entries[entries.length - 1]!.seq) : this.since;
    this.respond(200, syncBody(entries, cursor, more));
  }

  /** Detaches once; false when already done. */
  private settle(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.release();
    return true;
  }
}
