import http from 'node:http';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

/** A GET over a real socket (through the server's fast path when it applies), abortable. */
function get(
  port: number,
  path: string,
  token: string,
  signal?: AbortSignal,
  headers: Record<string, string> = { authorization: `Bearer ${token}` },
): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, signal, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data), headers: res.headers }));
    });
    req.on('error', reject);
  });
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const waiters = (s: Server) => s.hub.stats().byKind.longpoll ?? 0;

describe('long poll', () => {
  let s: Server;
  let port: number;
  let alice: Api, bob: Api;
  let conv: string;

  beforeAll(async () => {
    s = await testServer();
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    port = (s.app.server.address() as { port: number }).port;
    [alice, bob] = [await userApi(s, 'alice'), await userApi(s, 'bob')];
    await befriend(alice, bob);
    conv = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
  });
  afterAll(() => s.close());

  test('a waiting sync returns the message another user sends', async () => {
    const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    const pending = get(port, `/api/v1/sync?since=${head}&wait=20`, bob.token);
    await until(() => waiters(s) === 1, 'the waiter');
    const sent = await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'wake up' });
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.body.events).toHaveLength(1);
    expect(r.body.events[0].message.id).toBe(sent.body.message.id);
    expect(r.body.cursor).toBe(r.body.events[0].cursor);
    expect(waiters(s)).toBe(0);
  });

  test('an idle one returns no events and the same cursor after wait', async () => {
    const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    const r = await get(port, `/api/v1/sync?since=${head}&wait=1`, bob.token);
    expect(r.body).toEqual({ events: [], cursor: head, more: false });
    expect(waiters(s)).toBe(0);
  });

  test('events for others do not wake a waiter', async () => {
    const carol = await userApi(s, 'carol');
    await befriend(alice, carol);
    const ac = (await alice.call('POST', '/api/v1/direct/carol')).body.conversation.id;
    const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    const pending = get(port, `/api/v1/sync?since=${head}&wait=20`, bob.token);
    await until(() => waiters(s) === 1, 'the waiter');
    await alice.call('POST', `/api/v1/conversations/${ac}/messages`, { body: 'for carol only' });
    expect(waiters(s)).toBe(1);
    await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'for bob' });
    const r = await pending;
    expect(r.body.events.map((e: any) => e.message.body)).toEqual(['for bob']);
  });

  test('500 long polls opened and then aborted leave zero waiters', async () => {
    const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    const controllers = Array.from({ length: 500 }, () => new AbortController());
    const polls = controllers.map((c) => get(port, `/api/v1/sync?since=${head}&wait=50`, bob.token, c.signal).catch((e) => e));
    await until(() => waiters(s) === 500, '500 waiters', 20_000);
    const metrics = await s.metrics.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^hubbub_longpoll_waiters 500$/m);
    for (const c of controllers) c.abort();
    await Promise.all(polls);
    await until(() => waiters(s) === 0, 'waiters to be freed');
    const after = await s.metrics.inject({ method: 'GET', url: '/metrics' });
    expect(after.body).toMatch(/^hubbub_longpoll_waiters 0$/m);
  });

  test('one commit wakes 1,000 waiters on one conversation without per-waiter database reads', async () => {
    const owner = await userApi(s, 'roomowner');
    const room = (await owner.call('POST', '/api/v1/conversations', { kind: 'room', name: 'crowd' })).body.conversation.id;
    const members: Api[] = [];
    for (let i = 0; i < 100; i++) {
      const u = await userApi(s, `crowd${i}`);
      await u.call('POST', `/api/v1/conversations/${room}/join`);
      members.push(u);
    }
    const head = (await owner.call('GET', '/api/v1/sync')).body.cursor;
    // 10 waiting connections per member = 1,000 waiters.
    const polls = members.flatMap((m) => Array.from({ length: 10 }, () => get(port, `/api/v1/sync?since=${head}&wait=30`, m.token)));
    await until(() => waiters(s) === 1000, '1000 waiters', 20_000);
    let userReads = 0;
    let globalReads = 0;
    const store = s.store as any;
    const [origUser, origGlobal] = [store.readUserEvents, store.readEvents];
    store.readUserEvents = (...a: unknown[]) => {
      userReads++;
      return origUser.apply(store, a);
    };
    store.readEvents = (...a: unknown[]) => {
      globalReads++;
      return origGlobal.apply(store, a);
    };
    try {
      const sent = await owner.call('POST', `/api/v1/conversations/${room}/messages`, { body: 'hello crowd' });
      const results = await Promise.all(polls);
      expect(results.every((r) => r.body.events.length === 1 && r.body.events[0].message.id === sent.body.message.id)).toBe(true);
      expect(userReads).toBe(0);
      expect(globalReads).toBeLessThanOrEqual(1);
    } finally {
      store.readUserEvents = origUser;
      store.readEvents = origGlobal;
    }
  });

  test('bad wait and limit values are refused', async () => {
    const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    for (const q of ['wait=56', 'wait=-1', 'wait=abc', 'limit=0', 'limit=1001']) {
      const r = await bob.call('GET', `/api/v1/sync?since=${head}&${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code, q).toBe('VALIDATION_FAILED');
    }
  });

  describe('the fast path (steady-state polls served before Fastify)', () => {
    test('answers exactly what the full path answers, with a short header set', async () => {
      const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
      await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'same either way' });
      const q = `/api/v1/sync?since=${head}&wait=20&limit=5`;
      const full = await bob.call('GET', q); // app.inject: always the full path
      const fast = await get(port, q, bob.token);
      expect(fast.status).toBe(200);
      expect(fast.body).toEqual(full.body);
      expect(fast.body.events[0].message.body).toBe('same either way');
      expect(fast.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(fast.headers['x-content-type-options']).toBe('nosniff');
      expect(fast.headers['cache-control']).toBe('no-store');
      expect(fast.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(Number(fast.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(fast.body)));
    });

    test('serves a cookie session too', async () => {
      const login = await s.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'bob', password: 'hubbub-pass-4821' },
      });
      expect(login.statusCode).toBe(200);
      const cookie = login.cookies.find((c) => c.name === 'hubbub_session')!;
      const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
      const headers = { cookie: `theme=dark; hubbub_session=${cookie.value}` };
      // The first poll resolves the session (full path); the second is served from the cache.
      const first = get(port, `/api/v1/sync?since=${head}&wait=20`, '', undefined, headers);
      await until(() => waiters(s) === 1, 'the first waiter');
      await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'one' });
      const r1 = await first;
      const second = get(port, `/api/v1/sync?since=${r1.body.cursor}&wait=20`, '', undefined, headers);
      await until(() => waiters(s) === 1, 'the second waiter');
      await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'two' });
      const r2 = await second;
      expect([r1, r2].map((r) => r.body.events.map((e: any) => e.message.body))).toEqual([['one'], ['two']]);
      expect(r2.headers['cache-control']).toBe('no-store');
    });

    test("input it declines gets the full path's answer: errors for bad input, the same events for odd but valid input", async () => {
      const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
      await bob.call('GET', `/api/v1/sync?since=${head}`); // the token is in the cache
      for (const q of [
        `since=${head}&since=${head}&wait=1`,
        `since=${head}&wait=99`,
        `since=${head}&wait=1&limit=0`,
        'since=nonsense&wait=1',
      ]) {
        const r = await get(port, `/api/v1/sync?${q}`, bob.token);
        expect(r.status, q).toBe(400);
        expect(['VALIDATION_FAILED', 'INVALID_CURSOR'], q).toContain(r.body.error.code);
      }
      const unknown = await get(port, `/api/v1/sync?since=${head}&wait=1`, 'hb_not-a-token');
      expect(unknown.status).toBe(401);
      expect(unknown.body.error.code).toBe('AUTH_REQUIRED');
      await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'encoded' });
      const encoded = await get(port, `/api/v1/sync?since=${encodeURIComponent(head).replace(/^c/, '%63')}&wait=1`, bob.token);
      expect(encoded.body.events.map((e: any) => e.message.body)).toEqual(['encoded']);
      expect(encoded.headers['cache-control']).toBeUndefined(); // answered by the full path
    });

    test('a credential revoked on another node is honoured as soon as this node reads the revocation from the log (≤ 1 s)', async () => {
      const erin = await userApi(s, 'erin');
      const head = (await erin.call('GET', '/api/v1/sync')).body.cursor; // resolves and caches the token
      // Another node's logout: the row is gone from the shared store and auth.revoked is in the log; this node's cache does not know yet.
      const started = performance.now();
      await s.store.deleteAuthToken(createHash('sha256').update(erin.token).digest('base64url'), 'logout');
      let status = 200;
      while (status === 200 && performance.now() - started < 5_000) {
        status = (await get(port, `/api/v1/sync?since=${head}`, erin.token)).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe(401);
      expect(performance.now() - started).toBeLessThan(1_500); // the 1 s head poll, not the 5 s cache freshness
    });

    test('a revoked token is refused at once, cached or not', async () => {
      const dave = await userApi(s, 'dave');
      const tok = dave.token;
      const head = (await dave.call('GET', '/api/v1/sync')).body.cursor;
      const warm = await get(port, `/api/v1/sync?since=${head}&wait=1`, tok);
      expect(warm.status).toBe(200);
      expect(warm.headers['cache-control']).toBe('no-store'); // served from the cache
      const out = await s.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: { authorization: `Bearer ${tok}` } });
      expect(out.statusCode).toBe(200);
      const after = await get(port, `/api/v1/sync?since=${head}&wait=1`, tok);
      expect(after.status).toBe(401);
    });
  });
});
