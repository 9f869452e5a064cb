import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket, RawData } from 'ws';
import { DEFAULTS } from '../config.js';
import { encodeCursor } from '../domain/cursor.js';
import { AppError, closeCodeFor, type ErrorCode } from '../domain/errors.js';
import type { Session } from '../hub/session.js';
import { WsWire } from './ws-wire.js';
import { assertWsInternals, releaseUpgradeResponse } from './ws-private.js';
import type { Ctx } from '../edge/context.js';
import { errorFrame, toAppError } from '../edge/errors.js';
import { idParam, strParam } from '../edge/query.js';
import type { Principal } from '../services/auth.js';
import { parseClientFrame, type ClientFrame } from './frames.js';
import { isCursorError, originAllowed, setupStreams, sliced, startPosition, type StreamServices } from './streams.js';

/** The default largest client frame; a node uses config.wsMaxPayloadBytes (ws closes a connection that sends more with 1009). */
export const MAX_PAYLOAD = DEFAULTS.wsMaxPayloadBytes;
/** The server pings this often and terminates a peer that did not pong since the last ping. */
export const HEARTBEAT_MS = 25_000;
/** The default of config.wsBadFrameLimit: malformed frames tolerated within BAD_FRAME_WINDOW_MS before a close with 1008. */
export const BAD_FRAME_LIMIT = DEFAULTS.wsBadFrameLimit;
const BAD_FRAME_WINDOW_MS = 10_000;

/**
 * GET /api/v1/ws — the stream as WebSocket frames, plus requests (send,
 * edit, delete, react, typing, read, ping) answered by `ack` or `error` with
 * the client's ref.
 * See docs/transports.md for frames and close codes.
 */
export async function websocketRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  // A ws upgrade that dropped the private fields the transport writes through fails here, at boot.
  assertWsInternals();
  const streams = setupStreams(app, ctx);
  await app.register(websocket, {
    options: { maxPayload: ctx.config.wsMaxPayloadBytes, perMessageDeflate: false },
    errorHandler(err, socket, req) {
      // Socket errors (resets, protocol violations) end the connection; ws already sent a close code where one applies.
      req.log.debug({ err }, 'websocket error');
      if (socket.readyState === socket.OPEN) socket.close(1011);
    },
  });

  const live = new Set<WsConnection>();
  // Every connection is pinged once per HEARTBEAT_MS, a slice at a time (see `sliced`).
  const heartbeat = sliced(live, HEARTBEAT_MS, (c) => c.heartbeat());
  heartbeat.unref();
  app.addHook('onClose', async () => clearInterval(heartbeat));

  app.get('/api/v1/ws', { websocket: true }, (socket, req) => {
    const c = new WsConnection(socket, req, ctx, streams, () => live.delete(c));
    live.add(c);
  });
}

/**
 * A session's wire that says why before it closes for good: a close the
 * client must not retry (a revoked credential 4504, a deleted account 4505,
 * 4500–4999) is preceded by an error frame naming the code, as the refusals
 * before a session are; a close that means "resume" needs no explanation.
 */
class StreamWire extends WsWire {
  constructor(private readonly conn: WebSocket) {
    super(conn);
  }

  override end(code: ErrorCode): void {
    if (this.conn.readyState === this.conn.OPEN && closeCodeFor(code) >= 4500) {
      this.conn.send(errorFrame(null, new AppError(code)), { binary: false });
    }
    super.end(code);
  }
}

class WsConnection {
  private session: Session | null = null;
  /** Why the server ended the session, once it has: a request still in flight is refused with it. */
  private endedWith: ErrorCode | null = null;
  private readonly ready: Promise<void>;
  private alive = true;
  private badFrames: number[] | null = null;
  private principal: Principal | null;

  // What the connection needs of its upgrade request, copied so the request itself (headers,
  // raw message, reply) can be collected: an idle connection should cost as little as possible.
  private readonly ip: string;
  private readonly reqId: string;
  private readonly root: FastifyRequest['log'];
  private origin: string | undefined;
  private host: string | undefined;
  private since: unknown;

  constructor(
    private readonly ws: WebSocket,
    req: FastifyRequest,
    private readonly ctx: Ctx,
    private readonly streams: StreamServices,
    onEnd: () => void,
  ) {
    this.principal = req.principal;
    this.ip = req.ip;
    // The app's logger with the request id added only when something is logged: a child
    // logger (or even two closures) per idle connection costs more than it is worth.
    this.reqId = req.id;
    this.root = req.server.log;
    this.origin = req.headers.origin;
    this.host = req.headers.host;
    this.since = (req.query as { since?: unknown }).since;
    // @fastify/websocket's own 'error' listener closes over the Fastify request and reply,
    // which would keep them (and the raw request and response) alive as long as the socket:
    // several KiB per idle connection. Ours does the same job without them.
    ws.removeAllListeners('error');
    // Likewise the upgraded TCP socket still points at the placeholder HTTP response
    // (and through it the request); the socket belongs to ws now.
    releaseUpgradeResponse(ws);
    ws.on('error', (err) => {
      this.log.warn({ err: String(err) }, 'websocket error');
      if (ws.readyState === ws.OPEN) ws.close(1011);
    });
    // Handlers first, synchronously: frames that arrive while the stream starts wait for `ready`.
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.once('close', () => {
      this.session?.gone();
      onEnd();
    });
    this.ready = this.start();
  }

  private get log() {
    const { root, reqId } = this;
    return {
      warn: (o: object, m: string) => root.warn({ ...o, reqId }, m),
      error: (o: object, m: string) => root.error({ ...o, reqId }, m),
    };
  }

  heartbeat(): void {
    // A closing connection is left to its close grace (ws-wire.ts): a paused reader cannot answer a ping
    // stuck behind its backlog, and dropping the socket would lose the close frame queued after it.
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  /** Before a session exists: an error frame and a close, written straight to the socket. */
  private refuse(err: AppError, closeWith: ErrorCode = err.code): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(errorFrame(null, err), { binary: false });
    new WsWire(this.ws).end(closeWith);
  }

  private async start(): Promise<void> {
    const { hub, config } = this.ctx;
    const p = this.principal;
    const { origin, host, since: rawSince } = this;
    // Only needed here; an idle connection keeps none of its handshake.
    this.origin = this.host = this.since = undefined;
    if (!p) return this.refuse(new AppError('STREAM_AUTH_REQUIRED'));
    if (p.via === 'session' && !originAllowed(origin, host, config.allowedOrigins)) {
      return this.refuse(new AppError('ORIGIN_FORBIDDEN'));
    }
    let position: number;
    try {
      const since = strParam(rawSince, 'since', 32);
      position = await startPosition(hub, since);
    } catch (err) {
      const e = toAppError(err);
      return this.refuse(e, isCursorError(e) ? 'CURSOR_EXPIRED' : e.code);
    }
    if (this.ws.readyState !== this.ws.OPEN) return;
    const session = hub.open(p.user.id, new StreamWire(this.ws), position, p.tokenHash);
    this.session = session;
    session.onClose((code) => {
      // The peer leaving is not a refusal: what it sent before leaving still counts (sends are idempotent by clientMsgId).
      if (code !== 'gone') this.endedWith = code;
      if (code === 'SLOW_CONSUMER')
        this.log.warn({ userId: p.user.id, maxQueueBytes: hub.limits.maxBytes }, 'websocket closed: slow consumer');
    });
    session.send(JSON.stringify({ type: 'hello', cursor: encodeCursor(position), user: p.user }));
    hub.follow(session).catch((err) => {
      const e = toAppError(err);
      if (e.code === 'INTERNAL') this.log.error({ err }, 'websocket catch-up failed');
      session.send(errorFrame(null, e));
      session.close(isCursorError(e) ? 'CURSOR_EXPIRED' : e.code);
    });
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    // binaryType is 'nodebuffer' (the default): every message is one Buffer.
    const parsed = parseClientFrame(data as Buffer, isBinary);
    void this.ready.then(() => {
      const session = this.session;
      if (!session || session.closed) return;
      if (parsed.ok) return this.handle(session, parsed.frame);
      session.send(errorFrame(parsed.ref, parsed.error));
      this.countBadFrame(session);
    });
  }

  private countBadFrame(session: Session): void {
    // Monotonic: a wall-clock jump must neither forgive nor condemn a burst.
    const now = performance.now();
    this.badFrames = (this.badFrames ?? []).filter((t) => now - t < BAD_FRAME_WINDOW_MS);
    this.badFrames.push(now);
    if (this.badFrames.length >= this.ctx.config.wsBadFrameLimit) {
      session.send(errorFrame(null, new AppError('TOO_MANY_BAD_FRAMES')));
      session.close('TOO_MANY_BAD_FRAMES');
    }
  }

  /**
   * Throws once the session has ended. A revoked credential or a deleted
   * account ends it synchronously when this node ingests the event, so a
   * request read before that, but still on its way to the store, checks this
   * last thing before writing (the services call it after their own awaits)
   * and is neither stored nor acknowledged.
   */
  private readonly live = (): void => {
    if (this.endedWith !== null) throw new AppError(this.endedWith);
  };

  private async handle(session: Session, f: ClientFrame): Promise<void> {
    const me = this.principal!.user;
    const { chat } = this.ctx;
    const ack = (extra = '') => session.send('{"type":"ack","ref":' + JSON.stringify(f.ref) + extra + '}');
    try {
      this.live();
      switch (f.type) {
        case 'ping':
          return ack();
        case 'send': {
          this.ctx.limits.send(me.id, this.ip);
          const r = await chat.send(me, idParam(f.conversationId, 'CONVERSATION_NOT_FOUND'), f.body ?? '', f.clientMsgId ?? null, {
            replyTo: f.replyTo === undefined ? null : idParam(f.replyTo, 'MESSAGE_NOT_FOUND'),
            attachments: f.attachments ?? [],
            live: this.live,
          });
          return ack(',"message":' + JSON.stringify(r.message) + ',"duplicate":' + r.duplicate);
        }
        // Edits, deletes and reactions write to the stream like a send and share its budget.
        case 'edit':
          this.ctx.limits.send(me.id, this.ip);
          return ack(
            ',"message":' + JSON.stringify(await chat.editMessage(me, idParam(f.messageId, 'MESSAGE_NOT_FOUND'), f.body, this.live)),
          );
        case 'delete':
          this.ctx.limits.send(me.id, this.ip);
          return ack(',"message":' + JSON.stringify(await chat.deleteMessage(me, idParam(f.messageId, 'MESSAGE_NOT_FOUND'), this.live)));
        case 'react':
          this.ctx.limits.send(me.id, this.ip);
          return ack(
            ',"message":' + JSON.stringify(await chat.react(me, idParam(f.messageId, 'MESSAGE_NOT_FOUND'), f.emoji, f.on, this.live)),
          );
        case 'typing':
          this.ctx.limits.typing(this.ip);
          await this.streams.typing.typing(me, idParam(f.conversationId, 'CONVERSATION_NOT_FOUND'));
          return ack();
        case 'read':
          await chat.markRead(me, idParam(f.conversationId, 'CONVERSATION_NOT_FOUND'), f.upTo, this.live);
          return ack();
      }
    } catch (err) {
      const e = toAppError(err);
      if (e.code === 'INTERNAL') this.log.error({ err }, 'websocket request failed');
      session.send(errorFrame(f.ref, e));
    }
  }
}
