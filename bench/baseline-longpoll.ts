/**
 * A naive long-poll chat room: the baseline for hubbub's long poll in the wire
 * scenario. It is the Tornado chat room of the issue's reference (MessageBuffer,
 * ChatHandler, UpdateMsgHandler), ported to Node's `http` module byte for byte
 * on the wire:
 *
 *   POST /chat       form field `query`  → appends {id: uuid4, text: query}; 200, empty body
 *   POST /updatemsg  form field `cursor` (the last id seen) → 200
 *                    {"code": 0, "message": "ok", "history": [messages after cursor]}
 *                    at once when there are some, otherwise when the next one arrives
 *
 * Faithful to Tornado 6.4.1 where it shows on the wire:
 * - the body is Python's `json.dumps(res)` (", " and ": " separators, non-ASCII as \uXXXX)
 *   written as a str, so Content-Type stays Tornado's default;
 * - response headers are exactly RequestHandler's defaults plus what finish() adds, in
 *   Tornado's order: `Server: TornadoServer/6.4.1`, `Content-Type: text/html; charset=UTF-8`,
 *   `Date`, `Content-Length` (no Etag: Tornado only adds it to GET/HEAD). Like Tornado on an
 *   HTTP/1.1 keep-alive connection, no `Connection` or `Keep-Alive` header (Node's are removed);
 * - `get_msg_since(cursor)` walks the buffer from the newest message back to the cursor, so an
 *   unknown cursor (or none) gets the whole buffer.
 * Added to the reference: the buffer keeps the last 1,000 messages, at most 20,000 polls wait
 * (more get 503), a waiting poll is answered with an empty history after 25 s, and a poll whose
 * client went away stops waiting. The reference's `uuid.uuid4()` is sent as its string (a raw
 * UUID does not serialize).
 *
 *   node --import tsx bench/baseline-longpoll.ts [--port 0] [--host 127.0.0.1]
 *
 * Prints {"ready":true,"port":N,"pid":P}. GET /__bench/stats (memory, waiters, messages);
 * POST /__bench/gc runs a GC (with --expose-gc).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, 'data-dir': { type: 'string' } },
});

const CACHE_SIZE = 1000;
const MAX_WAITERS = 20_000;
const WAIT_MS = 25_000;
const MAX_BODY = 64 * 1024;

interface Msg {
  id: string;
  text: string;
}
interface Waiter {
  cursor: string | null;
  res: http.ServerResponse;
  timer: NodeJS.Timeout;
}

const cache: Msg[] = [];
const waiters = new Set<Waiter>();

/** Messages after `cursor`, oldest first (the reference's get_msg_since). */
function msgsSince(cursor: string | null): Msg[] {
  const out: Msg[] = [];
  for (let i = cache.length - 1; i >= 0; i--) {
    if (cache[i]!.id === cursor) break;
    out.push(cache[i]!);
  }
  return out.reverse();
}

/** A string as Python's json.dumps writes it (ensure_ascii: everything outside ' '…'~' escaped). */
function pyStr(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** json.dumps({'code': 0, 'message': 'ok', 'history': msgs}) */
function historyJson(msgs: Msg[]): string {
  return `{"code": 0, "message": "ok", "history": [${msgs.map((m) => `{"id": ${pyStr(m.id)}, "text": ${pyStr(m.text)}}`).join(', ')}]}`;
}

/** What a Tornado RequestHandler sends for a str body (and nothing Node would add). */
function tornadoReply(res: http.ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(body, 'utf8');
  res.removeHeader('Connection'); // keep-alive stays on, but no "Connection"/"Keep-Alive" header
  res.sendDate = false; // Date is set below, in Tornado's place
  res.writeHead(status, {
    Server: 'TornadoServer/6.4.1',
    'Content-Type': 'text/html; charset=UTF-8',
    Date: new Date().toUTCString(),
    'Content-Length': buf.length,
  });
  res.end(buf);
}

/** Tornado's get_argument: the last value from the query string or the form body, stripped. */
function argument(req: http.IncomingMessage, body: string, name: string): string | null {
  const q = req.url!.indexOf('?');
  const vals = [...new URLSearchParams(q >= 0 ? req.url!.slice(q + 1) : '').getAll(name)];
  if (/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) vals.push(...new URLSearchParams(body).getAll(name));
  const v = vals.at(-1);
  return v === undefined ? null : v.trim();
}

function addMsg(text: string): void {
  cache.push({ id: randomUUID(), text });
  if (cache.length > CACHE_SIZE) cache.splice(0, cache.length - CACHE_SIZE);
  // notify_all: every waiting poll looks again.
  for (const w of waiters) {
    const msgs = msgsSince(w.cursor);
    if (msgs.length) finishWaiter(w, historyJson(msgs));
  }
}

function finishWaiter(w: Waiter, body: string): void {
  if (!waiters.delete(w)) return;
  clearTimeout(w.timer);
  tornadoReply(w.res, 200, body);
}

function updateMsg(cursor: string | null, res: http.ServerResponse): void {
  const msgs = msgsSince(cursor);
  if (msgs.length) return tornadoReply(res, 200, historyJson(msgs));
  if (waiters.size >= MAX_WAITERS)
    return tornadoReply(res, 503, '<html><title>503: Service Unavailable</title><body>503: Service Unavailable</body></html>');
  const w: Waiter = { cursor, res, timer: setTimeout(() => finishWaiter(w, historyJson([])), WAIT_MS) };
  waiters.add(w);
  res.on('close', () => {
    if (waiters.delete(w)) clearTimeout(w.timer);
  });
}

const server = http.createServer((req, res) => {
  const path = req.url!.split('?')[0];
  if (req.method === 'POST' && path === '/__bench/gc') {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      gc();
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ gc: Boolean(gc) }));
    req.resume();
    return;
  }
  if (path === '/__bench/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ memory: process.memoryUsage(), waiters: waiters.size, messages: cache.length }));
    req.resume();
    return;
  }
  if (req.method !== 'POST' || (path !== '/chat' && path !== '/updatemsg')) {
    req.resume();
    return tornadoReply(res, 404, '<html><title>404: Not Found</title><body>404: Not Found</body></html>');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (path === '/chat') {
      const query = argument(req, body, 'query') ?? '';
      if (query !== '') addMsg(query);
      tornadoReply(res, 200, '');
    } else {
      updateMsg(argument(req, body, 'cursor'), res);
    }
  });
});
// Tornado keeps an idle keep-alive connection for an hour (idle_connection_timeout = 3600 s).
server.keepAliveTimeout = 3600_000;
server.headersTimeout = 60_000;
server.requestTimeout = 0;

server.listen(Number(values.port), values.host, () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(JSON.stringify({ ready: true, port, pid: process.pid }) + '\n');
});

const stop = () => {
  for (const w of waiters) clearTimeout(w.timer);
  waiters.clear();
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
