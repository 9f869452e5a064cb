/**
 * The reaction storm (issue 13): one message in a room of M members, M
 * WebSocket subscribers, then R of them react to it — each one `react` frame
 * over its own subscribed socket, open loop, spread evenly over S seconds. Every
 * subscriber must receive every acknowledged reaction's `reaction.added` exactly
 * once. A burst of reactions is the fan-out case a chat server meets when a
 * message in a big room goes viral: R × M deliveries in S seconds with no body
 * to amortise them, where a message fan-out sends one event per subscriber.
 */
import WebSocket from 'ws';
import { wsClient } from './clients.js';
import { LeanWs } from './lean-ws.js';
import type { ServerProc } from './procs.js';
import { baseResult, bounded, contentionNote, cpuMeter, type Env, own, type Result, run, waitSubscribed, withServer } from './scenarios.js';
import type { Account } from './seed.js';
import { CountingAgent, latencySummary, now, pool, request, Samples, sleep, waitFor } from './util.js';

/** Ten emoji, each reactor one of them in turn: shared chips, well inside maxReactionsPerMessage (20). */
const EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '🔥', '👀', '✅'];

export interface ReactionParams {
  /** Room size M = subscribers. */
  members: number;
  /** Reactors R (the first R subscribers), one reaction each. */
  users: number;
  /** Seconds the reactions are spread over. */
  seconds: number;
}

/** What the storm's subscribers saw, per (subscriber, reactor). */
class StormLedger {
  /** Copies of reactor r's event at subscriber s: counts[s * R + r]. */
  readonly counts: Uint8Array;
  /** When the first copy arrived (generator clock). */
  readonly firstAt: Float64Array;
  /** Events about this message by a user who is not a reactor, or reactions removed: none expected. */
  phantom = 0;

  constructor(
    readonly subscribers: number,
    private readonly reactorOf: ReadonlyMap<string, number>,
    private readonly messageId: string,
  ) {
    this.counts = new Uint8Array(subscribers * reactorOf.size);
    this.firstAt = new Float64Array(subscribers * reactorOf.size);
  }

  /** A stored event frame reached subscriber `s`. */
  event(s: number, e: { type?: string; messageId?: string; userId?: string }): void {
    if (e.messageId !== this.messageId) return;
    if (e.type !== 'reaction.added') {
      if (e.type === 'reaction.removed') this.phantom++;
      return;
    }
    const r = this.reactorOf.get(String(e.userId));
    if (r === undefined) {
      this.phantom++;
      return;
    }
    const k = s * this.reactorOf.size + r;
    if (this.counts[k]! < 255) this.counts[k]!++;
    if (this.counts[k] === 1) this.firstAt[k] = now();
  }

  /** Deliveries of the reactors in `expected` (acknowledged reactions) to every subscriber. */
  tally(expected: ReadonlySet<number>): { expected: number; unique: number; lost: number; dup: number } {
    const R = this.reactorOf.size;
    let unique = 0;
    let dup = this.phantom;
    for (let s = 0; s < this.subscribers; s++) {
      for (let r = 0; r < R; r++) {
        const c = this.counts[s * R + r]!;
        if (c > 1) dup += c - 1;
        // A reaction whose ack never came may still have been stored: a copy of it is neither expected nor lost.
        if (c > 0 && expected.has(r)) unique++;
      }
    }
    const want = expected.size * this.subscribers;
    return { expected: want, unique, lost: want - unique, dup };
  }
}

/**
 * One subscriber of the storm: LeanWs (or `ws` with --ws-client ws) for the
 * listeners; `ws` for the reactors, which send their `react` frame over the
 * very socket that receives the room's events, as a browser tab does. A socket
 * the server closes with a resumable code is reopened with the cursor, so a lagging
 * subscriber shows up as latency, not loss.
 */
class StormClient {
  cursor: string | null = null;
  reconnects = 0;
  errors = 0;
  private ws: WebSocket | null = null;
  private lean: LeanWs | null = null;
  private stopped = false;
  private ref = 0;
  private readonly pending = new Map<string, { resolve(): void; reject(err: Error): void }>();
  private hello: (() => void) | null = null;

  constructor(
    private readonly base: URL,
    private readonly token: string,
    readonly index: number,
    private readonly sender: boolean,
    private readonly ledger: StormLedger,
    private readonly localAddress: string,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      // A connect that never says hello gives up, so a reconnect after it is not blocked by its waiting `hello`.
      const timer = setTimeout(() => {
        this.hello = null;
        reject(new Error('no hello within 30 s'));
      }, 30_000);
      this.hello = () => {
        clearTimeout(timer);
        resolve();
      };
      const path = '/api/v1/ws' + (this.cursor ? `?since=${encodeURIComponent(this.cursor)}` : '');
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.hello = null;
        this.errors++;
        reject(err);
      };
      if (!this.sender && wsClient.lean) {
        LeanWs.connect(
          {
            host: this.base.hostname,
            port: Number(this.base.port),
            path,
            headers: { authorization: `Bearer ${this.token}` },
            localAddress: this.localAddress,
          },
          { onText: (d) => this.onText(d), onClose: (code) => this.closed(code) },
        ).then((lw) => {
          this.lean = lw;
        }, fail);
        return;
      }
      const ws = new WebSocket(new URL(path, this.base.href.replace(/^http/, 'ws')), {
        headers: { authorization: `Bearer ${this.token}` },
        perMessageDeflate: false,
        localAddress: this.localAddress,
        skipUTF8Validation: true,
      });
      this.ws = ws;
      ws.on('message', (d: Buffer, bin: boolean) => {
        if (!bin) this.onText(d);
      });
      ws.on('error', fail);
      ws.on('close', (code) => {
        if (this.ws === ws) this.closed(code);
      });
    });
  }

  /** Sends one `react` frame; resolves on its ack, rejects on its error frame or a close. */
  react(messageId: string, emoji: string): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not open'));
    const ref = String(++this.ref);
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      ws.send(JSON.stringify({ type: 'react', ref, messageId, emoji, on: true }));
    });
  }

  private onText(data: Buffer): void {
    let f: any;
    try {
      f = JSON.parse(data.toString('utf8'));
    } catch {
      this.errors++;
      return;
    }
    if (typeof f.cursor === 'string' && f.type !== 'hello') {
      this.cursor = f.cursor;
      this.ledger.event(this.index, f);
      return;
    }
    if (f.type === 'hello') {
      this.cursor = f.cursor ?? this.cursor;
      this.hello?.();
      this.hello = null;
    } else if ((f.type === 'ack' || f.type === 'error') && this.pending.has(f.ref)) {
      const p = this.pending.get(f.ref)!;
      this.pending.delete(f.ref);
      if (f.type === 'ack') p.resolve();
      else p.reject(new Error(`${f.error?.code}: ${f.error?.message}`));
    }
  }

  private closed(code: number): void {
    for (const p of this.pending.values()) p.reject(new Error(`closed ${code}`));
    this.pending.clear();
    if (this.stopped || this.hello) return;
    if (code === 4010) this.cursor = null;
    const resumable = (code >= 4000 && code < 4500) || code === 1006 || code === 1001 || code === 1011 || code === 1012 || code === 1013;
    if (!resumable) return;
    this.reconnects++;
    void sleep(100 + Math.random() * 200).then(() => (this.stopped ? undefined : this.connect().catch(() => undefined)));
  }

  close(): void {
    this.stopped = true;
    this.ws?.terminate();
    this.lean?.terminate();
  }
}

const LOCAL_ADDRS = Array.from({ length: 4 }, (_, i) => `127.0.0.${i + 1}`);

async function postMessage(srv: ServerProc, account: Account, conversationId: string): Promise<string> {
  const agent = new CountingAgent({ keepAlive: false });
  try {
    const r = await request(agent, srv.base, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: account.token,
      body: { body: 'React to this one.' },
      timeoutMs: 10_000,
    });
    if (r.status !== 201) throw new Error(`post the message: ${r.status} ${r.text.slice(0, 200)}`);
    return String(r.body.message.id);
  } finally {
    agent.destroy();
  }
}

/** The message as the server stores it afterwards: reactors counted over every emoji. */
async function storedReactions(srv: ServerProc, account: Account, conversationId: string, messageId: string): Promise<number | null> {
  const agent = new CountingAgent({ keepAlive: false });
  try {
    const r = await request(agent, srv.base, 'GET', `/api/v1/conversations/${conversationId}/messages?around=${messageId}&limit=1`, {
      token: account.token,
      timeoutMs: 10_000,
    });
    const m = (r.body?.messages ?? []).find((x: { id: unknown }) => String(x.id) === messageId);
    return m ? (m.reactions as { count: number }[]).reduce((n, x) => n + x.count, 0) : null;
  } catch {
    return null;
  } finally {
    agent.destroy();
  }
}

export async function reactionStorm(env: Env, p: ReactionParams): Promise<Result> {
  const res = baseResult('reactions', 'hubbub', 'ws', p.members, { ...p, emoji: Math.min(EMOJI.length, p.users) });
  return run(res, () =>
    withServer(env, 'hubbub', `reactions-${p.members}`, (srv) =>
      bounded(env.scenarioTimeoutMs, async (dl) => {
        const room = env.seed.rooms[p.members];
        if (!room) throw new Error(`no seeded room of size ${p.members}`);
        if (p.users > p.members) throw new Error(`--reaction-users (${p.users}) must be ≤ --reaction-members (${p.members})`);
        const accounts = env.seed.users.slice(0, p.members);
        const messageId = await postMessage(srv, env.seed.senders[0]!, room);
        const reactorOf = new Map(accounts.slice(0, p.users).map((a, r) => [String(a.id), r]));
        const ledger = new StormLedger(p.members, reactorOf, messageId);

        // Subscribers open after the message: each starts at the head, so only the storm is on their streams.
        const t0 = now();
        const clients: StormClient[] = [];
        let firstError: string | undefined;
        await pool(accounts, 100, async (a, i) => {
          if (dl.left() < 20_000) throw new Error(`only ${clients.length}/${p.members} subscribers connected in time`);
          const c = own(new StormClient(srv.base, a.token, i, i < p.users, ledger, LOCAL_ADDRS[i % LOCAL_ADDRS.length]!));
          try {
            await c.connect();
            clients[i] = c;
          } catch (err) {
            firstError ??= (err as Error).message;
          }
        });
        const connected = clients.filter(Boolean).length;
        res.metrics.connectSeconds = Math.round((now() - t0) / 100) / 10;
        if (connected < p.members) throw new Error(`only ${connected}/${p.members} subscribers connected: ${firstError}`);
        const subscribed = await waitSubscribed(srv, 'ws', p.members, 10_000);
        if (subscribed < p.members) res.notes.push(`only ${subscribed}/${p.members} subscribed at start`);
        await sleep(500);

        const sentAt = new Float64Array(p.users);
        const ackAt = new Float64Array(p.users).fill(NaN);
        const acked = new Set<number>();
        let sendError: string | undefined;
        const meter = cpuMeter(srv.pid);
        const start = now();
        const reacts: Promise<void>[] = [];
        for (let r = 0; r < p.users; r++) {
          const wait = start + (r * p.seconds * 1000) / p.users - now();
          if (wait > 0) await sleep(wait);
          sentAt[r] = now();
          reacts.push(
            clients[r]!.react(messageId, EMOJI[r % EMOJI.length]!).then(
              () => {
                ackAt[r] = now();
                acked.add(r);
              },
              (err: Error) => {
                sendError ??= err.message;
              },
            ),
          );
        }
        const spreadMs = now() - start;
        await Promise.race([Promise.all(reacts), sleep(Math.min(15_000, dl.left()))]);
        const R = p.users;
        const allIn = () => {
          for (let s = 0; s < p.members; s++) for (const r of acked) if (ledger.counts[s * R + r] === 0) return false;
          return true;
        };
        const drainMs = Math.min(10_000, Math.max(0, dl.left() - 3000));
        const complete = await waitFor(allIn, drainMs, 20);
        const stormMs = now() - start;
        const cpu = meter();
        // A short quiet spell after the last delivery, so a late second copy would still be counted.
        await sleep(500);
        const tally = ledger.tally(acked);

        const fromAck = new Samples();
        const fromSend = new Samples();
        let beforeAck = 0;
        let lastAt = 0;
        for (let s = 0; s < p.members; s++) {
          for (const r of acked) {
            const t = ledger.firstAt[s * R + r]!;
            if (!t) continue;
            fromSend.push(t - sentAt[r]!);
            fromAck.push(t - ackAt[r]!);
            if (t < ackAt[r]!) beforeAck++;
            if (t > lastAt) lastAt = t;
          }
        }
        const stored = await storedReactions(srv, env.seed.senders[0]!, room, messageId);
        if (!complete && tally.lost > 0)
          res.notes.push(`drain ended after ${Math.round(drainMs / 1000)} s with ${tally.lost} deliveries outstanding`);
        if (sendError) res.notes.push(`react: ${sendError}`);
        if (stored !== null && stored !== acked.size)
          res.notes.push(`the message holds ${stored} reactions, ${acked.size} were acknowledged`);
        res.metrics = {
          ...res.metrics,
          connected,
          reactors: p.users,
          reacted: acked.size,
          reactErrors: p.users - acked.size,
          spreadMs: Math.round(spreadMs),
          storedReactions: stored,
          complete,
          expected: tally.expected,
          delivered: tally.unique,
          lost: tally.lost,
          dup: tally.dup,
          /** From the reactor's `react` frame to each subscriber's copy. */
          latencyMs: latencySummary(fromSend.values()),
          /** From the reactor's ack to each copy: negative when the copy came first. */
          afterAckMs: latencySummary(fromAck.values()),
          deliveredBeforeAck: beforeAck,
          /** First react frame to the last copy delivered. */
          lastDeliveryMs: lastAt ? Math.round(lastAt - start) : null,
          deliveriesPerSec: Math.round(tally.unique / Math.max(0.001, (lastAt - start) / 1000)),
          /** The measured phase (CPU figures are per second of it): first react frame to the last copy, or the drain's end. */
          stormMs: Math.round(stormMs),
          serverCpuSeconds: Math.round(cpu.serverCpu * stormMs) / 1000,
          ...cpu,
          reconnects: clients.reduce((n, c) => n + c.reconnects, 0),
          clientErrors: clients.reduce((n, c) => n + c.errors, 0),
        };
        if (cpu.generatorCpu > 0.9) res.notes.push('load generator was CPU-bound: latencies include its own queueing');
        contentionNote(res, cpu);
        for (const c of clients) c.close();
      }),
    ),
  );
}
