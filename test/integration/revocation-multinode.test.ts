import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Server } from '../../src/server.js';
import {
  dropSchemas,
  findServices,
  http,
  isolation,
  registerUser,
  TcpProxy,
  waitFor,
  type Isolation,
  type TestUser,
} from '../helpers/cluster.js';
import { listeningNode } from '../helpers/server.js';
import { RawSse, RawWs } from './transports.helpers.js';

/**
 * Revocation and deletion ride the log, not the bus: a node learns of them by
 * reading the events (a doorbell, or its head poll once a second), so the
 * connections a credential holds on another node end within a second — with
 * the bus up or down. Two in-process nodes on one PostgreSQL schema.
 */
const svc = await findServices();
const schemas: string[] = [];
const open: Array<() => unknown> = [];
const PW = 'Velvet-Harbor-Quill-38';

afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
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
  open.push(() => n.server.close());
  return n;
}

/** A WebSocket, an SSE stream and a waiting long poll of `u` on node `n`. */
async function connect(n: Node, u: TestUser) {
  const ws = RawWs.bearer(n.base, u.token);
  open.push(() => ws.ws.terminate());
  await ws.next((f) => f.type === 'hello', 'hello');
  const sse = RawSse.bearer(n.base, u.token);
  open.push(() => sse.close());
  await waitFor(() => sse.records.some((r) => r.event === 'hello'), 'sse hello');
  const head = (await http(n.base, 'GET', '/api/v1/sync', u.token)).body.cursor as string;
  let polled: { status: number; body: any } | null = null;
  void fetch(`${n.base}/api/v1/sync?since=${head}&wait=30`, { headers: { authorization: `Bearer ${u.token}` } }).then(
    async (r) => (polled = { status: r.status, body: await r.json() }),
  );
  await waitFor(() => n.server.hub.connectionsOf(u.id) === 3, 'three connections attached');
  return { ws, sse, polled: () => polled };
}

/** Waits for all three to end with `code`; returns how long the slowest took from `since`. */
async function ended(c: Awaited<ReturnType<typeof connect>>, code: string, since: number): Promise<number> {
  // waitFor looks every 5 ms, so this is within 5 ms of the last one ending.
  await waitFor(() => c.ws.closeInfo !== null && c.sse.ended && c.polled() !== null, `${code} on all three`, 5000);
  const took = performance.now() - since;
  expect(c.ws.closeInfo!.code).toBe(code === 'SESSION_REVOKED' ? 4504 : 4505);
  expect(c.polled()).toMatchObject({ status: 401, body: { error: { code } } });
  expect(JSON.parse(c.sse.records.at(-1)!.data).error.code).toBe(code);
  return took;
}

describe.skipIf(!svc.ok)(`revocation across nodes${svc.why}`, () => {
  it("logout-all on node A ends the user's connections on node B within a second; account deletion too", async () => {
    const iso = isolation('revoke');
    schemas.push(iso.schema);
    const A = await node(iso, 'A', svc.redisUrl!);
    const B = await node(iso, 'B', svc.redisUrl!);
    const alice = await registerUser(A.base, 'alice', PW);
    const bob = await registerUser(A.base, 'bob', PW);

    const c = await connect(B, alice);
    const t0 = performance.now();
    expect((await http(A.base, 'POST', '/api/v1/auth/logout-all', alice.token)).status).toBe(200);
    expect(await ended(c, 'SESSION_REVOKED', t0)).toBeLessThan(1000);

    const d = await connect(B, bob);
    const t1 = performance.now();
    expect((await http(A.base, 'DELETE', '/api/v1/me', bob.token, { password: PW })).status).toBe(200);
    expect(await ended(d, 'ACCOUNT_DELETED', t1)).toBeLessThan(1000);
  });

  it('with the bus down, node B still ends them within its head poll (one second)', async () => {
    const iso = isolation('revoke_nobus');
    schemas.push(iso.schema);
    const proxy = TcpProxy.forUrl(svc.redisUrl!);
    await proxy.start();
    open.push(() => proxy.stop());
    const A = await node(iso, 'A', svc.redisUrl!);
    const B = await node(iso, 'B', proxy.url(svc.redisUrl!));
    const alice = await registerUser(A.base, 'alice', PW);
    const c = await connect(B, alice);
    await proxy.stop(); // B hears no doorbell from now on

    const t0 = performance.now();
    expect((await http(A.base, 'POST', '/api/v1/auth/logout-all', alice.token)).status).toBe(200);
    // One head-poll interval plus the time to read and act on the batch.
    expect(await ended(c, 'SESSION_REVOKED', t0)).toBeLessThan(1500);
  });
});
