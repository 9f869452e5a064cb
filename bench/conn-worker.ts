/**
 * One load-generator process of the connections scenario (forked by
 * bench/lib/scenarios.ts). Opens BENCH_COUNT WebSockets to BENCH_URL from the
 * loopback source addresses BENCH_LOCAL (comma-separated, used in turn), each authenticated with a bearer token,
 * holds them, reports progress to the parent over IPC, and exits on "exit".
 */
import fs from 'node:fs';
import WebSocket from 'ws';

const url = new URL('/api/v1/ws', process.env.BENCH_URL);
url.protocol = 'ws:';
const tokens = JSON.parse(fs.readFileSync(process.env.BENCH_TOKENS!, 'utf8')) as string[];
const offset = Number(process.env.BENCH_OFFSET ?? 0);
const count = Number(process.env.BENCH_COUNT ?? 0);
const localAddrs = (process.env.BENCH_LOCAL || '').split(',').filter(Boolean);
const deadline = performance.now() + Number(process.env.BENCH_DEADLINE_MS ?? 30_000);
const deflate = process.env.BENCH_DEFLATE === '1';

const report = {
  ok: 0,
  failed: 0,
  firstError: undefined as string | undefined,
  closedByServer: 0,
  lastCloseCode: undefined as number | undefined,
  done: false,
};
const sockets: WebSocket[] = [];
let consecutiveFailures = 0;
let stopping = false;

const send = () => process.send?.(report);
const timer = setInterval(send, 500);

function openOne(i: number): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${tokens[(offset + i) % tokens.length]}` },
      perMessageDeflate: deflate,
      localAddress: localAddrs.length ? localAddrs[i % localAddrs.length] : undefined,
      handshakeTimeout: 15_000,
    } as WebSocket.ClientOptions);
    const done = (ok: boolean, err?: string) => {
      if (settled) return;
      settled = true;
      if (ok) {
        report.ok++;
        consecutiveFailures = 0;
        sockets.push(ws);
      } else {
        report.failed++;
        consecutiveFailures++;
        report.firstError ??= err;
        ws.terminate();
      }
      resolve();
    };
    // Counted as open once the server says hello: it has registered the subscriber.
    ws.on('message', (d: Buffer) => {
      if (!settled && d.toString().includes('"hello"')) done(true);
    });
    ws.on('unexpected-response', (_req, res) => done(false, `upgrade refused: HTTP ${res.statusCode}`));
    ws.on('error', (e) => done(false, (e as NodeJS.ErrnoException).code ?? e.message));
    ws.on('close', (code) => {
      if (!settled) done(false, `closed before hello: ${code}`);
      else if (!stopping && sockets.includes(ws)) {
        report.closedByServer++;
        report.lastCloseCode = code;
      }
    });
  });
}

let next = 0;
async function worker(): Promise<void> {
  while (next < count && performance.now() < deadline && consecutiveFailures < 200) {
    await openOne(next++);
  }
}
await Promise.all(Array.from({ length: 64 }, worker));
report.done = true;
send();

process.on('message', (m) => {
  if (m === 'close') {
    stopping = true;
    for (const s of sockets) s.terminate();
    sockets.length = 0;
    report.ok = 0;
    send();
  }
  if (m === 'exit') {
    stopping = true;
    clearInterval(timer);
    for (const s of sockets) s.terminate();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
