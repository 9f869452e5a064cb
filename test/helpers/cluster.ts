import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import { HubbubClient, type Status, type TransportName } from '../../client/index.js';
import { findRedis } from '../contract/bus.contract.js';
import { findPostgres } from '../contract/store.contract.js';
import { exited, startProcess } from './process.js';

/**
 * Helpers for the multi-node suites (test/integration/multinode*.test.ts and
 * bus-outage*.test.ts): finding PostgreSQL and Redis, isolating a run on them,
 * a TCP proxy that stands in for a Redis restart, hubbub nodes as processes,
 * "load balancer" choices of node, and a raw long-poll reader.
 */

// ── services ───────────────────────────────────────────────────────────────

export interface Services {
  pgUrl: string | null;
  redisUrl: string | null;
  ok: boolean;
  /** '' when both answer, else " (PostgreSQL unreachable at …)" to append to a suite's name. */
  why: string;
}

/**
 * Probes PostgreSQL and Redis once, before the suites are defined, so an
 * unreachable service shows up as skipped suites named for the reason — and
 * fails the file under HUBBUB_REQUIRE_SERVICES=1 (the rule of test/contract).
 */
export async function findServices(): Promise<Services> {
  const [p, r] = await Promise.all([findPostgres(), findRedis()]);
  const missing: string[] = [];
  if (!p.url) missing.push(`PostgreSQL unreachable at ${p.tried}`);
  if (!r.url) missing.push(`Redis unreachable at ${r.tried}`);
  if (missing.length > 0 && process.env.HUBBUB_REQUIRE_SERVICES === '1') {
    throw new Error(`${missing.join('; ')}, and HUBBUB_REQUIRE_SERVICES=1 requires it`);
  }
  return { pgUrl: p.url, redisUrl: r.url, ok: missing.length === 0, why: missing.length ? ` (${missing.join('; ')})` : '' };
}

export interface Isolation {
  /** A fresh PostgreSQL schema (config databaseSchema / HUBBUB_DATABASE_SCHEMA). */
  schema: string;
  /** A Redis channel prefix of its own (config busPrefix / HUBBUB_BUS_PREFIX). */
  busPrefix: string;
}

let isolations = 0;
/** A schema and a bus prefix no other test (or parallel run) uses. */
export function isolation(tag: string): Isolation {
  const id = `${tag}_${process.pid}_${Date.now().toString(36)}_${isolations++}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return { schema: `hubbub_${id}`, busPrefix: `hubbub-test:${id}:` };
}

export async function dropSchemas(pgUrl: string, schemas: string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
}

// ── the bus, seen from Redis ───────────────────────────────────────────────

/** Kills every connection of the bus with this prefix (RedisBus names them `<prefix>bus:pub|sub`). */
export async function killBusConnections(admin: Redis, busPrefix: string): Promise<number> {
  const list = String(await admin.client('LIST'));
  const ids = list
    .split('\n')
    .filter((l) => l.includes(` name=${busPrefix}bus:`))
    .map((l) => /\bid=(\d+)/.exec(l)![1]!);
  let killed = 0;
  for (const id of ids) killed += Number(await admin.client('KILL', 'ID', id).catch(() => 0));
  return killed;
}

/** How many connections are subscribed to the bus channel of this prefix (one per live node). */
export async function busSubscribers(admin: Redis, busPrefix: string): Promise<number> {
  const r = (await admin.pubsub('NUMSUB', `${busPrefix}bus`)) as unknown[];
  return Number(r[1]);
}

/**
 * A TCP proxy in front of a server (Redis). Stopping it closes every
 * connection through it and refuses new ones, as a restarting Redis would;
 * starting it again listens on the same port. The machine's shared Redis is
 * never touched.
 */
export class TcpProxy {
  port = 0;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  /** Connections accepted so far. */
  accepted = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  static forUrl(url: string): TcpProxy {
    const u = new URL(url);
    return new TcpProxy({ host: u.hostname, port: Number(u.port || 6379) });
  }

  /** The target URL with the proxy's address in place of the server's. */
  url(original: string): string {
    const u = new URL(original);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get running(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      this.accepted++;
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

// ── waiting, HTTP ──────────────────────────────────────────────────────────

/** Resolves once `cond()` holds, checking every few ms; fails naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function http<T = any>(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

/** Registers a user on the node at `base` and takes a bearer token there. */
export async function registerUser(base: string, username: string, password = 'hubbub-pass-4821'): Promise<TestUser> {
  const reg = await http(base, 'POST', '/api/v1/auth/register', undefined, { username, password });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const tok = await http(base, 'POST', '/api/v1/tokens', undefined, { username, password });
  if (tok.status !== 201) throw new Error(`token ${username}: ${tok.status} ${JSON.stringify(tok.body)}`);
  return { id: reg.body.user.id, username, token: tok.body.token };
}

export async function ok<T = any>(p: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The head cursor of `user`'s stream, taken at `base`. */
export async function headCursor(base: string, user: TestUser): Promise<string> {
  return (await ok(http(base, 'GET', '/api/v1/sync', user.token), 'head')).cursor as string;
}

// ── nodes as processes ─────────────────────────────────────────────────────

export interface Node {
  name: string;
  base: string;
  child: ChildProcess;
  /** False once the test killed or stopped it: a load balancer with health checks takes it out. */
  alive: boolean;
}

/**
 * N `hubbub serve` processes on one PostgreSQL schema and one Redis prefix,
 * started together (their migrations meet at the migration lock).
 */
export class ProcessCluster {
  private constructor(readonly nodes: Node[]) {}

  static async start(n: number, svc: { pgUrl: string; redisUrl: string }, iso: Isolation): Promise<ProcessCluster> {
    const started = await Promise.allSettled(
      [...Array(n).keys()].map(async (i) => {
        const name = `node${i}`;
        const { child, base } = await startProcess(['--database-url', svc.pgUrl, '--redis-url', svc.redisUrl], {
          HUBBUB_DATABASE_SCHEMA: iso.schema,
          HUBBUB_BUS_PREFIX: iso.busPrefix,
          HUBBUB_NODE_ID: name,
        });
        return { name, base, child, alive: true };
      }),
    );
    const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await new ProcessCluster(nodes).stop();
      throw (failed as PromiseRejectedResult).reason;
    }
    return new ProcessCluster(nodes);
  }

  /** Sends `signal` to node `i` and resolves when it has exited. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const node = this.nodes[i]!;
    node.alive = false;
    const done = exited(node.child);
    node.child.kill(signal);
    return done;
  }

  /** Stops every node still running (SIGTERM, then SIGKILL after 10 s). */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        node.alive = false;
        if (node.child.exitCode !== null || node.child.signalCode !== null) return;
        const done = exited(node.child);
        node.child.kill('SIGTERM');
        const force = setTimeout(() => node.child.kill('SIGKILL'), 10_000);
        await done;
        clearTimeout(force);
      }),
    );
  }

  /**
   * A load balancer without health checks and without stickiness: every
   * call is the next node in turn, dead ones included (a request there fails
   * and the client retries — landing on the next).
   */
  rotate(start = 0, log?: string[]): () => string {
    let k = start;
    return () => {
      const node = this.nodes[k++ % this.nodes.length]!;
      log?.push(node.name);
      return node.base;
    };
  }

  /**
   * A load balancer that checks health: `home` while it is alive, else the
   * live nodes in turn. Records the node each call chose in `log`.
   */
  prefer(home: number, log?: string[]): () => string {
    let k = home;
    return () => {
      let node = this.nodes[home]!;
      if (!node.alive) {
        const live = this.nodes.filter((x) => x.alive);
        node = live.length ? live[k++ % live.length]! : node;
      }
      log?.push(node.name);
      return node.base;
    };
  }
}

// ── a raw long-poll reader ─────────────────────────────────────────────────

export interface Received {
  event: any;
  at: number;
  node: string;
}

/**
 * Follows a user's stream with plain `GET /api/v1/sync?since=C&wait=W`,
 * asking `next()` for the node of every request (rotate it: no stickiness).
 * Keeps every event exactly as served — no client-side de-duplication — so a
 * doubled or reordered event shows. A failed request (node gone, 503 while it
 * drains) is retried with the same cursor on the next node; any other error
 * status stops the reader (`error`).
 */
export class RawLongPoll {
  readonly received: Received[] = [];
  requests = 0;
  failures = 0;
  error: Error | null = null;
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly next: () => string,
    private readonly token: string,
    public cursor: string,
    private readonly wait = 5,
  ) {
    this.done = this.run();
  }

  messages(): any[] {
    return this.received.filter((r) => r.event.type === 'message.created').map((r) => r.event.message);
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const base = this.next();
      this.requests++;
      const timeout = AbortSignal.timeout((this.wait + 15) * 1000);
      try {
        const res = await fetch(`${base}/api/v1/sync?since=${encodeURIComponent(this.cursor)}&wait=${this.wait}&limit=500`, {
          headers: { authorization: `Bearer ${this.token}` },
          signal: AbortSignal.any([this.abort.signal, timeout]),
        });
        const text = await res.text();
        if (res.status === 503) throw new Error('draining');
        if (res.status !== 200) {
          this.error = new Error(`sync at ${base}: ${res.status} ${text}`);
          return;
        }
        const body = JSON.parse(text) as { events: any[]; cursor: string };
        const at = Date.now();
        for (const event of body.events) this.received.push({ event, at, node: base });
        this.cursor = body.cursor;
      } catch {
        if (this.abort.signal.aborted) return;
        this.failures++;
        // A short pause so a dead node is not hammered; the next request goes elsewhere anyway.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

// ── checks ─────────────────────────────────────────────────────────────────

const position = (cursor: string): number => parseInt(cursor.slice(1), 36);

/** Whether positions strictly increase (in order, nothing twice). */
export function strictlyIncreasing(cursors: string[]): boolean {
  return cursors.every((c, i) => i === 0 || position(c) > position(cursors[i - 1]!));
}

/** Percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

// ── SDK readers ────────────────────────────────────────────────────────────

export interface SdkReader {
  client: HubbubClient;
  received: Received[];
  /** Every status the client went through, in order. */
  statuses: Status[];
  messages(): any[];
}

/** An SDK client on one transport, recording every message it hands over (after its own de-duplication). */
export function sdkReader(baseUrl: () => string, token: string, transport: TransportName): SdkReader {
  const client = new HubbubClient({
    baseUrl,
    token,
    transports: [transport],
    WebSocket,
    backoff: { baseMs: 20, maxMs: 250 },
    longPollWait: 5,
  });
  const received: Received[] = [];
  const statuses: Status[] = [];
  client.on('event', (event) => received.push({ event, at: Date.now(), node: transport }));
  client.on('status', (s) => statuses.push(s));
  return {
    client,
    received,
    statuses,
    messages: () => received.filter((r) => r.event.type === 'message.created').map((r) => r.event.message),
  };
}
