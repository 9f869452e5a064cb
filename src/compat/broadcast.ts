import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { AppError } from '../domain/errors.js';
import type { Ctx } from '../edge/context.js';
import { errorJson, toAppError } from '../edge/errors.js';
import { originAllowed } from './http.js';
import type { LobbyFeed } from './lobby.js';

/**
 * Seed 003's `/msg` WebSocket broadcast room on the lobby. Every text frame a
 * client sends is posted to the lobby (as the guest); every lobby message —
 * from here, from the other legacy adapters or from the v1 API — goes to every
 * /msg socket as a text frame holding just its body, as the seed's
 * `write_message(message)` did (the sender gets its own back, as in the seed).
 *
 * Not in the seed, because a shared server needs them: a frame the lobby
 * refuses (empty, over 4000 characters, too fast) is answered to its sender
 * only with `{"error": {"code", "message"}}`; binary frames close with 1003;
 * a reader that falls 1 MiB behind is closed with 4001; the number of sockets
 * is bounded overall and per IP (config.legacyMaxSockets, legacySocketsPerIp).
 */
const MAX_BUFFERED = 1 << 20;
/** Frames queued for posting on one socket before it is told to slow down. */
const MAX_PENDING_POSTS = 16;

/**
 * Registers @fastify/websocket once for the whole app. The v1 transport
 * (src/transports/websocket.ts) may already have registered it at the root;
 * registering twice would fail on the `websocketServer` decorator. Either way
 * ws refuses frames over config.wsMaxPayloadBytes (close 1009); 4000
 * characters are at most 16,000 bytes of UTF-8.
 */
export async function ensureWebsocketPlugin(app: FastifyInstance, maxPayload: number): Promise<void> {
  if (app.hasDecorator('websocketServer')) return;
  await app.register(websocket, { options: { maxPayload } });
}

export async function broadcastRoutes(app: FastifyInstance, ctx: Ctx, feed: LobbyFeed): Promise<() => void> {
  const sockets = new Set<WebSocket>();
  const perIp = new Map<string, number>();

  const stop = feed.onMessages((messages) => {
    for (const socket of sockets) {
      if (socket.readyState !== socket.OPEN) continue;
      if (socket.bufferedAmount > MAX_BUFFERED) {
        slowConsumer(socket);
        continue;
      }
      for (const m of messages) socket.send(m.message.body);
    }
  });

  app.route({
    method: 'GET',
    url: '/msg',
    onRequest: async (req) => {
      if (!req.ws) return;
      // A browser always sends Origin on a WebSocket upgrade; a client without one is not a web page.
      if (req.headers.origin !== undefined && !originAllowed(req.headers.origin, req, ctx)) throw new AppError('ORIGIN_FORBIDDEN');
      if (sockets.size >= ctx.config.legacyMaxSockets) throw new AppError('RATE_LIMITED', 'Too many /msg connections; try again shortly.');
      if ((perIp.get(req.ip) ?? 0) >= ctx.config.legacySocketsPerIp)
        throw new AppError('RATE_LIMITED', 'Too many /msg connections from your address.');
    },
    handler: async () => {
      throw new AppError('BAD_REQUEST', 'GET /msg is a WebSocket endpoint: open it with new WebSocket("ws://…/msg").');
    },
    wsHandler: (socket: WebSocket, req: FastifyRequest) => {
      // Registered before anything else can happen, so a client's "open" means it will hear the next message.
      sockets.add(socket);
      const ip = req.ip;
      perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
      const windowMs = 10_000;
      const budget = ctx.config.rateLimits.send;
      let windowStart = performance.now(); // monotonic: a wall-clock jump must not stretch the window
      let used = 0;
      let pending = 0;
      let chain: Promise<void> = Promise.resolve();

      socket.on('message', (data, isBinary) => {
        if (isBinary) {
          socket.close(1003, 'Send text frames');
          return;
        }
        const now = performance.now();
        if (now - windowStart >= windowMs) {
          windowStart = now;
          used = 0;
        }
        if (++used > budget || pending >= MAX_PENDING_POSTS) {
          if (socket.readyState === socket.OPEN) socket.send(errorJson(new AppError('RATE_LIMITED')));
          return;
        }
        const text = Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Array.isArray(data)
            ? Buffer.concat(data).toString('utf8')
            : Buffer.from(data).toString('utf8');
        pending++;
        // One post at a time per socket, so a client's frames reach the lobby in the order sent.
        chain = chain.then(async () => {
          try {
            await feed.post(text);
          } catch (err) {
            const e = toAppError(err);
            if (e.code === 'INTERNAL') req.log.error({ err }, 'compat /msg post failed');
            if (socket.readyState === socket.OPEN) socket.send(errorJson(e));
          } finally {
            pending--;
          }
        });
      });
      socket.on('close', () => {
        if (!sockets.delete(socket)) return;
        const n = (perIp.get(ip) ?? 1) - 1;
        if (n <= 0) perIp.delete(ip);
        else perIp.set(ip, n);
      });
    },
  });

  return () => {
    stop();
    for (const s of sockets) s.close(1001, 'Server shutting down');
  };
}

function slowConsumer(socket: WebSocket): void {
  socket.close(4001, 'Fell behind; reconnect');
  setTimeout(() => socket.terminate(), 5000).unref();
}
