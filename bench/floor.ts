/**
 * What this machine allows one core, with no chat server at all — the floor
 * under the fan-out and long-poll targets (docs/benchmarks.md, "Limits").
 *
 *   npm run bench:floor [-- --sockets 15000 --rounds 5 --pollers 2000 --seconds 5]
 *
 * 1. write round: a bare `net` server (pinned to CPU 0) holding N sockets writes
 *    one 200-byte buffer to each — one loopback TCP write per socket, which is
 *    the least any server pays to push one message to N clients. Reports the
 *    time and the kernel's share of it per round.
 * 2. bare HTTP: a `node:http` server (CPU 0) answering every request with a
 *    constant 200-byte JSON body; keep-alive clients (CPU 1) each send the next
 *    request as soon as the answer arrives — the most polls per second a Node
 *    HTTP server can answer here, whatever it does per poll.
 * The generator side runs in this process (pin it with `taskset -c 1`, as
 * `npm run bench:floor` does). Bounded: every phase stops by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { RawHttpConn } from './lib/raw-http.js';
import { hasTaskset } from './lib/procs.js';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '15000' },
    rounds: { type: 'string', default: '5' },
    pollers: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
  },
});
const SOCKETS = Number(values.sockets);
const ROUNDS = Number(values.rounds);
const POLLERS = Number(values.pollers);
const SECONDS = Number(values.seconds);
const ADDRS = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}`);

/** A tiny server program, run in its own process on CPU 0. */
const WRITE_SERVER = `
const net = require('node:net'); const fs = require('node:fs');
const socks = []; const payload = Buffer.alloc(200, 0x61);
const cpu = () => { const f = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return [Number(f[11]), Number(f[12])]; };
const srv = net.createServer((s) => { s.setNoDelay(true); socks.push(s); s.on('error', () => {}); s.on('data', (d) => {
  if (d[0] !== 0x47) return;
  const c0 = cpu(); const t0 = process.hrtime.bigint();
  for (const x of socks) x.write(payload);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6; const c1 = cpu();
  s.write(JSON.stringify({ ms, user: c1[0] - c0[0], sys: c1[1] - c0[1], sockets: socks.length }) + '\\n');
}); });
srv.listen(0, '127.0.0.1', 4096, () => process.stdout.write(JSON.stringify({ port: srv.address().port }) + '\\n'));`;

const HTTP_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ events: [], cursor: 'c1', more: false, pad: 'x'.repeat(160) });
const srv = http.createServer((req, res) => { res.writeHead(200, ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))]); res.end(body); });
srv.keepAliveTimeout = 72000;
srv.listen(0, '127.0.0.1', 4096, () => process.stdout.write(JSON.stringify({ port: srv.address().port }) + '\\n'));`;

function startServer(code: string): Promise<{ child: ChildProcess; port: number }> {
  const args = ['-e', code];
  const child = hasTaskset
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: JSON.parse(d.toString()).port }));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function writeRound(): Promise<void> {
  const { child, port } = await startServer(WRITE_SERVER);
  const socks: net.Socket[] = [];
  let received = 0;
  for (let i = 0; i < SOCKETS; i += 200) {
    await Promise.all(
      Array.from(
        { length: Math.min(200, SOCKETS - i) },
        (_, j) =>
          new Promise<void>((resolve, reject) => {
            const s = net.connect({ port, host: '127.0.0.1', localAddress: ADDRS[(i + j) % ADDRS.length] }, () => resolve());
            s.on('data', () => {
              received++;
            });
            s.once('error', reject);
            socks.push(s);
          }),
      ),
    );
  }
  const control = socks[0]!;
  const rows: Array<{ ms: number; sysShare: number }> = [];
  let line = '';
  control.on('data', (d: Buffer) => {
    line += d.toString('latin1');
  });
  for (let r = 0; r < ROUNDS; r++) {
    line = '';
    control.write('G');
    const t = Date.now();
    while (!line.includes('\n') && Date.now() - t < 10_000) await new Promise((res) => setTimeout(res, 5));
    const m = /\{[^}]*\}/.exec(line);
    if (!m) throw new Error('no answer from the write server');
    const j = JSON.parse(m[0]);
    rows.push({ ms: j.ms, sysShare: j.user + j.sys > 0 ? j.sys / (j.user + j.sys) : 0 });
    await new Promise((res) => setTimeout(res, 300));
  }
  for (const s of socks) s.destroy();
  child.kill();
  const ms = median(rows.map((r) => r.ms));
  console.log(
    `| write round: 200 B to each of ${SOCKETS.toLocaleString('en')} sockets | median ${ms.toFixed(0)} ms (${rows.map((r) => r.ms.toFixed(0)).join(', ')}) | ${((ms * 1000) / SOCKETS).toFixed(1)} µs per write, kernel ${Math.round(median(rows.map((r) => r.sysShare)) * 100)} % | at 10 msg/s: ${(ms / 100).toFixed(2)} cores |`,
  );
  void received;
}

async function bareHttp(): Promise<void> {
  const { child, port } = await startServer(HTTP_SERVER);
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  const head = `GET /api/v1/sync?since=c1&wait=25&limit=1000 HTTP/1.1\r\nauthorization: Bearer hb_${'x'.repeat(43)}\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: POLLERS }, async (_, i) => {
      const c = new RawHttpConn('127.0.0.1', port, ADDRS[i % ADDRS.length]);
      try {
        while (performance.now() < end) {
          await c.request(head);
          done++;
        }
      } finally {
        c.destroy();
      }
    }),
  );
  child.kill();
  const rate = done / ((performance.now() - t0) / 1000);
  console.log(
    `| bare node:http, ${POLLERS.toLocaleString('en')} keep-alive clients, ${SECONDS} s | ${Math.round(rate).toLocaleString('en')} requests/s | 5,000 long pollers at 10 msg/s need 50,000/s unbatched | round for 5,000 pollers ≥ ${Math.round((5000 / rate) * 1000)} ms |`,
  );
}

console.log('| floor | measured | per unit | meaning |\n|---|--:|--:|---|');
await writeRound();
await bareHttp();
process.exit(0);
