import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { AuthService } from '../../src/services/auth.js';
import { testServer, userApi } from '../helpers/server.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** Issue 11, item 5: users list and end their sessions; revocations reach every node's credential cache. */
describe('sessions', () => {
  let s: Server;
  beforeAll(async () => {
    s = await testServer();
  });
  afterAll(async () => {
    await s.close();
  });

  const cookieLogin = async (username: string, password: string) => {
    const r = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password },
      headers: { 'user-agent': 'TestBrowser/1.0' },
      remoteAddress: '10.20.0.7',
    });
    const cookie = String(r.headers['set-cookie']).split(';')[0]!;
    return { cookie, csrf: r.json().csrfToken as string, token: cookie.split('=')[1]! };
  };

  test("lists the user's sessions and tokens without their hashes, marks the current one, and ends one by id", async () => {
    const pw = 'zebra-lamp-91';
    const fay = await userApi(s, 'fay', pw);
    const web = await cookieLogin('fay', pw);
    const list = await s.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: { cookie: web.cookie } });
    expect(list.statusCode).toBe(200);
    const sessions = list.json().sessions as Array<Record<string, unknown>>;
    expect(sessions).toHaveLength(3); // the registration's cookie session, the bearer token, this login
    for (const x of sessions) {
      expect(x.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(JSON.stringify(x)).not.toContain(sha256(web.token));
      expect(JSON.stringify(x)).not.toContain(sha256(fay.token));
      expect(typeof x.createdAt).toBe('number');
    }
    const current = sessions.filter((x) => x.current);
    expect(current).toHaveLength(1);
    expect(current[0]).toMatchObject({ kind: 'session', userAgent: 'TestBrowser/1.0', ip: '10.20.0.7' });
    const bearer = sessions.find((x) => x.kind === 'bearer')!;

    const asBearer = { authorization: `Bearer ${fay.token}` };
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/me', headers: asBearer })).statusCode).toBe(200); // cached now
    const end = await s.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/sessions/${bearer.id}`,
      headers: { cookie: web.cookie, 'x-csrf-token': web.csrf },
    });
    expect(end.statusCode).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/me', headers: asBearer })).statusCode).toBe(401); // at once, cache or not
    const after = (await s.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: { cookie: web.cookie } })).json().sessions;
    expect(after.map((x: { id: string }) => x.id)).not.toContain(bearer.id);

    // Someone else's session id, or none at all, is simply not found.
    const gus = await userApi(s, 'gus', pw);
    const gusSession = (await gus.call('GET', '/api/v1/me/sessions')).body.sessions[0].id;
    const notMine = await s.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/sessions/${gusSession}`,
      headers: { cookie: web.cookie, 'x-csrf-token': web.csrf },
    });
    expect(notMine.statusCode).toBe(404);
    expect((await gus.call('GET', '/api/v1/me')).status).toBe(200);
  });

  test('last use is recorded at most once a minute per token, not per request', async () => {
    const hal = await userApi(s, 'hal', 'zebra-lamp-91');
    const hash = sha256(hal.token);
    const stale = Date.now() - 120_000;
    await s.store.touchAuthToken(hash, stale);
    let touches = 0;
    const real = s.store.touchAuthToken.bind(s.store);
    s.store.touchAuthToken = async (h, at) => {
      touches++;
      return real(h, at);
    };
    try {
      // A credential the cache does not know yet: resolved from the store, last use is old, so one write.
      const other = new AuthService(s.store, { sessionTtlMs: 1, tokenTtlMs: 1 });
      await other.resolve(hal.token, 'bearer');
      for (let i = 0; i < 50; i++) await other.resolve(hal.token, 'bearer');
      expect(touches).toBe(1);
      expect((await s.store.getAuthToken(hash))!.lastUsedAt).toBeGreaterThan(stale);
    } finally {
      s.store.touchAuthToken = real;
    }
  });

  test('a revocation drops cached credentials on every node: at once through the hub, within the head poll when written elsewhere (the CLI)', async () => {
    const ida = await userApi(s, 'ida', 'zebra-lamp-91');
    // A second node's accounts service: same store, fed by the log as the hub ingests it.
    const node2 = new AuthService(s.store, { sessionTtlMs: 1, tokenTtlMs: 1, onEntries: (l) => s.hub.onEntries(l) });
    expect(await node2.resolve(ida.token, 'bearer')).not.toBeNull();
    expect(node2.cached(ida.token, 'bearer')!.fresh).toBe(true);
    await ida.call('POST', '/api/v1/auth/logout-all');
    expect(node2.cached(ida.token, 'bearer')).toBeUndefined();
    expect(await node2.resolve(ida.token, 'bearer')).toBeNull();

    // Written by another process (no hub): this node reads auth.revoked from the log within its 1 s head poll.
    const jo = await userApi(s, 'joe', 'zebra-lamp-91');
    expect(await node2.resolve(jo.token, 'bearer')).not.toBeNull();
    const started = performance.now();
    const cli = new AuthService(s.store, { sessionTtlMs: 1, tokenTtlMs: 1, scryptCost: 1 << 10 });
    await cli.setPassword('joe', 'second-pass-7713');
    while (node2.cached(jo.token, 'bearer') && performance.now() - started < 5_000) await new Promise((r) => setTimeout(r, 20));
    expect(node2.cached(jo.token, 'bearer')).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});
