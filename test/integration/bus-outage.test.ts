import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Server } from '../../src/server.js';
import {
  busSubscribers,
  dropSchemas,
  findServices,
  headCursor,
  http,
  isolation,
  killBusConnections,
  ok,
  percentile,
  RawLongPoll,
  registerUser,
  sdkReader,
  strictlyIncreasing,
  TcpProxy,
  waitFor,
  type Isolation,
  type SdkReader,
  type TestUser,
} from '../helpers/cluster.js';
import { listeningNode } from '../helpers/server.js';

/**
 * The bus is a doorbell, the store is the log (DESIGN.md, "The one rule of
 * delivery"): two in-process nodes on one PostgreSQL schema and one Redis
 * prefix, a writer on node A, readers on both nodes; the bus is cut
 * mid-stream. Every reader still gets every message exactly once, in order:
 * a lost doorbell costs latency (the nodes poll the store's head once a
 * second), never data.
 */
const svc = await findServices();
const schemas: string[] = [];
/** What a test opened, closed in reverse order after it; a close that hangs fails naming itself. */
const open: Array<{ what: string; close(): unknown }> = [];

afterEach(async () => {
  for (const x of open.splice(0).reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`closing ${x.what} took over 10 s`)), 10_000);
    });
    try {
      await Promise.race([x.close(), hung]);
    } finally {
      clearTimeout(timer);
    }
  }
});
afterAll(async () => {
  if (svc.pgUrl) await dropSchemas(svc.pgUrl, schemas);
});

interface Node {
  server: Server;
  base: string;
}

async function node(iso: Isolation, name: string, redisUrl: string): Promise<Node> {
  const n = await listeningNode(svc.pgUrl!, iso, name, redisUrl);
  open.push({ what: `node ${name}`, close: () => n.server.close() });
  return n;
}

function fresh(tag: string): Isolation {
  const iso = isolation(tag);
  schemas.push(iso.schema);
  return iso;
}

/** A room made by `owner` on `at`, joined by each reader on its own node. */
async function room(at: Node, owner: TestUser, name: string, joins: Array<[Node, TestUser]>): Promise<string> {
  const conv = (await ok(http(at.base, 'POST', '/api/v1/conversations', owner.token, { kind: 'room', name }), 'create room')).conversation;
  for (const [n, u] of joins) await ok(http(n.base, 'POST', `/api/v1/conversations/${conv.id}/join`, u.token), 'join');
  return conv.id as string;
}

async function send(at: Node, user: TestUser, convId: string, body: string): Promise<any> {
  return (
    await ok(http(at.base, 'POST', `/api/v1/conversations/${convId}/messages`, user.token, { body, clientMsgId: body }), `send ${body}`)
  ).message;
}

/** Every message of `bodies`, each once, in that order, positions strictly increasing. */
function expectExactlyInOrder(messages: any[], cursors: string[], bodies: string[], who: string): void {
  expect(
    messages.map((m) => m.body),
    who,
  ).toEqual(bodies);
  expect(new Set(messages.map((m) => m.id)).size, `${who}: distinct ids`).toBe(bodies.length);
  expect(strictlyIncreasing(cursors), `${who}: positions increase`).toBe(true);
}

const rawCheck = (r: RawLongPoll, bodies: string[], who: string) => {
  const got = r.received.filter((x) => x.event.type === 'message.created');
  expectExactlyInOrder(
    got.map((x) => x.event.message),
    got.map((x) => x.event.cursor),
    bodies,
    who,
  );
};
const sdkCheck = (r: SdkReader, bodies: string[], who: string) => {
  const got = r.received.filter((x) => x.event.type === 'message.created');
  expectExactlyInOrder(
    got.map((x) => x.event.message),
    got.map((x) => x.event.cursor),
    bodies,
    who,
  );
};

/** Nothing more arrives after the last message: a short poll from the reader's cursor is empty. */
async function nothingAfter(at: Node, user: TestUser, cursor: string): Promise<void> {
  const r = await ok(http(at.base, 'GET', `/api/v1/sync?since=${cursor}`, user.token), 'final sync');
  expect(r.events).toEqual([]);
}

describe.skipIf(!svc.ok)(`bus outage: the store is the log, the bus a doorbell${svc.why}`, () => {
  it('cutting every bus connection mid-stream loses and doubles nothing on either node', async () => {
    const iso = fresh('bus_cut');
    const admin = new Redis(svc.redisUrl!);
    open.push({ what: 'the Redis admin connection', close: () => admin.disconnect() });
    const A = await node(iso, 'A', svc.redisUrl!);
    const B = await node(iso, 'B', svc.redisUrl!);
    await waitFor(async () => (await busSubscribers(admin, iso.busPrefix)) === 2, 'both nodes on the bus');

    const writer = await registerUser(A.base, 'writer');
    const readerA = await registerUser(A.base, 'reader_a');
    const readerB = await registerUser(B.base, 'reader_b');
    const conv = await room(A, writer, 'cut', [
      [A, readerA],
      [B, readerB],
    ]);

    // Long polls pinned to their node, plus SDK push readers (WebSocket on B, SSE on A).
    const pollB = new RawLongPoll(() => B.base, readerB.token, await headCursor(B.base, readerB));
    const pollA = new RawLongPoll(() => A.base, readerA.token, await headCursor(A.base, readerA));
    open.push({ what: 'the long poll on B', close: () => pollB.stop() }, { what: 'the long poll on A', close: () => pollA.stop() });
    const wsB = sdkReader(() => B.base, readerB.token, 'ws');
    const sseA = sdkReader(() => A.base, readerA.token, 'sse');
    open.push(
      { what: 'the WebSocket client on B', close: () => wsB.client.close() },
      { what: 'the SSE client on A', close: () => sseA.client.close() },
    );
    await Promise.all([wsB.client.connect(), sseA.client.connect()]);

    const TOTAL = 240;
    const bodies = Array.from({ length: TOTAL }, (_, i) => `cut-${i}`);
    const cuts: number[] = [];
    for (let i = 0; i < TOTAL; i++) {
      // Every 40 messages, once both nodes are back on the bus, every bus connection (a publisher and a
      // subscriber per node) is killed; the next messages are sent while they reconnect.
      if (i % 40 === 20) {
        await waitFor(async () => (await busSubscribers(admin, iso.busPrefix)) === 2, 'both nodes back on the bus');
        cuts.push(await killBusConnections(admin, iso.busPrefix));
      }
      await send(A, writer, conv, bodies[i]!);
    }
    expect(cuts).toHaveLength(6);
    for (const n of cuts) expect(n).toBeGreaterThanOrEqual(2);

    const readers = { pollA, pollB, wsB, sseA };
    await waitFor(() => Object.values(readers).every((r) => r.messages().length >= TOTAL), 'every reader to have every message', 20_000);
    rawCheck(pollB, bodies, 'long poll on B');
    rawCheck(pollA, bodies, 'long poll on A');
    sdkCheck(wsB, bodies, 'WebSocket on B');
    sdkCheck(sseA, bodies, 'SSE on A');
    expect(pollA.error ?? pollB.error).toBeNull();
    await nothingAfter(B, readerB, pollB.cursor);
    await nothingAfter(A, readerA, pollA.cursor);
    // ioredis reconnects and resubscribes by itself: both nodes are on the bus again.
    await waitFor(async () => (await busSubscribers(admin, iso.busPrefix)) === 2, 'both nodes to resubscribe');
  });

  it('a node whose Redis goes away catches up from the store, and hears doorbells again after Redis is back', async () => {
    const iso = fresh('bus_restart');
    const admin = new Redis(svc.redisUrl!);
    open.push({ what: 'the Redis admin connection', close: () => admin.disconnect() });
    // Node B reaches Redis through a proxy: stopping it is, for B, Redis going down (connections dropped, new ones refused).
    const proxy = TcpProxy.forUrl(svc.redisUrl!);
    await proxy.start();
    open.push({ what: 'the Redis proxy', close: () => proxy.stop() });
    const A = await node(iso, 'A', svc.redisUrl!);
    const B = await node(iso, 'B', proxy.url(svc.redisUrl!));
    await waitFor(async () => (await busSubscribers(admin, iso.busPrefix)) === 2, 'both nodes on the bus');

    const writer = await registerUser(A.base, 'writer');
    const reader = await registerUser(B.base, 'reader');
    const conv = await room(A, writer, 'restart', [[B, reader]]);
    const poll = new RawLongPoll(() => B.base, reader.token, await headCursor(B.base, reader));
    const ws = sdkReader(() => B.base, reader.token, 'ws');
    open.push(
      { what: 'the long poll on B', close: () => poll.stop() },
      { what: 'the WebSocket client on B', close: () => ws.client.close() },
    );
    await ws.client.connect();

    const bodies: string[] = [];
    const latency = (r: { messages(): any[]; received: Array<{ event: any; at: number }> }, id: string) => {
      const x = r.received.find((e) => e.event.type === 'message.created' && e.event.message.id === id)!;
      return x.at - Date.parse(x.event.message.createdAt);
    };
    /** One message at a time, each awaited on B before the next: its delivery latency on B. */
    const pingPong = async (tag: string, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const body = `${tag}-${i}`;
        bodies.push(body);
        const m = await send(A, writer, conv, body);
        await waitFor(() => poll.messages().some((x) => x.id === m.id) && ws.messages().some((x) => x.id === m.id), `${body} on B`, 10_000);
        out.push(latency(poll, m.id), latency(ws, m.id));
      }
      return out;
    };
    const burst = async (tag: string, n: number) => {
      for (let i = 0; i < n; i++) {
        bodies.push(`${tag}-${i}`);
        await send(A, writer, conv, `${tag}-${i}`);
      }
    };

    const before = await pingPong('up', 10);
    await burst('up-burst', 50);

    // Redis "goes down" for B: its bus connections drop and reconnecting is refused.
    await proxy.stop();
    await waitFor(async () => (await busSubscribers(admin, iso.busPrefix)) === 1, 'B off the bus');
    const down = await pingPong('down', 10);
    await burst('down-burst', 100);
    await waitFor(
      () => poll.messages().length === bodies.length && ws.messages().length === bodies.length,
      'B to catch up from the store with its bus down',
      15_000,
    );
    // No doorbell reached B all this time: it never got back on the bus.
    expect(await busSubscribers(admin, iso.busPrefix)).toBe(1);

    // Redis "comes back": ioredis reconnects and resubscribes by itself.
    await proxy.start();
    await waitFor(async () => (await busSubscribers(admin, iso.busPrefix)) === 2, 'B to resubscribe', 15_000);
    const after = await pingPong('back', 10);
    await burst('back-burst', 50);

    await waitFor(() => poll.messages().length >= bodies.length && ws.messages().length >= bodies.length, 'every message on B', 15_000);
    rawCheck(poll, bodies, 'long poll on B');
    sdkCheck(ws, bodies, 'WebSocket on B');
    expect(poll.error).toBeNull();
    await nothingAfter(B, reader, poll.cursor);

    const fig = (xs: number[]) => `p50 ${percentile(xs, 50)} ms, max ${Math.max(...xs)} ms`;
    console.log(
      `[bus-outage] delivery latency on B — bus up: ${fig(before)}; bus down (store poll only): ${fig(down)}; after Redis is back: ${fig(after)}`,
    );
    // With its bus down a node still delivers within about one poll interval (1 s), with headroom for a loaded machine.
    expect(Math.max(...down)).toBeLessThan(4000);
    // Back on the bus, the doorbell rings again: far below the 1 s poll interval typically.
    expect(percentile(after, 50)).toBeLessThan(Math.max(250, percentile(down, 50)));
  });
});
