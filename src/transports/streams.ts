import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.js';
import { decodeCursor } from '../domain/cursor.js';
import type { Hub } from '../hub/hub.js';
import { requireUser } from '../edge/credentials.js';
import type { Ctx } from '../edge/context.js';
import { idParam } from '../edge/query.js';
import { TypingService } from '../services/typing.js';

/**
 * After a server-side close, how long the connection stays for the peer to
 * read up to the goodbye (a WebSocket close frame, an SSE `error` event) and,
 * on a WebSocket, answer it; then the socket is dropped. A slow consumer's
 * queue is gone by then: the goodbye follows only what
 * the session had already handed to the socket (at most a write window and
 * one write) and what the kernel holds. A reader that paused (the usual slow
 * consumer) cannot get a single new byte before it reads again, so dropping
 * the socket while the close frame still waits in user space is what turned
 * every 4001 into a 1006. The same as ws's own `closeTimeout` default.
 */
export const CLOSE_GRACE_MS = 30_000;

/** What the streaming transports share within one app. */
export interface StreamServices {
  typing: TypingService;
  perIp: IpStreams;
}

/**
 * Live streams per client address — WebSocket upgrades, SSE streams, long
 * polls — whatever the accounts behind them (`maxConnectionsPerIp`): one
 * address cannot hold a node's connections through many accounts, nor keep a
 * burst of upgrades without credentials in flight. Counted from the request's
 * first hook, before credentials are looked up, so a refusal costs no store
 * work.
 */
export class IpStreams {
  private readonly held = new Map<string, number>();
  refused = 0;

  constructor(private readonly max: number) {}

  /** Counts a stream of `ip` until the returned release runs (once); TOO_MANY_CONNECTIONS past the cap. */
  acquire(ip: string): () => void {
    const n = this.held.get(ip) ?? 0;
    if (n >= this.max) {
      this.refused++;
      throw new AppError('TOO_MANY_CONNECTIONS', 'Too many live connections from this address; close one first.');
    }
    this.held.set(ip, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.held.get(ip)! - 1;
      if (left === 0) this.held.delete(ip);
      else this.held.set(ip, left);
    };
  }

  count(ip: string): number {
    return this.held.get(ip) ?? 0;
  }
}

/** A request that opens a stream: a WebSocket, SSE, or a sync that may wait. */
function isStream(url: string | undefined, query: unknown): boolean {
  if (url === '/api/v1/ws' || url === '/api/v1/events') return true;
  const wait = (query as { wait?: unknown }).wait;
  return url === '/api/v1/sync' && typeof wait === 'string' && wait !== '0';
}

declare module 'fastify' {
  interface FastifyInstance {
    hubbubStreams: StreamServices;
  }
}

/**
 * Sets up, once per app, what the WebSocket and SSE transports share: the
 * typing service (and its HTTP route for clients without a socket) and the
 * shutdown hook that closes every live session with SHUTTING_DOWN (WebSocket
 * 4002; long polls answer at once) before the server stops, so clients resume
 * elsewhere at once and the shutdown does not wait on them.
 */
export function setupStreams(app: FastifyInstance, ctx: Ctx): StreamServices {
  if (app.hasDecorator('hubbubStreams')) return app.hubbubStreams;
  const services: StreamServices = {
    typing: new TypingService(ctx.hub, { perTenSeconds: ctx.config.rateLimits.typing }),
    perIp: new IpStreams(ctx.config.maxConnectionsPerIp),
  };
  app.decorate('hubbubStreams', services);

  // Node's server.close() closes idle keep-alive connections but waits for
  // ones that never sent a byte (browsers and undici open them ahead of use):
  // those would hold a shutdown until the client drops them, so they are
  // dropped here. Nothing is in flight on them.
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  app.addHook('preClose', async () => {
    ctx.hub.closeAll('SHUTTING_DOWN');
    for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
  });

  // The per-address cap first, before anything else is done for the request (the credential
  // lookup included). An upgrade holds its count until its socket closes; SSE and long polls
  // until their response ends.
  app.addHook('onRequest', async (req, reply) => {
    if (!isStream(req.routeOptions.url, req.query)) return;
    const upgrade = req.headers.upgrade !== undefined;
    let release: () => void;
    try {
      release = services.perIp.acquire(req.ip);
    } catch (err) {
      // Refused before @fastify/websocket's own hooks mark the request as an upgrade, so its
      // socket would be left open after the answer: end it here.
      if (upgrade) reply.raw.once('finish', () => req.raw.socket.destroy());
      throw err;
    }
    if (upgrade) req.raw.socket.once('close', release);
    else reply.raw.once('close', release);
  });
  // Per-user and per-node caps, once the user is known (before the WebSocket upgrade, too).
  app.addHook('preHandler', async (req) => {
    if (isStream(req.routeOptions.url, req.query) && req.principal) ctx.limits.connection(req.principal.user.id);
  });

  // Typing for clients on SSE or long poll; WebSocket clients send a `typing` frame.
  app.post<{ Params: { id: string } }>('/api/v1/conversations/:id/typing', async (req) => {
    const p = requireUser(req);
    ctx.limits.typing(req.ip);
    await services.typing.typing(p.user, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'));
    return { ok: true };
  });
  return services;
}

/**
 * Calls `fn` for every member of `set` once per `periodMs`, a slice every
 * periodMs/slices — heartbeats for thousands of connections as a trickle, not
 * one burst of writes per period (a burst delays whatever message falls
 * behind it: ≈ 70 ms at 5,000 sockets here). Returns the timer (unref'd).
 */
export function sliced<T>(set: Set<T>, periodMs: number, fn: (x: T) => void, slices = 25): NodeJS.Timeout {
  let turn: Iterator<T> | null = null;
  const timer = setInterval(() => {
    for (let n = Math.ceil(set.size / slices); n > 0; n--) {
      turn ??= set.values();
      const next = turn.next();
      if (next.done) {
        turn = null;
        return;
      }
      fn(next.value);
    }
  }, periodMs / slices);
  timer.unref();
  return timer;
}

/**
 * Where a stream starts: the given cursor (checked against what this node can
 * serve) or, without one, the current head.
 */
export async function startPosition(hub: Hub, since: string | null): Promise<number> {
  if (since === null) return hub.head;
  const position = decodeCursor(since);
  await hub.checkCursor(position);
  return position;
}

/** A cursor the server cannot serve, malformed or expired: the client reloads its state either way. */
export function isCursorError(err: AppError): boolean {
  return err.code === 'CURSOR_EXPIRED' || err.code === 'INVALID_CURSOR';
}

/**
 * Cross-site WebSocket hijacking guard for cookie sessions. A request without
 * Origin does not come from a browser, so it carries no ambient credentials
 * of a victim. With no allowed origins configured, only the page's own host
 * may connect.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
