/**
 * Starts a hubbub node for the benchmark and prints one JSON line on stdout:
 * {"ready":true,"port":N,"pid":P,"dataDir":"…"}.
 *
 *   node --import tsx bench/server.ts [--port 0] [--data-dir DIR] [--host 127.0.0.1]
 *
 * Temp data dir unless given, high rate limits, silent logs, cheap scrypt.
 * Extra routes for the load generator (bench only, not part of the server):
 *   GET  /__bench/stats  → process memory and hub stats
 *   POST /__bench/gc     → runs a full GC when started with --expose-gc
 *   POST /__bench/heapsnapshot → writes a V8 heap snapshot to the temp dir, answers its path
 * SIGTERM/SIGINT close the server and exit 0 (so --cpu-prof profiles are written).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { LISTEN_BACKLOG } from '../src/serve.js';
import { createServer } from '../src/server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string' },
  },
});

const dataDir = values['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-bench-'));
const tempDir = values['data-dir'] === undefined;
const big = 1_000_000_000;

const server = await createServer(
  {
    dataDir,
    host: values.host,
    port: Number(values.port),
    logLevel: 'silent',
    scryptCost: 1 << 10,
    // Every simulated client comes from 127.0.0.1: the per-address caps would stop the load generator, not measure the server.
    maxConnectionsPerIp: big,
    rateLimits: {
      login: big,
      loginPerIp: big,
      register: big,
      send: big,
      typing: big,
      friendRequests: big,
      sendPerIp: big,
      typingPerIp: big,
      friendRequestsPerIp: big,
    },
  },
  {
    extensions: [
      (app, ctx) => {
        app.get('/__bench/stats', async () => ({ memory: process.memoryUsage(), hub: ctx.hub.stats() }));
        app.post('/__bench/heapsnapshot', async () => {
          const gc = (globalThis as { gc?: () => void }).gc;
          if (gc) gc();
          return { file: v8.writeHeapSnapshot(path.join(os.tmpdir(), `hubbub-bench-${process.pid}-${Date.now()}.heapsnapshot`)) };
        });
        app.post('/__bench/gc', async () => {
          const gc = (globalThis as { gc?: () => void }).gc;
          if (gc) {
            gc();
            gc();
          }
          return { gc: Boolean(gc) };
        });
      },
    ],
  },
);

await server.app.listen({ host: values.host, port: Number(values.port), backlog: LISTEN_BACKLOG });
const addr = server.app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : Number(values.port);
process.stdout.write(JSON.stringify({ ready: true, port, pid: process.pid, dataDir }) + '\n');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Open sockets (WebSockets, long polls) can hold close() up; don't wait for ever.
  const force = setTimeout(() => process.exit(0), 5000);
  force.unref();
  try {
    server.app.server.closeAllConnections?.();
    await server.close();
  } catch {
    /* exiting anyway */
  }
  if (tempDir) fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
