import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = path.resolve(BENCH_DIR, '..');

export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

export interface ServerProc {
  kind: ServerScript;
  port: number;
  pid: number;
  base: URL;
  child: ChildProcess;
  /** Graceful stop (SIGTERM), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  alive(): boolean;
}

export interface SpawnOpts {
  /** CPU to pin the server to (taskset -c); null = unpinned; 'all' = every CPU (this process may be pinned). */
  cpu: number | null | 'all';
  /** Write a V8 CPU profile into this directory. */
  profileDir?: string;
  profileName?: string;
  extraArgs?: string[];
}

export type ServerScript = 'hubbub' | 'baseline' | 'naive-longpoll';
const SCRIPTS: Record<ServerScript, string> = { hubbub: 'server.ts', baseline: 'baseline-ws.ts', 'naive-longpoll': 'baseline-longpoll.ts' };

/** Starts bench/server.ts, bench/baseline-ws.ts or bench/baseline-longpoll.ts and waits for its ready line. */
export async function startServer(kind: ServerScript, opts: SpawnOpts & { dataDir?: string }): Promise<ServerProc> {
  const script = path.join(BENCH_DIR, SCRIPTS[kind]);
  const nodeArgs = ['--expose-gc', '--import', 'tsx'];
  if (opts.profileDir) {
    // One directory per server: node writes one profile per thread (tsx's loader has its own);
    // the main thread's file has thread id 0 in its name (CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile).
    const dir = opts.profileName ? path.join(opts.profileDir, opts.profileName) : opts.profileDir;
    fs.mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  const args = [...nodeArgs, script, '--port', '0', ...(opts.dataDir ? ['--data-dir', opts.dataDir] : []), ...(opts.extraArgs ?? [])];
  const cpus = opts.cpu === 'all' ? `0-${os.cpus().length - 1}` : opts.cpu === null ? null : String(opts.cpu);
  const [cmd, argv] =
    cpus !== null && hasTaskset ? (['taskset', ['-c', cpus, process.execPath, ...args]] as const) : ([process.execPath, args] as const);
  const child = spawn(cmd, argv, { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const ready = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start in 30 s\n${stderr}`)), 30_000);
    rl.on('line', (line) => {
      try {
        const j = JSON.parse(line);
        if (j.ready) {
          clearTimeout(timer);
          resolve({ port: j.port, pid: j.pid });
        }
      } catch {
        /* not our line */
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with ${code}\n${stderr}`));
    });
  });
  child.stdout!.resume();
  return {
    kind,
    port: ready.port,
    pid: ready.pid,
    child,
    base: new URL(`http://127.0.0.1:${ready.port}`),
    alive: () => !exited,
    async stop(graceMs = 10_000) {
      if (exited) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(t);
    },
  };
}

export function gitRev(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT_DIR, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT_DIR, encoding: 'utf8' });
  return (r.stdout || 'unknown').trim() + (dirty.stdout.trim() ? '+dirty' : '');
}
