import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { encodeCursor } from '../domain/cursor.js';
import { AppError, type ErrorCode } from '../domain/errors.js';
import type { LogEntry } from '../hub/event-log.js';
import type { Wire } from '../hub/ports.js';
import type { Session } from '../hub/session.js';
import { requireUser } from '../edge/credentials.js';
import type { Ctx } from '../edge/context.js';
import { errorJson, toAppError } from '../edge/errors.js';
import { strParam } from '../edge/query.js';
import { CLOSE_GRACE_MS, isCursorError, setupStreams, sliced, startPosition } from './streams.js';

/** A comment line every so often keeps proxies from timing the stream out and detects dead peers. */
export const SSE_HEARTBEAT_MS = 15_000;
const HEARTBEAT = Buffer.from(': hb\n\n');
/** How long a reader that is reading gets to take a goodbye before its socket is dropped (shutdown, revocation). */
const END_GRACE_MS = 2_000;

/** `id: <cursor>` + `data: <event>`, built once per entry and shared by every stream. */
export function sseEntryBytes(e: LogEntry): Buffer {
  return (e.sse ??= Buffer.from('id: ' + encodeCursor(e.seq) + '\ndata: ' + e.frame + '\n\n'));
}

function namedEvent(name: string, json: string): Buffer {
  return Buffer.from('event: ' + name + '\ndata: ' + json + '\n\n');
}

/**
 * GET /api/v1/events — the stream as Server-Sent Events. Resumes from
 * `Last-Event-ID` (what EventSource sends when it reconnects) or `?since=`;
 * with neither, from the head. A closed connection detaches at once.
 */
export async function sseRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  setupStreams(app, ctx);
  const { hub } = ctx;
  const live = new Set<Session>();
  const heartbeat = sliced(live, SSE_HEARTBEAT_MS, (s) => s.push(HEARTBEAT));
  heartbeat.unref();
  app.addHook('onClose', async () => clearInterval(heartbeat));

  app.get<{ Querystring: { since?: string } }>('/api/v1/events', async (req, reply) => {
    const principal = requireUser(req);
    const me = principal.user;
    const lastEventId = req.headers['last-event-id'];
    const since =
      typeof lastEventId === 'string' && lastEventId !== ''
        ? strParam(lastEventId, 'Last-Event-ID', 32)
        : strParam(req.query.since, 'since', 32);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    res.flushHeaders();

    let position: number;
    try {
      position = await startPosition(hub, since);
    } catch (err) {
      const e = toAppError(err);
      res.end(namedEvent('error', errorJson(e)));
      return;
    }
    if (res.destroyed || res.writableEnded) return;

    const session = hub.open(me.id, new SseWire(res), position, principal.tokenHash);
    live.add(session);
    session.onClose((code) => {
      live.delete(session);
      if (code === 'SLOW_CONSUMER')
        req.log.warn({ userId: me.id, maxQueueBytes: hub.limits.maxBytes }, 'event stream closed: slow consumer');
    });
    res.once('close', () => session.gone());
    session.push(namedEvent('hello', JSON.stringify({ cursor: encodeCursor(position) })));
    hub.follow(session).catch((err) => {
      const e = toAppError(err);
      if (e.code === 'INTERNAL') req.log.error({ err }, 'event stream catch-up failed');
      session.close(isCursorError(e) ? 'CURSOR_EXPIRED' : e.code);
    });
  });
}

class SseWire implements Wire {
  readonly kind = 'sse';

  constructor(private readonly res: ServerResponse) {}

  encode(e: LogEntry): Buffer {
    return sseEntryBytes(e);
  }

  encodeFrame(json: string): Buffer {
    return Buffer.from('data: ' + json + '\n\n');
  }

  write(data: Buffer, done: () => void): void {
    this.res.write(data, () => done());
  }

  /**
   * The reason goes out as an `error` event after what the stream already
   * carries, and the response ends: a revoked credential `SESSION_REVOKED`,
   * a deleted account `ACCOUNT_DELETED` (the client must not reconnect with
   * the same credential), a slow consumer `SLOW_CONSUMER` (it resumes from
   * Last-Event-ID). A slow consumer's queue is gone by now: before the event
   * come only whole records already handed to the socket, which a paused
   * reader gets when it reads again, so its connection is kept for
   * CLOSE_GRACE_MS as a WebSocket's is; dropping it at once cut the stream
   * mid-record with no word of why.
   */
  end(code: ErrorCode): void {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return;
    res.end(namedEvent('error', errorJson(new AppError(code))));
    const t = setTimeout(() => res.destroy(), code === 'SLOW_CONSUMER' ? CLOSE_GRACE_MS : END_GRACE_MS);
    res.once('close', () => clearTimeout(t));
  }
}
