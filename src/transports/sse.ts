import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { encodeCursor } from '../domain/cursor.js';
import { AppError, type ErrorCode } from '../domain/errors.js';
import type { LogEntry } from '../hub/event-log.js';
import type { Session, Wire } from '../hub/session.js';
import { requireUser } from '../http/auth-hooks.js';
import type { Ctx } from '../http/context.js';
import { toAppError } from '../http/errors.js';
import { strParam } from '../http/query.js';
import { errorJson, isCursorError, setupStreams, sliced, startPosition } from './streams.js';

/** A comment line every so often keeps proxies from timing the stream out and detects dead peers. */
export const SSE_HEARTBEAT_MS = 15_000;
const HEARTBEAT = Buffer.from(': hb\n\n');
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
    const since = typeof lastEventId === 'string' && lastEventId !== '' ? strParam(lastEventId, 'Last-Event-ID', 32) : strParam(req.query.since, 'since', 32);

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
      if (code === 'SLOW_CONSUMER') req.log.warn({ userId: me.id, maxQueueBytes: hub.limits.maxBytes }, 'event stream closed: slow consumer');
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
   * A slow consumer cannot read a goodbye stuck behind its backlog: its
   * connection is dropped and it resumes from Last-Event-ID. Otherwise the
   * reason goes out as an `error` event before the response ends (a revoked
   * credential `SESSION_REVOKED`, a deleted account `ACCOUNT_DELETED`: the
   * client must not reconnect with the same credential).
   */
  end(code: ErrorCode): void {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return;
    if (code === 'SLOW_CONSUMER') {
      res.destroy();
      return;
    }
    res.end(namedEvent('error', errorJson(new AppError(code))));
    const t = setTimeout(() => res.destroy(), END_GRACE_MS);
    res.once('close', () => clearTimeout(t));
  }
}
