import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { HubbubClient, type Message } from '../../client/index.js';
import {
  dropSchemas,
  findServices,
  headCursor,
  http,
  isolation,
  ok,
  ProcessCluster,
  RawLongPoll,
  registerUser,
  sdkReader,
  strictlyIncreasing,
  waitFor,
  type SdkReader,
  type TestUser,
} from '../helpers/cluster.js';

/**
 * Three `hubbub serve` processes on one PostgreSQL schema and one Redis
 * prefix, with clients spread over nodes and transports and no stickiness:
 * WebSocket and SSE readers homed on a node (a load balancer moves them when
 * it fails), long polls that land on the next node with every request, and
 * writers whose every request may land anywhere. Mid-stream one node is
 * killed with SIGKILL and later another is stopped with SIGTERM; every reader
 * ends with every message exactly once, in the same order, and every
 * acknowledged send is in it.
 */
const svc = await findServices();
const iso = isolation('multinode');
let cluster: ProcessCluster | null = null;
const clients: HubbubClient[] = [];
const readers: RawLongPoll[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  for (const r of readers) await r.stop();
  await cluster?.stop();
  if (svc.pgUrl) await dropSchemas(svc.pgUrl, [iso.schema]);
});

const PHASE1 = 90; // per writer; node0 is killed about a third of the way in
const PHASE2 = 20; // per writer; node1 is stopped (SIGTERM) during these

describe.skipIf(!svc.ok)(`multinode: 3 processes on one PostgreSQL and one Redis${svc.why}`, () => {
  it('kill -9 of one node and SIGTERM of another lose and double nothing, on every transport', async () => {
    const started = Date.now();
    cluster = await ProcessCluster.start(3, { pgUrl: svc.pgUrl!, redisUrl: svc.redisUrl! }, iso);
    const c = cluster;
    const [n0, n1, n2] = c.nodes.map((n) => n.base) as [string, string, string];
    const startup = Date.now() - started;

    // Users registered and joined on different nodes: accounts, tokens and membership live in the shared store.
    const reg = async (base: string, name: string) => registerUser(base, name);
    const [w0, w1, w2, rWs0, rSse0, rWs1, rSse2, rLp, rRaw] = (await Promise.all([
      reg(n0, 'writer0'),
      reg(n1, 'writer1'),
      reg(n2, 'writer2'),
      reg(n0, 'r_ws0'),
      reg(n0, 'r_sse0'),
      reg(n1, 'r_ws1'),
      reg(n2, 'r_sse2'),
      reg(n1, 'r_lp'),
      reg(n2, 'r_raw'),
    ])) as TestUser[];
    const conv = (await ok(http(n0, 'POST', '/api/v1/conversations', w0!.token, { kind: 'room', name: 'multinode' }), 'room')).conversation
      .id as string;
    const homes: Array<[string, TestUser]> = [
      [n1, w1!],
      [n2, w2!],
      [n0, rWs0!],
      [n0, rSse0!],
      [n1, rWs1!],
      [n2, rSse2!],
      [n1, rLp!],
      [n2, rRaw!],
    ];
    await Promise.all(
      homes.map(([base, u]) => ok(http(base, 'POST', `/api/v1/conversations/${conv}/join`, u.token), `join ${u.username}`)),
    );

    // Readers. `routes` records the node every (re)connect of the homed clients went to.
    const routes: Record<string, string[]> = { ws0: [], sse0: [], ws1: [] };
    const sdk: Record<string, SdkReader> = {
      ws0: sdkReader(c.prefer(0, routes.ws0), rWs0!.token, 'ws'),
      sse0: sdkReader(c.prefer(0, routes.sse0), rSse0!.token, 'sse'),
      ws1: sdkReader(c.prefer(1, routes.ws1), rWs1!.token, 'ws'),
      sse2: sdkReader(c.prefer(2), rSse2!.token, 'sse'),
      lp: sdkReader(c.rotate(0), rLp!.token, 'longpoll'),
    };
    for (const r of Object.values(sdk)) clients.push(r.client);
    // When node0's clients were first online again after the kill.
    let tKill = 0;
    const backOnline: Record<string, number> = {};
    for (const name of ['ws0', 'sse0'] as const) {
      sdk[name]!.client.on('status', (s) => {
        if (s === 'online' && tKill > 0) backOnline[name] ??= Date.now();
      });
    }
    const raw = new RawLongPoll(c.rotate(1), rRaw!.token, await headCursor(n2, rRaw!));
    readers.push(raw);

    // Writers: w0 sends over its WebSocket to node0 (then wherever the balancer sends it); w1 and w2 POST, each request to the next node.
    const writer = (u: TestUser, baseUrl: () => string, ws: boolean) => {
      const client = new HubbubClient({ baseUrl, token: u.token, transports: ['ws'], WebSocket, backoff: { baseMs: 20, maxMs: 250 } });
      clients.push(client);
      return { name: u.username, client, ws, acked: [] as Message[] };
    };
    const writers = [writer(w0!, c.prefer(0), true), writer(w1!, c.rotate(1), false), writer(w2!, c.rotate(2), false)];
    await Promise.all([...Object.values(sdk).map((r) => r.client.connect()), writers[0]!.client.connect()]);
    expect(writers[0]!.client.transport).toBe('ws');

    const send = (from: number, to: number) =>
      Promise.all(
        writers.map(async (w) => {
          for (let i = from; i < to; i++) w.acked.push(await w.client.send(conv, `${w.name}:${i}`));
        }),
      );
    const all = () => [...Object.values(sdk).map((r) => r.messages().length), raw.messages().length];

    // Phase 1: SIGKILL node0 once about a third of the stream is through.
    const t1 = Date.now();
    const phase1 = send(0, PHASE1);
    await waitFor(() => raw.messages().length >= PHASE1, 'a third of phase 1');
    const beforeKill = { delivered: raw.messages().length, acked: writers.map((w) => w.acked.length) };
    tKill = Date.now();
    const kill = await c.kill(0, 'SIGKILL');
    expect(kill.signal).toBe('SIGKILL');
    await phase1;
    await waitFor(() => all().every((n) => n >= 3 * PHASE1), 'every reader to have phase 1', 20_000);
    const phase1Ms = Date.now() - t1;
    // The kill really was mid-stream: every writer still had messages to send.
    expect(beforeKill.delivered).toBeLessThan(3 * PHASE1);
    for (const n of beforeKill.acked) expect(n).toBeLessThan(PHASE1);

    // Phase 2: SIGTERM node1 mid-stream; it closes its streams with "resume elsewhere" and exits 0.
    const phase2 = send(PHASE1, PHASE1 + PHASE2);
    await waitFor(() => raw.messages().length >= 3 * PHASE1 + PHASE2, 'a third of phase 2');
    const tTerm = Date.now();
    const term = await c.kill(1, 'SIGTERM');
    const termMs = Date.now() - tTerm;
    expect(term).toEqual({ code: 0, signal: null });
    await phase2;
    const total = 3 * (PHASE1 + PHASE2);
    await waitFor(() => all().every((n) => n >= total), 'every reader to have every message', 20_000);

    // The canonical stream is the raw long poll's: no client-side de-duplication there.
    const canon = raw.received.filter((x) => x.event.type === 'message.created');
    expect(canon).toHaveLength(total);
    expect(strictlyIncreasing(canon.map((x) => x.event.cursor))).toBe(true);
    const ids = canon.map((x) => x.event.message.id as string);
    expect(new Set(ids).size).toBe(total);
    expect(raw.error).toBeNull();
    // Each writer's messages in the order sent, each once; exactly the acknowledged ones.
    for (const w of writers) {
      const bodies = canon
        .map((x) => x.event.message)
        .filter((m) => m.senderId === w.acked[0]!.senderId)
        .map((m) => m.body);
      expect(bodies, w.name).toEqual(Array.from({ length: PHASE1 + PHASE2 }, (_, i) => `${w.name}:${i}`));
    }
    expect(new Set(writers.flatMap((w) => w.acked.map((m) => m.id)))).toEqual(new Set(ids));
    // Every SDK reader, whatever its transport and node, saw the very same stream.
    for (const [name, r] of Object.entries(sdk)) {
      const got = r.received.filter((x) => x.event.type === 'message.created');
      expect(
        got.map((x) => x.event.message.id),
        name,
      ).toEqual(ids);
      expect(strictlyIncreasing(got.map((x) => x.event.cursor)), name).toBe(true);
    }
    // Nothing after the last message, asked of the surviving node.
    expect((await ok(http(n2, 'GET', `/api/v1/sync?since=${raw.cursor}`, rRaw!.token), 'final sync')).events).toEqual([]);

    // The killed node's clients went elsewhere: they dropped to 'connecting' and came back online on another node.
    for (const name of ['ws0', 'sse0'] as const) {
      expect(routes[name]![0], name).toBe('node0');
      expect(
        routes[name]!.some((n) => n !== 'node0'),
        name,
      ).toBe(true);
      expect(sdk[name]!.statuses.slice(-2), name).toEqual(['connecting', 'online']);
    }
    expect(routes.ws1!.some((n) => n === 'node2')).toBe(true);
    expect(raw.failures).toBeGreaterThan(0); // some of its polls did hit a dead node, and were retried elsewhere
    console.log(
      `[multinode] startup of 3 nodes ${startup} ms; phase 1 (${3 * PHASE1} messages, SIGKILL of node0) ${phase1Ms} ms; ` +
        `node0's clients online elsewhere ${backOnline.ws0! - tKill} ms (ws) and ${backOnline.sse0! - tKill} ms (sse) after the kill; ` +
        `SIGTERM to exit 0 of node1 ${termMs} ms; raw long poll: ${raw.requests} requests, ${raw.failures} retried; whole test ${Date.now() - started} ms`,
    );
  }, 60_000);
});
