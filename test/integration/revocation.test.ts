import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { http, registerUser, type TestUser } from '../helpers/cluster.js';
import { testServer } from '../helpers/server.js';
import type { Server } from '../../src/server.js';
import { listen, RawSse, RawWs, waitFor } from './transports.helpers.js';

/**
 * Revoking a credential ends the live connections made with it, at once on
 * this node: logout (that credential), logout-all and a password change
 * (every credential of the user), account deletion (every connection, with
 * the account-deleted code). WebSocket: an error frame naming the code, then
 * close 4504 / 4505; SSE: an `error` event, then the end of the stream; a
 * waiting long poll: the catalog's 401 at once.
 */

const PW = 'Velvet-Harbor-Quill-38';
const open: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function node(): Promise<{ s: Server & { dataDir: string }; base: string }> {
  const s = await testServer();
  open.push(() => s.close());
  const { baseUrl } = await listen(s);
  return { s, base: baseUrl };
}

/** A second bearer token of the same user: another "session" that a logout of the first must not touch. */
async function secondToken(base: string, u: TestUser): Promise<TestUser> {
  const r = await http(base, 'POST', '/api/v1/tokens', undefined, { username: u.username, password: PW });
  expect(r.status).toBe(201);
  return { ...u, token: r.body.token };
}

/** One of each live transport on `u`'s credential: a WebSocket, an SSE stream and a waiting long poll. */
async function connect(s: Server, base: string, u: TestUser) {
  const before = s.hub.connectionsOf(u.id);
  const ws = RawWs.bearer(base, u.token);
  open.push(() => ws.ws.terminate());
  await ws.next((f) => f.type === 'hello', 'hello');
  const sse = RawSse.bearer(base, u.token);
  open.push(() => sse.close());
  await waitFor(() => sse.records.some((r) => r.event === 'hello'), 'sse hello');
  const head = (await http(base, 'GET', '/api/v1/sync', u.token)).body.cursor as string;
  const poll = fetch(`${base}/api/v1/sync?since=${head}&wait=30`, { headers: { authorization: `Bearer ${u.token}` } }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as any,
  }));
  await waitFor(() => s.hub.connectionsOf(u.id) === before + 3, 'all three attached');
  return { ws, sse, poll };
}

type Conns = Awaited<ReturnType<typeof connect>>;

/** Each connection ended with `code`, within `ms` of now. */
async function expectEnded(c: Conns, code: 'SESSION_REVOKED' | 'ACCOUNT_DELETED', ms: number): Promise<void> {
  const closeCode = code === 'SESSION_REVOKED' ? 4504 : 4505;
  const deadline = (p: Promise<unknown>, what: string) =>
    Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} still open after ${ms} ms`)), ms))]);
  const [closed, polled] = (await Promise.all([
    deadline(c.ws.closed, 'WebSocket'),
    deadline(c.poll, 'long poll'),
    deadline(c.sse.done, 'SSE'),
  ])) as unknown as [{ code: number }, { status: number; body: any }];
  expect(closed.code).toBe(closeCode);
  expect(c.ws.frames.at(-1)).toMatchObject({ type: 'error', ref: null, error: { code } });
  expect(polled).toMatchObject({ status: 401, body: { error: { code } } });
  const last = c.sse.records.at(-1)!;
  expect(last.event).toBe('error');
  expect(JSON.parse(last.data).error.code).toBe(code);
}

async function stillOpen(c: Conns, s: Server, base: string, u: TestUser, friend: TestUser, dm: string): Promise<void> {
  expect(c.ws.closeInfo).toBeNull();
  expect(c.sse.ended).toBe(false);
  const sent = await http(base, 'POST', `/api/v1/conversations/${dm}/messages`, friend.token, { body: 'still there?' });
  expect(sent.status).toBe(201);
  await c.ws.next((f) => f.type === 'message.created' && f.message.body === 'still there?', 'message on the kept WebSocket');
  await waitFor(() => c.sse.events().some((e) => e.message?.body === 'still there?'), 'message on the kept SSE stream');
  expect((await c.poll).body.events.map((e: any) => e.message.body)).toEqual(['still there?']);
  expect(s.hub.connectionsOf(u.id)).toBeGreaterThanOrEqual(2);
}

/** alice and bob, friends with a direct conversation. */
async function pair(base: string): Promise<{ alice: TestUser; bob: TestUser; dm: string }> {
  const alice = await registerUser(base, 'alice', PW);
  const bob = await registerUser(base, 'bob', PW);
  expect((await http(base, 'POST', '/api/v1/friends/requests', alice.token, { username: 'bob' })).status).toBe(201);
  const reqs = await http(base, 'GET', '/api/v1/friends/requests', bob.token);
  expect((await http(base, 'POST', `/api/v1/friends/requests/${reqs.body.incoming[0].id}/accept`, bob.token)).status).toBe(200);
  const dm = (await http(base, 'POST', '/api/v1/direct/bob', alice.token)).body.conversation.id as string;
  return { alice, bob, dm };
}

describe('revocation ends live connections', () => {
  it("logout ends that credential's WebSocket (4504), SSE stream and waiting long poll at once; another credential of the user keeps its own", async () => {
    const { s, base } = await node();
    const { alice, bob, dm } = await pair(base);
    const alice2 = await secondToken(base, alice);
    const a = await connect(s, base, alice);
    const b = await connect(s, base, alice2);

    expect((await http(base, 'POST', '/api/v1/auth/logout', alice.token)).status).toBe(200);
    // On this node the connections are closed before the logout answers; 500 ms is only the wire.
    await expectEnded(a, 'SESSION_REVOKED', 500);
    await stillOpen(b, s, base, alice2, bob, dm);
    expect((await http(base, 'GET', '/api/v1/me', alice.token)).status).toBe(401);
  });

  it('logout-all ends every connection of the user; other users keep theirs', async () => {
    const { s, base } = await node();
    const { alice, bob, dm } = await pair(base);
    const alice2 = await secondToken(base, alice);
    const a = await connect(s, base, alice);
    const b = await connect(s, base, alice2);
    const theirs = await connect(s, base, bob);

    expect((await http(base, 'POST', '/api/v1/auth/logout-all', alice.token)).status).toBe(200);
    await Promise.all([expectEnded(a, 'SESSION_REVOKED', 500), expectEnded(b, 'SESSION_REVOKED', 500)]);
    await stillOpen(theirs, s, base, bob, bob, dm);
    expect(s.hub.connectionsOf(alice.id)).toBe(0);
  });

  it('account deletion ends every connection of the account with ACCOUNT_DELETED (4505)', async () => {
    const { s, base } = await node();
    const { alice } = await pair(base);
    const alice2 = await secondToken(base, alice);
    const a = await connect(s, base, alice);
    const b = await connect(s, base, alice2);

    expect((await http(base, 'DELETE', '/api/v1/me', alice.token, { password: PW })).status).toBe(200);
    await Promise.all([expectEnded(a, 'ACCOUNT_DELETED', 500), expectEnded(b, 'ACCOUNT_DELETED', 500)]);
    expect(s.hub.connectionsOf(alice.id)).toBe(0);
  });

  it('a password change from the CLI (another process on the same database) ends every connection within the head poll', async () => {
    const { s, base } = await node();
    const { alice } = await pair(base);
    const a = await connect(s, base, alice);
    const bin = path.resolve(import.meta.dirname, '../../bin/hubbub.js');
    const cli = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'user', 'passwd', 'alice', '--data-dir', s.dataDir, '--password', 'Quartz-Lantern-Orbit-71'],
        (err, _out, stderr) => {
          resolve({ code: err ? 1 : 0, stderr });
        },
      );
    });
    expect(cli, cli.stderr).toMatchObject({ code: 0 });
    // The server hears of it by reading the log: its head poll runs once a second.
    await expectEnded(a, 'SESSION_REVOKED', 1500);
  });

  it('a send frame already read when logout-all lands is neither stored nor acknowledged', async () => {
    const { s, base } = await node();
    const { alice, bob, dm } = await pair(base);
    const ws = RawWs.bearer(base, alice.token);
    open.push(() => ws.ws.terminate());
    await ws.next((f) => f.type === 'hello', 'hello');

    // Hold the send between its checks and its write, as a slow database would.
    const store = s.store as { getMember: (...a: any[]) => Promise<unknown> };
    const getMember = store.getMember.bind(s.store);
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    store.getMember = async (...args: any[]) => {
      reached();
      await gate;
      return getMember(...args);
    };
    ws.send({ type: 'send', ref: 'r1', conversationId: dm, body: 'after logout', clientMsgId: 'm1' });
    await atGate;
    expect((await http(base, 'POST', '/api/v1/auth/logout-all', alice.token)).status).toBe(200);
    release();
    const closed = await Promise.race([
      ws.closed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('WebSocket still open 1 s after logout-all')), 1000)),
    ]);
    store.getMember = getMember;

    expect(closed.code).toBe(4504);
    expect(ws.frames.some((f) => f.type === 'ack')).toBe(false);
    const history = await http(base, 'GET', `/api/v1/conversations/${dm}/messages`, bob.token);
    expect(history.body.messages.map((m: any) => m.body)).not.toContain('after logout');
  });
});
