import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { AppError } from '../domain/errors.js';
import type { LogEntry } from '../hub/event-log.js';
import { OneShotWaiter, type WaitOutcome } from '../hub/one-shot.js';
import type { ReadResult, Subscriber } from '../hub/ports.js';
import type { Ctx } from '../edge/context.js';
import { plainSessionCookie, presented, requireUser } from '../edge/credentials.js';
import { errorJson } from '../edge/errors.js';
import { plainQuery } from '../edge/query.js';
import type { Principal } from '../services/auth.js';
import { setupStreams, type IpStreams } from './streams.js';
import { SYNC_KEYS, syncBody, syncParams } from './sync.js';

/**
 * What a sync answer from the fast path carries besides the body: the type,
 * no caching, no sniffing, and a CSP that forbids everything (a JSON answer
 * is never a document; the web app's full CSP is on its pages). The rest of
 * helmet's set is about documents and would be ~500 bytes on every poll.
 */
const FAST_HEADERS = [
  'content-type',
  'application/json; charset=utf-8',
  'cache-control',
  'no-store',
  'x-content-type-options',
  'nosniff',
  'content-security-policy',
  "default-src 'none'; frame-ancestors 'none'",
];

function writeJson(res: ServerResponse, status: number, body: string): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, [...FAST_HEADERS, 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

const SYNC_PREFIX = '/api/v1/sync?';

type Respond = (status: number, body: string) => void;

/** What the fast path may take: a cursor (decoded) and a wait. */
type SteadyPoll = { since: string; position: number; wait: number; limit: number };

/** A poll with a cursor: who asks, from where, for how long, through which connection. */
interface Poll {
  principal: Principal;
  since: string;
  wait: number;
  limit: number;
  /** The response whose closing ends a wait. */
  connection: EventEmitter & { destroyed: boolean };
  respond: Respond;
  /** Counts a waiting poll against its address; null refuses (the fast path then leaves it to the route). */
  hold: () => (() => void) | null;
}

/**
 * GET /api/v1/sync — short poll, and long poll with `wait`. A long poll with
 * nothing to say becomes a one-shot subscriber of the hub; it answers with the
 * first batch for its user or, after `wait` seconds, with no events and the
 * cursor it was given. A closed connection detaches it at once.
 *
 * Two ways in, one code path. `serve` sits in front of Fastify (its
 * serverFactory) and only decides whether it may answer: a steady-state long
 * poll (plain parameters, a credential the auth cache knows, a cursor memory
 * can serve) skips Fastify's routing, hooks and reply objects — a client
 * polling after every message makes this the node's hottest request, and the
 * full path costs several times the CPU and twice the memory per waiting poll
 * (docs/benchmarks.md). Both ways read the credential (`presented`) and the
 * parameters (`syncParams`) the same way and take the same `step`; anything
 * the fast path declines, Fastify's route does, with every check and error.
 */
export class LongPollTransport {
  private readonly waiting = new Set<PollWaiter>();
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

    app.get<{ Querystring: { since?: string; wait?: string; limit?: string } }>('/api/v1/sync', async (req, reply) => {
      const principal = requireUser(req);
      const { since, wait, limit } = syncParams(req.query, config.maxWaitSeconds);
      const respond: Respond = (status, body) => void reply.code(status).type('application/json').send(body);
      if (since === null) {
        respond(200, syncBody([], encodeCursor(hub.head), false));
        return reply;
      }
      const poll: Poll = { principal, since, wait, limit, connection: reply.raw, respond, hold: () => () => undefined };
      let position = decodeCursor(since);
      for (;;) {
        const next = this.step(poll, await hub.read(principal.user.id, position, limit));
        if (typeof next !== 'number') return reply;
        position = next;
      }
    });
  }

  /**
   * Serves the request, or hands it to `fallback` (Fastify) untouched. A
   * credential that is known but stale is revalidated first (one store read
   * every few seconds per client); the poll then continues here.
   */
  serve(req: IncomingMessage, res: ServerResponse, fallback: (req: IncomingMessage, res: ServerResponse) => void): void {
    const params = this.steadyState(req);
    const known = params && this.cachedPrincipal(req);
    if (!params || !known) return fallback(req, res);
    if (known.fresh) {
      if (!this.answer(params, known.principal, res)) fallback(req, res);
      return;
    }
    this.ctx.auth.resolve(known.token, known.principal.via).then(
      (p) => {
        if (!p || !this.answer(params, p, res)) fallback(req, res);
      },
      () => fallback(req, res),
    );
  }

  /** A steady-state long poll's parameters (a cursor and a wait), or null for anything the route should see. */
  private steadyState(req: IncomingMessage): SteadyPoll | null {
    const url = req.url;
    if (this.closing || req.method !== 'GET' || url === undefined || !url.startsWith(SYNC_PREFIX)) return null;
    const q = plainQuery(url, SYNC_PREFIX.length, SYNC_KEYS);
    if (q === null) return null;
    try {
      const p = syncParams(q, this.ctx.config.maxWaitSeconds);
      if (p.since === null || p.wait === 0) return null;
      return { since: p.since, wait: p.wait, limit: p.limit, position: decodeCursor(p.since) };
    } catch {
      return null;
    }
  }

  /** The caller as the auth cache knows them, read as the route reads them (`presented`). */
  private cachedPrincipal(req: IncomingMessage): { principal: Principal; fresh: boolean; token: string } | undefined {
    const header = req.headers.authorization;
    const cookie = header ? undefined : plainSessionCookie(req.headers.cookie);
    if (cookie === null) return undefined; // quoted or encoded: the cookie parser decides
    let cred: ReturnType<typeof presented>;
    try {
      cred = presented(header, cookie);
    } catch {
      return undefined;
    }
    if (!cred) return undefined;
    const hit = this.ctx.auth.cached(cred.token, cred.via);
    return hit && { ...hit, token: cred.token };
  }

  /** Answers (now, or by waiting) and returns true; false when the route must decide. */
  private answer(params: SteadyPoll, principal: Principal, res: ServerResponse): boolean {
    if (this.closing || res.destroyed) return false;
    const { hub, limits } = this.ctx;
    try {
      limits.connection(principal.user.id);
    } catch {
      return false;
    }
    const r = hub.readRecent(principal.user.id, params.position, params.limit);
    if (r === null) return false;
    const poll: Poll = {
      principal,
      since: params.since,
      wait: params.wait,
      limit: params.limit,
      connection: res,
      respond: (status, body) => writeJson(res, status, body),
      hold: () => this.holdAddress(res),
    };
    return this.step(poll, r) === true;
  }

  /**
   * One step of a poll over what a read returned: answer now, or wait for the
   * next batch (true); or the position to read again from (memory moved on,
   * or a page of other users' events); or false when the wait cannot be held.
   */
  private step(poll: Poll, r: ReadResult): true | false | number {
    if (r.entries.length > 0) {
      poll.respond(200, syncBody(r.entries, encodeCursor(r.entries[r.entries.length - 1]!.seq), r.more));
      return true;
    }
    if (r.more) return r.position;
    if (poll.wait === 0) {
      poll.respond(200, syncBody([], poll.since, false));
      return true;
    }
    const release = poll.hold();
    if (!release) return false;
    const waiter = this.waiter(poll, release);
    if (!this.ctx.hub.attach(waiter, r.position)) {
      waiter.cancel();
      return r.position;
    }
    waiter.arm(poll.wait * 1000, poll.connection);
    return true;
  }

  /** A one-shot subscriber answering `poll` with the first batch for its user, or nothing after its wait. */
  private waiter(poll: Poll, release: () => void): PollWaiter {
    const w = new PollWaiter(this.ctx.hub, poll, () => {
      this.waiting.delete(w);
      release();
    });
    this.waiting.add(w);
    return w;
  }

  /**
   * Counts a waiting poll against its address's cap, or null for the route to
   * decide (and refuse with its error). The address is the peer's own only
   * without a trusted proxy; behind one, the route works it out as it does
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
}

/** A waiting long poll: any entry of its user's stream answers it, at most `limit` of them. */
class PollWaiter extends OneShotWaiter<readonly LogEntry[]> {
  readonly kind = 'longpoll';
  private readonly since: string;
  private readonly limit: number;
  private readonly res: { destroyed: boolean };
  private readonly respond: Respond;

  constructor(
    hub: { detach(sub: Subscriber): void },
    poll: Poll,
    private readonly release: () => void,
  ) {
    super(hub, poll.principal.user.id, poll.principal.tokenHash);
    this.since = poll.since;
    this.limit = poll.limit;
    this.res = poll.connection;
    this.respond = poll.respond;
  }

  protected pick(entries: readonly LogEntry[]): readonly LogEntry[] {
    return entries;
  }

  protected settle(outcome: WaitOutcome<readonly LogEntry[]>): void {
    this.release();
    if (this.res.destroyed) return; // client gone: nothing to answer
    switch (outcome.kind) {
      case 'delivered': {
        const all = outcome.value;
        const page = all.length > this.limit ? all.slice(0, this.limit) : all;
        return this.respond(200, syncBody(page, encodeCursor(page[page.length - 1]!.seq), all.length > this.limit));
      }
      case 'idle':
        return this.respond(200, syncBody([], this.since, false));
      case 'ended': {
        // Shutdown: no events; the client polls again elsewhere. Anything else (a revoked
        // credential, a deleted account): the catalog's HTTP error, as the next poll would get.
        if (outcome.code === 'SHUTTING_DOWN') return this.respond(200, syncBody([], this.since, false));
        const err = new AppError(outcome.code);
        return this.respond(err.status, errorJson(err));
      }
      case 'gone':
      case 'cancelled':
        return;
    }
  }
}
