import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeCursor } from '../domain/cursor.js';
import type { Ctx } from '../http/context.js';
import { toAppError } from '../http/errors.js';
import { field, postLimit } from './http.js';
import type { LobbyFeed, LobbyMessage } from './lobby.js';

/**
 * The `/chat` + `/updatemsg` message wall of seed 000 on the lobby:
 *
 *   POST /chat       query            → {code: 0, message: "ok", id, text}
 *   POST /updatemsg  cursor (or none) → {code: 0, message: "ok", history: [{id, text}, ...]}
 *
 * Like the seed's MessageBuffer.get_msg_since, a request without a cursor
 * (the client's first poll sends `cursor=` for null) gets the recent messages
 * at once, and waits only when there are none. Every answer keeps the seed's
 * envelope: `code` 0 is success, 1 "nothing new yet, poll again with the same
 * cursor", and an HTTP error status repeats in `code` with the catalog error.
 */
export const HISTORY_LIMIT = 100;

interface WallMessage {
  id: string;
  text: string;
}

const wallMessage = (m: LobbyMessage): WallMessage => ({ id: m.id, text: m.message.body });

function history(reply: FastifyReply, messages: LobbyMessage[]): FastifyReply {
  if (messages.length === 0) return reply.send({ code: 1, message: 'No new messages yet; poll again with the same cursor.', history: [] });
  return reply.send({ code: 0, message: 'ok', history: messages.map(wallMessage) });
}

export async function wallRoutes(app: FastifyInstance, ctx: Ctx, feed: LobbyFeed): Promise<void> {
  // Errors keep the seed's {code, message} envelope, with the catalog's error beside it.
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toAppError(err);
    if (e.code === 'INTERNAL') req.log.error({ err }, 'unhandled error');
    return reply.code(e.status).send({ code: e.status, message: e.message, error: { code: e.code, message: e.message } });
  });

  app.post('/chat', { config: postLimit(ctx) }, async (req, reply) => {
    const query = field(req, 'query') ?? '';
    const posted = await feed.post(query); // BODY_EMPTY / BODY_TOO_LONG from the domain
    return reply.send({ code: 0, message: 'ok', ...wallMessage(posted) });
  });

  app.post('/updatemsg', async (req, reply) => {
    const raw = field(req, 'cursor');
    const waitMs = ctx.config.maxWaitSeconds * 1000;
    // jQuery sends `cursor=` for the client's initial null; some clients spell it out.
    if (raw === null || raw === '' || raw === 'null' || raw === 'undefined') return history(reply, await recentOrWait(feed, req, reply, waitMs));
    const position = decodeCursor(raw);
    try {
      return history(reply, await feed.poll(position, HISTORY_LIMIT, waitMs, req.ip, reply.raw));
    } catch (err) {
      if ((err as { code?: string }).code !== 'CURSOR_EXPIRED') throw err;
      // The seed answers an id it no longer holds with its whole cache; so do we.
      return history(reply, await recentOrWait(feed, req, reply, waitMs));
    }
  });
}

/** The cached recent messages, or (when there are none) a wait for the next ones. */
async function recentOrWait(feed: LobbyFeed, req: FastifyRequest, reply: FastifyReply, waitMs: number): Promise<LobbyMessage[]> {
  // Cache and head are read together (synchronously): nothing falls between them.
  const recent = feed.recent.slice(-HISTORY_LIMIT);
  const head = feed.head;
  if (recent.length > 0) return recent;
  return feed.poll(head, HISTORY_LIMIT, waitMs, req.ip, reply.raw);
}
