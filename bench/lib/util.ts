import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const now = () => performance.now();

/** VmRSS of a process in bytes, from /proc/<pid>/status. */
export function readRss(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(s);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Total CPU time (user+sys) of a process in seconds, from /proc/<pid>/stat. */
export function readCpuSeconds(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/**
 * Scheduler figures of a process (all threads' main task), from /proc/<pid>/schedstat:
 * seconds on CPU and seconds spent runnable but waiting for a CPU.
 */
export function readSchedstat(pid: number | 'self'): { run: number; wait: number } {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { run: run! / 1e9, wait: wait! / 1e9 };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

/** Linear-interpolated percentile of a sorted array. */
export function pct(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const i = (n - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

export function latencySummary(values: Float64Array): { p50: number; p95: number; p99: number; max: number; mean: number; n: number } {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    p50: r(pct(s, 0.5)),
    p95: r(pct(s, 0.95)),
    p99: r(pct(s, 0.99)),
    max: r(s.length ? s[s.length - 1]! : NaN),
    mean: r(s.length ? sum / s.length : NaN),
    n: s.length,
  };
}

/** A growable Float64Array. */
export class Samples {
  buf = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.length++] = v;
  }
  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * A keep-alive agent that remembers every socket it made, so bytes on the
 * wire can be counted at the socket level (headers included).
 */
export class CountingAgent extends http.Agent {
  readonly sockets_: net.Socket[] = [];
  constructor(opts: http.AgentOptions & { localAddress?: string } = {}) {
    super({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 100_000, scheduling: 'lifo', ...opts });
  }
  override createConnection(options: net.NetConnectOpts, cb?: (err: Error | null, s: net.Socket) => void): net.Socket {
    const s = net.createConnection(options);
    this.sockets_.push(s);
    void cb;
    return s;
  }
  bytes(): { read: number; written: number } {
    return socketBytes(this.sockets_);
  }
}

/** Bytes read and written on these sockets, open or closed. */
export function socketBytes(sockets: readonly net.Socket[]): { read: number; written: number } {
  let read = 0;
  let written = 0;
  for (const s of sockets) {
    read += s.bytesRead;
    written += s.bytesWritten;
  }
  return { read, written };
}

export interface JsonResponse<T = any> {
  status: number;
  body: T;
  text: string;
}

/** One JSON request over a keep-alive agent. */
export function request<T = any>(
  agent: http.Agent,
  base: URL,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<JsonResponse<T>> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: http.OutgoingHttpHeaders = {};
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const req = http.request({ agent, host: base.hostname, port: base.port, method, path, headers, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.end(payload);
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = now() + timeoutMs;
  while (now() < end) {
    if (await cond()) return true;
    await sleep(stepMs);
  }
  return Boolean(await cond());
}

export const KiB = 1024;
export const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
export const fmtMs = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–');

/** CPU seconds all CPUs have spent busy since boot (from /proc/stat). */
export function readSystemBusySeconds(): number {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - f[3]! - (f[4] ?? 0)) / 100;
  } catch {
    return NaN;
  }
}

/** Busy fraction of each CPU over `ms` (from /proc/stat): how shared the machine is right now. */
export async function cpuBusy(ms = 1000): Promise<number[]> {
  const read = () =>
    fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l))
      .map((l) => {
        const f = l.trim().split(/\s+/).slice(1).map(Number);
        const idle = f[3]! + (f[4] ?? 0);
        const total = f.reduce((a, b) => a + b, 0);
        return { idle, total };
      });
  try {
    const a = read();
    await sleep(ms);
    const b = read();
    return b.map((x, i) => Math.round((1 - (x.idle - a[i]!.idle) / Math.max(1, x.total - a[i]!.total)) * 100) / 100);
  } catch {
    return [];
  }
}
