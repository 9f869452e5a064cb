/**
 * The scenarios. Each starts its own server process (hubbub on a private copy
 * of the seeded data dir, the raw ws baseline, or — wire only — the naive
 * long-poll baseline), drives it from this process
 * (pinned to the other CPU by run.sh) and returns one Result.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BaselineWs, HubWs, jqueryPost, makeBody, makeClient, type Client, type ClientKind, type Sink, type Transport } from './clients.js';
import { BENCH_DIR, startServer, type ServerProc } from './procs.js';
import { copySeed, type Account, type Seed } from './seed.js';
import { Tracker } from './tracker.js';
import {
  CountingAgent,
  latencySummary,
  now,
  pool,
  readCpuSeconds,
  readRss,
  readSchedstat,
  readSystemBusySeconds,
  request,
  sleep,
  waitFor,
} from './util.js';

export type ServerKind = 'hubbub' | 'baseline' | 'naive-longpoll';

/** The server a client kind talks to. */
export const serverOf = (kind: ClientKind): ServerKind => (kind === 'baseline' || kind === 'naive-longpoll' ? kind : 'hubbub');

export interface Result {
  scenario: 'fanout' | 'throughput' | 'idle' | 'connections' | 'wire' | 'resume' | 'reactions';
  server: ServerKind;
  transport: ClientKind;
  n: number;
  params: Record<string, unknown>;
  metrics: Record<string, any>;
  notes: string[];
  error?: string;
  seconds: number;
}

export interface Env {
  seed: Seed;
  seedDir: string;
  /** CPU for the server process (null = unpinned). */
  serverCpu: number | null;
  profileDir?: string;
  deflate: boolean;
  log: (s: string) => void;
  /** Hard cap for one scenario's own work (server start/stop excluded), ms. */
  scenarioTimeoutMs: number;
}

const nullSink: Sink = { delivery() {} };
let profileSeq = 0;
/** Every client and sender of the running scenario, closed when it ends whatever happened. */
const owned = new Set<{ close(): void }>();
export function own<T extends { close(): void }>(x: T): T {
  owned.add(x);
  return x;
}

// ── plumbing ─────────────────────────────────────────────────────────────────

export async function withServer<T>(env: Env, kind: ServerKind, label: string, fn: (srv: ServerProc) => Promise<T>): Promise<T> {
  const dataDir = kind === 'hubbub' ? copySeed(env.seedDir) : undefined;
  const srv = await startServer(kind, {
    cpu: env.serverCpu,
    dataDir,
    profileDir: env.profileDir,
    profileName: env.profileDir ? `${String(++profileSeq).padStart(2, '0')}-${kind}-${label}` : undefined,
  });
  try {
    return await fn(srv);
  } finally {
    for (const c of owned) {
      try {
        c.close();
      } catch {
        /* closing anyway */
      }
    }
    owned.clear();
    await srv.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs `fn` under a hard deadline; `signal.aborted` tells loops to stop. */
export async function bounded<T>(ms: number, fn: (deadline: { at: number; left(): number }) => Promise<T>): Promise<T> {
  const at = now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`scenario exceeded its ${Math.round(ms / 1000)} s budget`)), ms + 2000);
  });
  try {
    return await Promise.race([fn({ at, left: () => Math.max(0, at - now()) }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function serverStats(srv: ServerProc): Promise<any> {
  const agent = new CountingAgent({ keepAlive: false });
  try {
    const r = await request(agent, srv.base, 'GET', '/__bench/stats', { timeoutMs: 10_000 });
    return r.body;
  } catch {
    return null;
  } finally {
    agent.destroy();
  }
}

async function gc(srv: ServerProc): Promise<void> {
  const agent = new CountingAgent({ keepAlive: false });
  try {
    await request(agent, srv.base, 'POST', '/__bench/gc', { timeoutMs: 20_000 });
  } catch {
    /* the measurement goes on without */
  } finally {
    agent.destroy();
  }
}

/** RSS after a full GC and a short settle. */
async function settledRss(srv: ServerProc): Promise<number> {
  await gc(srv);
  await sleep(500);
  return readRss(srv.pid);
}

export interface Sender {
  send(msgNo: number, body: string): Promise<void>;
  close(): void;
  via: string;
}

/** WebSocket clients send over their socket; SSE and long-poll clients POST. */
async function makeSender(
  kind: ClientKind,
  srv: ServerProc,
  account: Account | undefined,
  conversationId: string | undefined,
  agent?: CountingAgent,
): Promise<Sender> {
  if (kind === 'baseline') {
    const c = own(new BaselineWs({ base: srv.base, token: '', index: -1, sink: nullSink, lean: false }));
    await c.connect();
    return { via: 'ws', send: (n, b) => c.send(n, b), close: () => c.close() };
  }
  if (kind === 'naive-longpoll') {
    // The reference page's send: $.ajax({type: 'post', url: '/chat', data: {query}}).
    const a = agent ?? new CountingAgent();
    own({ close: () => a.destroy() });
    return {
      via: 'http POST /chat',
      async send(_n, body) {
        const r = await jqueryPost(a, srv.base, '/chat', { query: body });
        if (r.status !== 200) throw new Error(`chat: ${r.status} ${r.body.toString().slice(0, 200)}`);
      },
      close: () => {
        if (!agent) a.destroy();
      },
    };
  }
  if (!account || !conversationId) throw new Error('sender needs an account and a room');
  if (kind === 'ws') {
    const c = own(new HubWs({ base: srv.base, token: account.token, index: -1, sink: nullSink, lean: false }));
    await c.connect();
    return {
      via: 'ws send',
      send: async (_n, b) => {
        await c.send(conversationId, b);
      },
      close: () => c.close(),
    };
  }
  const a = agent ?? new CountingAgent();
  own({ close: () => a.destroy() });
  return {
    via: 'http POST',
    async send(_n, body) {
      const r = await request(a, srv.base, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: account.token,
        body: { body },
        timeoutMs: 30_000,
      });
      if (r.status !== 201) throw new Error(`send: ${r.status} ${r.text.slice(0, 200)}`);
    },
    close: () => {
      if (!agent) a.destroy();
    },
  };
}

const LOCAL_ADDRS = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}`);

interface Opened {
  clients: Client[];
  ok: number;
  failed: number;
  firstError?: string;
  seconds: number;
}

/** Opens `n` clients, `concurrency` at a time, until the deadline. */
async function openClients(
  kind: ClientKind,
  srv: ServerProc,
  accounts: Account[],
  n: number,
  o: {
    sink: Sink;
    concurrency: number;
    deadlineMs: number;
    autoReconnect?: boolean;
    deflate?: boolean;
    wait?: number;
    localAddrs?: string[];
    onPayload?: (b: number) => void;
    sharedAgent?: boolean;
  },
): Promise<Opened> {
  const t0 = now();
  // Spread over loopback source addresses: with tens of thousands of connections from one
  // address, picking a free source port makes each connect() slower (measured: 15,000
  // connections took 6.7 s from one address, 3.9 s from four).
  const addrs = o.localAddrs ?? LOCAL_ADDRS;
  const agents =
    (kind === 'longpoll' || kind === 'naive-longpoll') && o.sharedAgent !== false
      ? addrs.map((a) => new CountingAgent({ localAddress: a } as any))
      : [];
  for (const ag of agents) own({ close: () => ag.destroy() });
  const clients: Client[] = [];
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const end = t0 + o.deadlineMs;
  await pool(
    Array.from({ length: n }, (_, i) => i),
    o.concurrency,
    async (i) => {
      if (now() > end) {
        failed++;
        firstError ??= 'connect deadline passed';
        return;
      }
      const c = own(
        makeClient(kind, {
          base: srv.base,
          token: accounts[i % accounts.length]!.token,
          index: i,
          sink: o.sink,
          autoReconnect: o.autoReconnect,
          deflate: o.deflate,
          wait: o.wait,
          onPayload: o.onPayload,
          localAddress: addrs[i % addrs.length],
          agent: agents[i % Math.max(1, agents.length)],
        }),
      );
      try {
        await c.connect();
        clients[i] = c;
        ok++;
      } catch (err) {
        c.close();
        failed++;
        firstError ??= (err as Error).message;
      }
    },
  );
  return { clients: clients.filter(Boolean), ok, failed, firstError, seconds: (now() - t0) / 1000 };
}

/** For hubbub: waits until the hub counts `n` subscribers of `kind` (long polls are waiters). */
export async function waitSubscribed(srv: ServerProc, kind: ClientKind, n: number, ms: number): Promise<number> {
  if (kind === 'baseline') return n;
  let seen = 0;
  await waitFor(
    async () => {
      const s = await serverStats(srv);
      seen = (kind === 'naive-longpoll' ? s?.waiters : s?.hub?.byKind?.[kind]) ?? 0;
      return seen >= n;
    },
    ms,
    250,
  );
  return seen;
}

function closeAll(clients: Client[]): void {
  for (const c of clients) c.close();
}

function clientTotals(clients: Client[]): { reconnects: number; errors: number; expired: number; closeCodes: Record<string, number> } {
  const t = { reconnects: 0, errors: 0, expired: 0, closeCodes: {} as Record<string, number> };
  for (const c of clients) {
    t.reconnects += c.stats.reconnects;
    t.errors += c.stats.errors;
    t.expired += c.stats.expired;
    for (const [k, v] of Object.entries(c.stats.closeCodes)) t.closeCodes[k] = (t.closeCodes[k] ?? 0) + v;
  }
  return t;
}

/**
 * CPU used by the server and by this generator over a phase, and how long the
 * server's main thread was runnable but waiting for its CPU (a shared machine
 * shows up here: other processes on the server's core delay it).
 */
export function cpuMeter(pid: number) {
  const s0 = readCpuSeconds(pid);
  const g0 = process.cpuUsage();
  const w0 = readSchedstat(pid);
  const gw0 = readSchedstat('self');
  const sys0 = readSystemBusySeconds();
  const t0 = now();
  return () => {
    const wall = (now() - t0) / 1000;
    const g = process.cpuUsage(g0);
    const w1 = readSchedstat(pid);
    const gw1 = readSchedstat('self');
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const serverCpu = (readCpuSeconds(pid) - s0) / wall;
    const generatorCpu = (g.user + g.system) / 1e6 / wall;
    return {
      serverCpu: r2(serverCpu),
      generatorCpu: r2(generatorCpu),
      /** CPU used by every other process on the machine meanwhile (kernel softirq work included). */
      otherCpu: r2(Math.max(0, (readSystemBusySeconds() - sys0) / wall - serverCpu - generatorCpu)),
      serverCpuWait: r2((w1.wait - w0.wait) / wall),
      generatorCpuWait: r2((gw1.wait - gw0.wait) / wall),
    };
  };
}

export function contentionNote(res: Result, cpu: { otherCpu: number; serverCpuWait: number }): void {
  if (cpu.otherCpu > 0.15) {
    res.notes.push(
      `shared machine: other processes used ${cpu.otherCpu} CPU meanwhile; the server's main thread waited for its core ${Math.round(cpu.serverCpuWait * 100)}% of the time`,
    );
  }
}

interface SendProgress {
  sent: number;
  acked: number;
  errors: number;
  firstError?: string;
  ackedUpTo: number;
  failed: Set<number>;
}

/**
 * Sends `count` messages at `rate`/s, open loop (a slow ack never delays the
 * next send). `live` is updated as acks arrive; `done` resolves when the loop
 * has sent its last message; `settle()` when every ack is in (or 15 s).
 */
function startSending(sender: Sender, count: number, rate: number, firstNo: number, bodySize: number, stop?: () => boolean) {
  const live: SendProgress = { sent: 0, acked: 0, errors: 0, ackedUpTo: firstNo - 1, failed: new Set() };
  const acked = new Set<number>();
  const inflight: Promise<void>[] = [];
  const done = (async () => {
    const t0 = now();
    for (let i = 0; i < count; i++) {
      if (stop?.()) break;
      const due = t0 + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      if (stop?.()) break;
      const no = firstNo + i;
      live.sent++;
      inflight.push(
        sender.send(no, makeBody(no, now(), bodySize)).then(
          () => {
            live.acked++;
            acked.add(no);
            while (acked.has(live.ackedUpTo + 1)) acked.delete(++live.ackedUpTo);
          },
          (err: Error) => {
            live.errors++;
            live.failed.add(no);
            live.firstError ??= err.message;
          },
        ),
      );
    }
  })();
  return {
    live,
    done,
    settle: async () => {
      await done;
      await Promise.race([Promise.all(inflight), sleep(15_000)]);
    },
  };
}

export function baseResult(
  scenario: Result['scenario'],
  server: ServerKind,
  transport: ClientKind,
  n: number,
  params: Record<string, unknown>,
): Result {
  return { scenario, server, transport, n, params, metrics: {}, notes: [], seconds: 0 };
}

export async function run(res: Result, body: () => Promise<void>): Promise<Result> {
  const t0 = now();
  try {
    await body();
  } catch (err) {
    res.error = (err as Error).message.split('\n')[0]!.slice(0, 300);
  }
  res.seconds = Math.round((now() - t0) / 100) / 10;
  return res;
}

// ── fanout ───────────────────────────────────────────────────────────────────

export async function fanout(
  env: Env,
  transport: ClientKind,
  n: number,
  p: { rate: number; seconds: number; bodySize: number; warmup: number },
): Promise<Result> {
  const server = serverOf(transport);
  const res = baseResult('fanout', server, transport, n, { ...p, deflate: env.deflate });
  return run(res, () =>
    withServer(env, server, `fanout-${transport}-${n}`, (srv) =>
      bounded(env.scenarioTimeoutMs, async (dl) => {
        const room = env.seed.rooms[n];
        if (server === 'hubbub' && !room) throw new Error(`no seeded room of size ${n}`);
        const count = Math.round(p.rate * p.seconds);
        const tracker = new Tracker(n, count + p.warmup + 8);
        const opened = await openClients(transport, srv, env.seed.users, n, {
          sink: tracker,
          concurrency: transport === 'longpoll' ? 200 : 100,
          deadlineMs: Math.min(25_000, dl.left() / 2),
          autoReconnect: true,
          deflate: env.deflate,
          wait: 25,
        });
        res.metrics.connected = opened.ok;
        res.metrics.connectFailed = opened.failed;
        res.metrics.connectSeconds = Math.round(opened.seconds * 10) / 10;
        if (opened.firstError) res.notes.push(`connect: ${opened.firstError}`);
        if (opened.ok === 0) throw new Error(`no ${transport} client could connect: ${opened.firstError}`);
        const subscribed = await waitSubscribed(srv, transport, opened.ok, 10_000);
        if (subscribed < opened.ok) res.notes.push(`only ${subscribed}/${opened.ok} subscribed at start`);
        if (transport === 'ws' && opened.clients[0] instanceof HubWs) res.metrics.wsExtensions = opened.clients[0].extensions || 'none';

        const sender = await makeSender(transport, srv, env.seed.senders[0], room);
        res.params.sender = sender.via;
        // Warm-up: not measured.
        await startSending(sender, p.warmup, p.rate, 0, p.bodySize).settle();
        await sleep(1000);
        tracker.reset(p.warmup);
        const rssBefore = readRss(srv.pid);
        const meter = cpuMeter(srv.pid);
        const sending = startSending(sender, count, p.rate, p.warmup, p.bodySize, () => dl.left() < 5000);
        await sending.settle();
        const s = sending.live;
        const to = p.warmup + s.sent;
        const drainMs = Math.min(transport === 'longpoll' ? 20_000 : 10_000, Math.max(0, dl.left() - 1000));
        const t0 = now();
        const ids = opened.clients.map((c) => c.index);
        const complete = await waitFor(() => tracker.complete(to, ids, s.failed), drainMs, 20);
        const cpu = meter();
        res.metrics.drainMs = Math.round(now() - t0);
        res.metrics.rssMiB = Math.round(readRss(srv.pid) / 1048576);
        res.metrics.rssGrowthMiB = Math.round((readRss(srv.pid) - rssBefore) / 1048576);
        const tally = tracker.tally(to, ids, s.failed);
        if (!complete && tally.lost > 0)
          res.notes.push(
            `drain ended after ${Math.round(drainMs / 1000)} s with ${tally.lost} deliveries outstanding: "lost" counts late deliveries too`,
          );
        res.metrics = {
          ...res.metrics,
          sent: s.sent,
          acked: s.acked,
          sendErrors: s.errors,
          complete,
          expected: tally.expected,
          delivered: tally.unique,
          lost: tally.lost,
          dup: tally.dup,
          latencyMs: latencySummary(tracker.latencies.values()),
          ...cpu,
          clients: clientTotals(opened.clients),
        };
        if (s.firstError) res.notes.push(`send: ${s.firstError}`);
        if (cpu.generatorCpu > 0.9) res.notes.push('load generator was CPU-bound: latencies include its own queueing');
        contentionNote(res, cpu);
        sender.close();
        closeAll(opened.clients);
      }),
    ),
  );
}

// ── throughput ───────────────────────────────────────────────────────────────

export async function throughput(
  env: Env,
  transport: ClientKind,
  p: { subs: number; senders: number; window: number; seconds: number; bodySize: number },
): Promise<Result> {
  const server = serverOf(transport);
  const res = baseResult('throughput', server, transport, p.subs, { ...p, deflate: env.deflate });
  return run(res, () =>
    withServer(env, server, `throughput-${transport}`, (srv) =>
      bounded(env.scenarioTimeoutMs, async (dl) => {
        const room = env.seed.rooms[p.subs];
        if (server === 'hubbub' && !room) throw new Error(`no seeded room of size ${p.subs}`);
        const tracker = new Tracker(p.subs, 4096);
        tracker.recordLatency = false;
        const opened = await openClients(transport, srv, env.seed.users, p.subs, {
          sink: tracker,
          concurrency: 50,
          deadlineMs: 15_000,
          autoReconnect: true,
          deflate: env.deflate,
        });
        if (opened.ok < p.subs) throw new Error(`only ${opened.ok}/${p.subs} subscribers connected: ${opened.firstError}`);
        await waitSubscribed(srv, transport, p.subs, 10_000);
        const sendKind: ClientKind = transport === 'baseline' ? 'baseline' : transport === 'ws' ? 'ws' : 'longpoll';
        const senders = await Promise.all(
          Array.from({ length: p.senders }, (_, i) => makeSender(sendKind, srv, env.seed.senders[i % env.seed.senders.length], room)),
        );
        res.params.sender = senders[0]!.via;
        // Warm-up: one second of traffic, not measured.
        let nextNo = 0;
        const failedNos = new Set<number>();
        const drive = async (ms: number) => {
          const end = now() + ms;
          let acked = 0;
          let errors = 0;
          let firstError: string | undefined;
          await Promise.all(
            senders.map(async (s) => {
              await Promise.all(
                Array.from({ length: p.window }, async () => {
                  while (now() < end && dl.left() > 12_000) {
                    const no = nextNo++;
                    try {
                      await s.send(no, makeBody(no, now(), p.bodySize));
                      acked++;
                    } catch (err) {
                      errors++;
                      failedNos.add(no);
                      firstError ??= (err as Error).message;
                      await sleep(50);
                    }
                  }
                }),
              );
            }),
          );
          return { acked, errors, firstError };
        };
        await drive(1000);
        await sleep(500);
        const from = nextNo;
        tracker.reset(from);
        const meter = cpuMeter(srv.pid);
        const t0 = now();
        const r = await drive(p.seconds * 1000);
        const sendSeconds = (now() - t0) / 1000;
        const to = nextNo;
        const complete = await waitFor(
          () => tracker.complete(to, undefined, failedNos),
          Math.min(10_000, Math.max(0, dl.left() - 1000)),
          20,
        );
        const cpu = meter();
        const span = (tracker.lastAt - t0) / 1000;
        const tally = tracker.tally(to, undefined, failedNos);
        if (!complete && tally.lost > 0)
          res.notes.push(`drain ended with ${tally.lost} deliveries outstanding: "lost" counts late deliveries too`);
        res.metrics = {
          stored: r.acked,
          storedPerSec: Math.round(r.acked / sendSeconds),
          sendErrors: r.errors,
          deliveries: tracker.deliveries,
          deliveriesPerSec: Math.round(tracker.deliveries / Math.max(span, sendSeconds)),
          expected: tally.expected,
          lost: tally.lost,
          dup: tally.dup,
          drainSeconds: Math.round((span - sendSeconds) * 10) / 10,
          ...cpu,
          clients: clientTotals(opened.clients),
        };
        if (r.firstError) res.notes.push(`send: ${r.firstError}`);
        if (cpu.generatorCpu > 0.9) res.notes.push('load generator was CPU-bound');
        contentionNote(res, cpu);
        for (const s of senders) s.close();
        closeAll(opened.clients);
      }),
    ),
  );
}

// ── idle ─────────────────────────────────────────────────────────────────────

export async function idle(env: Env, transport: ClientKind, n: number): Promise<Result> {
  const server = serverOf(transport);
  const res = baseResult('idle', server, transport, n, { deflate: env.deflate });
  return run(res, () =>
    withServer(env, server, `idle-${transport}`, (srv) =>
      bounded(env.scenarioTimeoutMs, async (dl) => {
        // Warm-up connections first (kept open, outside both readings): one-time costs such as
        // compiling the connection path and growing the heap do not count per connection.
        const warmN = Math.min(200, Math.ceil(n / 10));
        const warm = await openClients(transport, srv, env.seed.users.slice(-warmN), warmN, {
          sink: nullSink,
          concurrency: 50,
          deadlineMs: 10_000,
          deflate: env.deflate,
          wait: 55,
        });
        await sleep(500);
        const before = await settledRss(srv);
        const heap0 = (await serverStats(srv))?.memory;
        const opened = await openClients(transport, srv, env.seed.users, n, {
          sink: nullSink,
          concurrency: 100,
          deadlineMs: Math.min(40_000, dl.left() - 15_000),
          deflate: env.deflate,
          wait: 55,
        });
        if (opened.firstError) res.notes.push(`connect: ${opened.firstError}`);
        const subscribed = (await waitSubscribed(srv, transport, opened.ok + warm.ok, 5000)) - warm.ok;
        await sleep(1500);
        const after = await settledRss(srv);
        const heap1 = (await serverStats(srv))?.memory;
        res.metrics = {
          open: opened.ok,
          failed: opened.failed,
          subscribed,
          connectSeconds: Math.round(opened.seconds * 10) / 10,
          rssBeforeMiB: Math.round(before / 1048576),
          rssAfterMiB: Math.round(after / 1048576),
          rssPerConnKiB: Math.round(((after - before) / Math.max(1, opened.ok) / 1024) * 100) / 100,
          heapPerConnKiB:
            heap0 && heap1 ? Math.round(((heap1.heapUsed - heap0.heapUsed) / Math.max(1, opened.ok) / 1024) * 100) / 100 : null,
          externalPerConnKiB:
            heap0 && heap1
              ? Math.round(
                  ((heap1.external + heap1.arrayBuffers - (heap0.external + heap0.arrayBuffers)) / Math.max(1, opened.ok) / 1024) * 100,
                ) / 100
              : null,
        };
        res.params.warmup = warm.ok;
        closeAll(opened.clients);
        closeAll(warm.clients);
      }),
    ),
  );
}

// ── connections ──────────────────────────────────────────────────────────────

export async function connections(env: Env, p: { target: number; procs: number; fdLimit: number }): Promise<Result> {
  const res = baseResult('connections', 'hubbub', 'ws', p.target, { ...p, deflate: env.deflate });
  return run(res, () =>
    withServer(env, 'hubbub', 'connections', (srv) =>
      bounded(env.scenarioTimeoutMs, async (dl) => {
        const before = await settledRss(srv);
        const per = Math.ceil(p.target / p.procs);
        const tokensFile = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'hubbub-bench-tok-')), 'tokens.json');
        fs.writeFileSync(tokensFile, JSON.stringify(env.seed.users.map((u) => u.token)));
        type Report = { ok: number; failed: number; firstError?: string; closedByServer: number; done: boolean };
        const reports: Report[] = Array.from({ length: p.procs }, () => ({ ok: 0, failed: 0, closedByServer: 0, done: false }));
        const workers = Array.from({ length: p.procs }, (_, w) => {
          const child = fork(path.join(BENCH_DIR, 'conn-worker.ts'), [], {
            execArgv: ['--import', 'tsx'],
            env: {
              ...process.env,
              BENCH_URL: srv.base.href,
              BENCH_TOKENS: tokensFile,
              BENCH_OFFSET: String(w * per),
              BENCH_COUNT: String(Math.min(per, p.target - w * per)),
              BENCH_LOCAL: [0, 1, 2, 3].map((k) => `127.0.0.${10 + w * 4 + k}`).join(','),
              BENCH_DEADLINE_MS: String(Math.max(5000, dl.left() - 15_000)),
              BENCH_DEFLATE: env.deflate ? '1' : '0',
            },
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          });
          child.on('message', (m: Report) => {
            reports[w] = m;
          });
          own({
            close: () => {
              if (child.exitCode === null) child.kill('SIGKILL');
            },
          });
          return child;
        });
        const t0 = now();
        await waitFor(() => reports.every((r) => r.done) || !srv.alive(), dl.left() - 10_000, 200);
        const openSeconds = (now() - t0) / 1000;
        await sleep(1000);
        // At the fd limit the server cannot accept even a health check: read RSS from /proc (no GC).
        const alive = srv.alive();
        const after = alive ? readRss(srv.pid) : NaN;
        const ok = reports.reduce((a, r) => a + r.ok, 0);
        const failed = reports.reduce((a, r) => a + r.failed, 0);
        const closedByServer = reports.reduce((a, r) => a + r.closedByServer, 0);
        const errors = [...new Set(reports.map((r) => r.firstError).filter(Boolean))];
        const health = async () => {
          const agent = new CountingAgent({ keepAlive: false });
          try {
            return (await request(agent, srv.base, 'GET', '/healthz', { timeoutMs: 3000 })).status === 200;
          } catch {
            return false;
          } finally {
            agent.destroy();
          }
        };
        const healthAtLimit = alive ? await health() : false;
        // Let go of everything: the server must recover.
        for (const w of workers) w.send?.('close');
        let recovered = false;
        if (alive) recovered = await waitFor(health, Math.min(8000, Math.max(1000, dl.left() - 1000)), 250);
        res.metrics = {
          attempted: p.target,
          open: ok,
          failed,
          closedByServer,
          openSeconds: Math.round(openSeconds * 10) / 10,
          openPerSec: Math.round((ok + failed) / Math.max(0.001, openSeconds)),
          serverAlive: alive && srv.alive(),
          healthzAtLimit: healthAtLimit,
          healthzAfterClose: recovered,
          fdLimit: p.fdLimit,
          rssBeforeMiB: Math.round(before / 1048576),
          rssAfterMiB: Number.isFinite(after) ? Math.round(after / 1048576) : null,
          rssPerConnKiB: Number.isFinite(after) && ok > 0 ? Math.round(((after - before) / ok / 1024) * 100) / 100 : null,
        };
        res.notes.push(...errors.map((e) => `first error: ${e}`));
        for (const w of workers) w.send?.('exit');
        await Promise.all(
          workers.map(
            (w) =>
              new Promise<void>((r) => {
                if (w.exitCode !== null) return r();
                const t = setTimeout(() => {
                  w.kill('SIGKILL');
                  r();
                }, 5000);
                w.once('exit', () => {
                  clearTimeout(t);
                  r();
                });
              }),
          ),
        );
        fs.rmSync(path.dirname(tokensFile), { recursive: true, force: true });
      }),
    ),
  );
}

// ── wire ─────────────────────────────────────────────────────────────────────

export async function wire(env: Env, transport: ClientKind, p: { msgs: number; bodySize: number }): Promise<Result> {
  const server = serverOf(transport);
  const res = baseResult('wire', server, transport, 1, { ...p, deflate: env.deflate });
  return run(res, () =>
    withServer(env, server, `wire-${transport}`, (srv) =>
      bounded(env.scenarioTimeoutMs, async (dl) => {
        const room = env.seed.rooms[Math.min(...Object.keys(env.seed.rooms).map(Number))];
        const tracker = new Tracker(1, p.msgs + 16);
        tracker.recordLatency = false;
        let payloadBytes = 0;
        let payloads = 0;
        const opened = await openClients(transport, srv, env.seed.users, 1, {
          sink: tracker,
          concurrency: 1,
          deadlineMs: 10_000,
          deflate: env.deflate,
          wait: 25,
          sharedAgent: false,
          onPayload: (b) => {
            payloadBytes += b;
            payloads++;
          },
        });
        if (opened.ok !== 1) throw new Error(`client did not connect: ${opened.firstError}`);
        await waitSubscribed(srv, transport, 1, 5000);
        const client = opened.clients[0]!;
        const sender = await makeSender(transport, srv, env.seed.senders[0], room);
        res.params.sender = sender.via;
        // One message at a time, each delivered before the next: the unbatched per-message cost.
        const one = async (no: number) => {
          await sender.send(no, makeBody(no, 0, p.bodySize));
          await waitFor(() => tracker.caughtUp(0, no), 5000, 1);
        };
        for (let i = 0; i < 5; i++) await one(i);
        await sleep(200);
        tracker.reset(5);
        const b0 = client.bytes();
        payloadBytes = 0;
        payloads = 0;
        let sent = 0;
        for (let i = 0; i < p.msgs && dl.left() > 3000; i++) {
          await one(5 + i);
          sent++;
        }
        await sleep(200);
        const b1 = client.bytes();
        const tally = tracker.tally(5 + sent);
        const delivered = tally.unique;
        const down = (b1.read - b0.read) / Math.max(1, delivered);
        const up = (b1.written - b0.written) / Math.max(1, delivered);
        const payloadAvg = payloads ? payloadBytes / payloads : NaN;
        res.metrics = {
          sent,
          delivered,
          lost: tally.lost,
          dup: tally.dup,
          bodyBytes: p.bodySize,
          payloadBytes: Math.round(payloadAvg * 10) / 10,
          downBytesPerMsg: Math.round(down * 10) / 10,
          upBytesPerMsg: Math.round(up * 10) / 10,
          totalBytesPerMsg: Math.round((down + up) * 10) / 10,
          framingBytesPerMsg: transport === 'longpoll' || transport === 'naive-longpoll' ? null : Math.round((down - payloadAvg) * 10) / 10,
          wsExtensions: client instanceof HubWs ? client.extensions || 'none' : undefined,
        };
        if (transport === 'longpoll')
          res.notes.push('payload = whole sync response body; down includes response headers, up = the poll requests');
        if (transport === 'naive-longpoll')
          res.notes.push('payload = whole /updatemsg response body; down includes response headers, up = the poll requests');
        sender.close();
        client.close();
      }),
    ),
  );
}

// ── resume ───────────────────────────────────────────────────────────────────

export async function resume(
  env: Env,
  transport: Transport,
  p: { n: number; rate: number; before: number; gap: number; after: number; bodySize: number },
): Promise<Result> {
  const res = baseResult('resume', 'hubbub', transport, p.n, { ...p, deflate: env.deflate });
  return run(res, () =>
    withServer(env, 'hubbub', `resume-${transport}`, (srv) =>
      bounded(env.scenarioTimeoutMs, async (dl) => {
        const room = env.seed.rooms[p.n];
        if (!room) throw new Error(`no seeded room of size ${p.n}`);
        const total = Math.ceil(p.rate * (p.before + p.gap + p.after + 60));
        const tracker = new Tracker(p.n, total + 16);
        const opened = await openClients(transport, srv, env.seed.users, p.n, {
          sink: tracker,
          concurrency: 100,
          deadlineMs: 15_000,
          deflate: env.deflate,
          wait: 25,
        });
        if (opened.ok < p.n) throw new Error(`only ${opened.ok}/${p.n} connected: ${opened.firstError}`);
        await waitSubscribed(srv, transport, p.n, 10_000);
        const sender = await makeSender(transport === 'ws' ? 'ws' : 'longpoll', srv, env.seed.senders[0], room);
        res.params.sender = sender.via;
        tracker.reset(0);
        let stop = false;
        const meter = cpuMeter(srv.pid);
        const sending = startSending(sender, total, p.rate, 0, p.bodySize, () => stop || dl.left() < 8000);
        await sleep(p.before * 1000);
        // Everyone drops at once, without a goodbye.
        for (const c of opened.clients) c.drop();
        const markAtDrop = sending.live.ackedUpTo;
        await sleep(p.gap * 1000);
        // Caught up = holding every message the server had stored when the reconnects began.
        const mark = sending.live.ackedUpTo;
        // Time from the start of the reconnects until each client holds everything up to the mark,
        // watched while the reconnects are under way.
        const caughtAt = new Float64Array(p.n).fill(NaN);
        let pendingClients = p.n;
        const t0 = now();
        const watch = setInterval(() => {
          const t = now() - t0;
          for (let i = 0; i < p.n; i++) {
            if (Number.isNaN(caughtAt[i]!) && tracker.caughtUp(i, mark)) {
              caughtAt[i] = t;
              pendingClients--;
            }
          }
        }, 2);
        let reconnectFailed = 0;
        let firstError: string | undefined;
        await Promise.all(
          opened.clients.map(async (c) => {
            try {
              await c.connect();
            } catch (err) {
              reconnectFailed++;
              firstError ??= (err as Error).message;
            }
          }),
        );
        const connectMs = now() - t0;
        const caught = await waitFor(() => pendingClients === 0, Math.min(20_000, Math.max(0, dl.left() - 10_000)), 5);
        clearInterval(watch);
        const catchUpMs = caught ? Math.max(...caughtAt) : now() - t0;
        const perClient = latencySummary(caughtAt.filter((x) => !Number.isNaN(x)));
        await sleep(p.after * 1000);
        stop = true;
        await sending.settle();
        const s = sending.live;
        const to = s.sent;
        const complete = await waitFor(
          () => tracker.complete(to, undefined, s.failed),
          Math.min(10_000, Math.max(0, dl.left() - 1000)),
          20,
        );
        const tally = tracker.tally(to, undefined, s.failed);
        if (!complete && tally.lost > 0)
          res.notes.push(`drain ended with ${tally.lost} deliveries outstanding: "lost" counts late deliveries too`);
        const cpu = meter();
        contentionNote(res, cpu);
        res.metrics = {
          ...cpu,
          sent: s.sent,
          acked: s.acked,
          sendErrors: s.errors,
          missedWhileAway: mark - markAtDrop,
          reconnectFailed,
          reconnectMs: Math.round(connectMs),
          catchUpMs: caught ? Math.round(catchUpMs) : null,
          clientCatchUpMs: { p50: perClient.p50, p99: perClient.p99, max: perClient.max },
          notCaughtUp: caughtAt.filter((x) => Number.isNaN(x)).length,
          expected: tally.expected,
          lost: tally.lost,
          dup: tally.dup,
          clients: clientTotals(opened.clients),
        };
        if (!caught) res.notes.push('not every client caught up within the time limit');
        if (firstError) res.notes.push(`reconnect: ${firstError}`);
        if (s.firstError) res.notes.push(`send: ${s.firstError}`);
        sender.close();
        closeAll(opened.clients);
      }),
    ),
  );
}
