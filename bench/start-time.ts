/**
 * Time from starting the server to its first `/readyz` 200, median of N
 * starts (npm run bench:start). Each start gets a fresh data directory and a
 * fresh port; the command is what `npm start` runs once a build exists
 * (scripts/start.sh: the freshness check, then bin/hubbub.js serve).
 *
 *   node --import tsx bench/start-time.ts [--runs 5] [--cmd "bash scripts/start.sh"]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT_DIR } from './lib/procs.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    cmd: { type: 'string', default: 'bash scripts/start.sh' },
  },
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function readyAfter(deadlineMs: number, port: number, t0: number): Promise<number> {
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status === 200) return performance.now() - t0;
    } catch {
      /* not listening yet */
    }
    if (performance.now() - t0 > deadlineMs) throw new Error('not ready within the deadline');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const times: number[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-start-'));
  const [cmd, ...args] = values.cmd.split(' ');
  const t0 = performance.now();
  const child = spawn(cmd!, [...args, '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], {
    cwd: ROOT_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, HUBBUB_LOG_LEVEL: 'warn' },
  });
  try {
    const ms = await readyAfter(30_000, port, t0);
    times.push(ms);
    process.stderr.write(`start ${i + 1}: ready after ${ms.toFixed(0)} ms\n`);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
const sorted = [...times].sort((a, b) => a - b);
console.log(
  `start to /readyz 200: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms ` +
    `(min ${sorted[0]!.toFixed(0)}, max ${sorted[sorted.length - 1]!.toFixed(0)}, ${sorted.length} starts of "${values.cmd}")`,
);
