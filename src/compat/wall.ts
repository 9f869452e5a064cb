import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeCursor } from '../domain/cursor.js';
import type { Ctx } from '../edge/context.js';
import { toAppError } from '../edge/errors.js';
import { field, htmlSafeJson, postLimit } from './http.js';
import type { LobbyFeed, LobbyMessage } from './lobby.js';

/**
 * The `/chat` + `/updatemsg` message wall of seed 000 on the lobby:
 *
 *   POST /chat       query            → {code: 0, message: "ok", id, text}
 *   POST /updatemsg  cursor (or none) → {code: 0, message: "ok", history: [{id, text}, ...]}
 *
 * Answered the way the seed's Tornado server answered, because its client
 * depends on it:
 * - `self.write(json.dumps(res))` is sent as `text/html; charset=UTF-8`, and
 *   jQuery hands the client a string for it, which the client `JSON.parse`s
 *   (an application/json answer arrives already parsed and that call throws).
 *   The JSON carries no "<", ">" or "&" (\u escapes), and the answer has
 *   nosniff and a CSP that allows nothing, so it cannot act as a page.
 * - A poll is held until a message comes. The client polls again only after
 *   `code == 0` with a non-empty history (it reads the last entry's id), so no
 *   "nothing yet" answer exists for it. Every maxWaitSeconds of silence the
 *   server writes one space instead (JSON.parse skips leading whitespace), so
 *   proxies see a live response and a vanished client is noticed.
 *
 * Like the seed's MessageBuffer.get_msg_since, a request without a cursor
 * (the client's first poll sends `cursor=` for null) gets the recent messages
 * at once, and waits only when there are none. An HTTP error status repeats
 * in `code`, with the catalog error beside it.
 */
export const HISTORY_LIMIT = 100;

const HTML = 'text/html; charset=UTF-8';

interface WallMessage {
  id: string;
  text: string;
}

const wallMessage = (m: LobbyMessage): WallMessage => ({ id: m.id, text: m.message.body });

/** The headers of every wall answer: a string for jQuery, and nothing a browser could run or sniff. */
function wallHeaders(reply: FastifyReply, status: number): FastifyReply {
  return reply
    .code(status)
    .type(HTML)
    .header('Cache-Control', 'no-store')
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; sandbox");
}

function envelope(err: unknown): { status: number; body: unknown } {
  const e = toAppError(err);
  return { status: e.status, body: { code: e.status, message: e.message, error: { code: e.code, message: e.message } } };
}

/**
 * A /updatemsg answer that may have to wait long: sent as usual when it is
 * ready within maxWaitSeconds; otherwise its headers (200) go out with the
 * first keep-alive space and the JSON follows when it is ready.
 */
class HeldAnswer {
  private stream: PassThrough | null = null;

  constructor(private readonly reply: FastifyReply) {}

  /** One space: the response is alive. */
  readonly beat = (): void => {
    if (!this.stream) {
      this.stream = new PassThrough();
      this.stream.on('error', () => undefined); // the client went away; the waiter is released by the connection's close
      wallHeaders(this.reply, 200).send(this.stream);
    }
    if (this.writable()) this.stream.write(' ');
  };

  private writable(): boolean {
    return !!this.stream && !this.stream.destroyed && !this.stream.writableEnded && !this.reply.raw.destroyed;
  }

  /** The final JSON. An error after the headers went out keeps the 200 and carries its status in `code`. */
  finish(status: number, body: unknown): FastifyReply {
    if (!this.stream) return wallHeaders(this.reply, status).send(htmlSafeJson(body));
    if (this.writable()) this.stream.end(htmlSafeJson(body));
    return this.reply;
  }
}

export async function wallRoutes(app: FastifyInstance, ctx: Ctx, feed: LobbyFeed): Promise<void> {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = envelope(err);
    if (status >= 500) req.log.error({ err }, 'compat wall error');
    return wallHeaders(reply, status).send(htmlSafeJson(body));
  });

  app.post('/chat', postLimit(ctx), async (req, reply) => {
    const query = field(req, 'query') ?? '';
    const posted = await feed.post(query); // BODY_EMPTY / BODY_TOO_LONG from the domain
    return wallHeaders(reply, 200).send(htmlSafeJson({ code: 0, message: 'ok', ...wallMessage(posted) }));
  });

  app.post('/updatemsg', async (req, reply) => {
    const raw = field(req, 'cursor');
    const answer = new HeldAnswer(reply);
    const waitMs = ctx.config.maxWaitSeconds * 1000;
    let gone = false;
    reply.raw.once('close', () => (gone = true));
    // Waits from `position` until there is a message, the client leaves, or the server shuts down.
    const hold = async (position: number): Promise<LobbyMessage[]> => {
      for (;;) {
        const messages = await feed.poll(position, HISTORY_LIMIT, waitMs, req.ip, reply.raw, answer.beat);
        // poll() answers [] only when the wait ended (client gone, shutdown) or memory kept falling behind the log.
        if (messages.length > 0 || gone || feed.closing) return messages;
      }
    };
    let messages: LobbyMessage[];
    try {
      // jQuery sends `cursor=` for the client's initial null; some clients spell it out.
      if (raw === null || raw === '' || raw === 'null' || raw === 'undefined') messages = await recentOrHold(feed, hold);
      else {
        const position = decodeCursor(raw);
        try {
          messages = await hold(position);
        } catch (err) {
          if ((err as { code?: string }).code !== 'CURSOR_EXPIRED') throw err;
          // The seed answers an id it no longer holds with its whole cache; so do we.
          messages = await recentOrHold(feed, hold);
        }
      }
    } catch (err) {
      const { status, body } = envelope(err);
      if (status >= 500) req.log.error({ err }, 'compat wall poll failed');
      return answer.finish(status, body);
    }
    if (messages.length > 0) return answer.finish(200, { code: 0, message: 'ok', history: messages.map(wallMessage) });
    // Only a shutdown or a departed client gets here; the seed's client stops on it, as it stopped when its server went away.
    return answer.finish(200, { code: 1, message: 'The server is restarting; reload the page.', history: [] });
  });
}

type Hold = (position: number) => Promise<LobbyMessage[]>;

/** The cached recent messages, or (when there are none) a hold for the next ones. */
async function recentOrHold(feed: LobbyFeed, hold: Hold): Promise<LobbyMessage[]> {
  // Cache and head are read together (synchronously): nothing falls between them.
  const recent = feed.recent.slice(-HISTORY_LIMIT);
  const head = feed.head;
  if (recent.length > 0) return recent;
  return hold(head);
}
