/**
 * The practical upper bound on Node: a minimal `ws` broadcast server with a
 * trivial protocol. Every text frame a client sends is written, unchanged, to
 * every connected client (the sender included, which is its acknowledgement).
 * No auth, no storage, no parsing, no cursor: what is left is the cost of
 * WebSocket framing and socket writes.
 *
 *   node --import tsx bench/baseline-ws.ts [--port 0] [--host 127.0.0.1]
 *
 * Prints {"ready":true,"port":N,"pid":P}. POST /__bench/gc runs a GC (with --expose-gc).
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer, WebSocket } from 'ws';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, 'data-dir': { type: 'string' } },
});

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/__bench/gc') {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      gc();
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ gc: Boolean(gc) }));
    return;
  }
  if (req.url === '/__bench/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ memory: process.memoryUsage(), clients: wss.clients.size }));
    return;
  }
  res.statusCode = 404;
  res.end();
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(data, { binary: isBinary });
  });
  ws.on('error', () => undefined);
});

server.listen(Number(values.port), values.host, () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(JSON.stringify({ ready: true, port, pid: process.pid }) + '\n');
});

const stop = () => {
  for (const c of wss.clients) c.terminate();
  wss.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
