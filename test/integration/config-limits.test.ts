import path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import WebSocket from 'ws';
import { makeConfig } from '../../src/config.js';
import type { Server } from '../../src/server.js';
import { LoginThrottle, loginThrottleOptions } from '../../src/services/login-throttle.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { testServer, userApi } from '../helpers/server.js';
import { listen, RawWs, waitFor } from './transports.helpers.js';

/**
 * The bounds that used to be constants in code (issue 11, item 9), set from
 * configuration, change what a running node does.
 */
let server: (Server & { dataDir: string }) | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function lobbyOf(s: Server, username: string) {
  const api = await userApi(s, username);
  const lobby = (await api.call('GET', '/api/v1/rooms')).body.rooms.find((r: { name: string }) => r.name === 'lobby');
  await api.call('POST', `/api/v1/conversations/${lobby.id}/join`);
  return { api, lobbyId: lobby.id as string };
}

describe('WebSocket frame bounds (wsMaxPayloadBytes, wsBadFrameLimit)', () => {
  test('a frame the default would take closes with 1009 under a lower wsMaxPayloadBytes; 3 bad frames close with 1008', async () => {
    server = await testServer({ wsMaxPayloadBytes: 32 * 1024, wsBadFrameLimit: 3 });
    const { baseUrl } = await listen(server);
    const { api, lobbyId } = await lobbyOf(server, 'alice_ws');
    const open = async () => {
      const c = RawWs.bearer(baseUrl, api.token);
      await c.next((f) => f.type === 'hello', 'hello');
      return c;
    };

    // 40,000 bytes: under the default 64 KiB (answered BODY_TOO_LONG), over the configured 32 KiB.
    const big = await open();
    big.send({ type: 'send', ref: 'big', conversationId: lobbyId, body: 'z'.repeat(40_000) });
    expect((await big.closed).code).toBe(1009);

    const bad = await open();
    for (let i = 0; i < 3; i++) bad.send('{oops');
    expect((await bad.closed).code).toBe(1008);
    expect(bad.frames.filter((f) => f.error?.code === 'INVALID_JSON')).toHaveLength(3);
  });
});

describe('legacy caps (legacyMaxLongPolls, legacyMaxSockets, legacySocketsPerIp)', () => {
  test('the node-wide legacy long-poll cap refuses the third waiter from a third address', async () => {
    server = await testServer({ trustProxy: true, legacyMaxLongPolls: 2, legacyLongPollsPerIp: 2 });
    const { baseUrl } = await listen(server);
    const s = server;
    const waiting = () => s.hub.stats().byKind['compat-longpoll'] ?? 0;
    const poll = (ip: string) =>
      fetch(baseUrl + '/updatemsg', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
        body: 'cursor=',
      });
    const held = [poll('198.51.100.1'), poll('198.51.100.2')];
    await waitFor(() => waiting() === 2, 'two legacy polls to wait');
    const third = await poll('198.51.100.3');
    expect(third.status).toBe(429);
    expect(JSON.parse(await third.text())).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(
      (
        await fetch(baseUrl + '/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'query=wake',
        })
      ).status,
    ).toBe(200);
    for (const r of held) expect((await r).status).toBe(200);
  });

  test('/msg sockets are capped per address and per node as configured', async () => {
    server = await testServer({ trustProxy: true, legacyMaxSockets: 3, legacySocketsPerIp: 2 });
    const { baseUrl } = await listen(server);
    const url = baseUrl.replace(/^http/, 'ws') + '/msg';
    const open = (ip: string) =>
      new Promise<WebSocket | number>((resolve) => {
        const ws = new WebSocket(url, { headers: { 'x-forwarded-for': ip } });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => undefined);
      });
    const a1 = await open('198.51.100.1');
    const a2 = await open('198.51.100.1');
    expect(a1).toBeInstanceOf(WebSocket);
    expect(a2).toBeInstanceOf(WebSocket);
    expect(await open('198.51.100.1')).toBe(429); // per address
    const b1 = await open('198.51.100.2');
    expect(b1).toBeInstanceOf(WebSocket);
    expect(await open('198.51.100.3')).toBe(429); // per node: 3 held
    for (const ws of [a1, a2, b1]) (ws as WebSocket).close();
  });
});

describe('credential cache (authCacheSeconds)', () => {
  test('a credential stays fresh for the configured time, not the default 5 s', async () => {
    server = await testServer({ authCacheSeconds: 30 });
    const alice = await userApi(server, 'alice_cache');
    expect(await server.auth.resolve(alice.token, 'bearer')).not.toBeNull();
    const base = performance.now();
    const clock = vi.spyOn(performance, 'now').mockReturnValue(base + 10_000);
    try {
      expect(server.auth.cached(alice.token, 'bearer')!.fresh).toBe(true);
      clock.mockReturnValue(base + 31_000);
      expect(server.auth.cached(alice.token, 'bearer')!.fresh).toBe(false);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('login throttle tables (loginThrottleEntries)', () => {
  test('each table keeps at most the configured number of keys', () => {
    let now = 0;
    const t = new LoginThrottle({ ...loginThrottleOptions(makeConfig({ loginThrottleEntries: 1000 })), clock: () => now });
    for (let i = 0; i < 1500; i++) {
      now += 1;
      t.admit(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
    }
    expect(t.sizes.perIp).toBe(1000);
    expect(t.sizes.perIpAccount).toBe(1000);
    expect(t.sizes.accounts).toBe(1000);
  });
});

describe('head poll (headPollMs)', () => {
  test('writes by another process (the CLI, another node without a bus) are seen within the configured poll', async () => {
    server = await testServer({ headPollMs: 100 });
    expect(server.hub.opts.pollInterval).toBe(100);
    const { api, lobbyId } = await lobbyOf(server, 'alice_poll');
    const other = new SqliteStore(path.join(server.dataDir, 'hubbub.db'));
    try {
      // Three writes in a row, each waited for: with the default 1 s poll this takes ≈ 2–3 s.
      const started = performance.now();
      for (let i = 0; i < 3; i++) {
        const { events } = await other.appendMessage({
          conversationId: lobbyId,
          senderId: api.user.id,
          body: `from elsewhere ${i}`,
          clientMsgId: null,
          now: new Date().toISOString(),
        });
        const seq = events.at(-1)!.seq;
        await waitFor(() => server!.hub.log.head >= seq, `the node to see event ${seq}`);
      }
      expect(performance.now() - started).toBeLessThan(1200);
    } finally {
      await other.close();
    }
  });
});
