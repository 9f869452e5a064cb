import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testServer } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

/** Cookie sessions: log in, CSRF on mutations, log out. */
describe('cookie sessions and CSRF', () => {
  let s: Server;
  let cookie: string;
  let csrf: string;

  beforeAll(async () => {
    s = await testServer({ rateLimits: { login: 3 } });
    const reg = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { username: 'Alice', password: 'hubbub-pass-4821', displayName: 'Alice A.' },
    });
    expect(reg.statusCode).toBe(201);
    expect(reg.json().user).toMatchObject({ username: 'alice', displayName: 'Alice A.' });
    const set = String(reg.headers['set-cookie']);
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    cookie = set.split(';')[0]!;
    csrf = reg.json().csrfToken;
  });
  afterAll(() => s.close());

  const createGroup = (headers: Record<string, string>) =>
    s.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: { cookie, ...headers }, payload: { kind: 'group', name: 'g' } });

  test('me answers with the user and the CSRF token', async () => {
    const me = await s.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ user: { username: 'alice' }, csrfToken: csrf });
  });

  test('a cookie-authenticated POST without the CSRF token is refused and changes nothing', async () => {
    const r = await createGroup({});
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('CSRF_FAILED');
    const wrong = await createGroup({ 'x-csrf-token': csrf.slice(0, -1) + (csrf.endsWith('a') ? 'b' : 'a') });
    expect(wrong.json().error.code).toBe('CSRF_FAILED');
    const list = await s.app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { cookie } });
    expect(list.json().conversations).toEqual([]);
  });

  test('with the token, it passes', async () => {
    const r = await createGroup({ 'x-csrf-token': csrf });
    expect(r.statusCode).toBe(201);
  });

  test('a bearer token needs no CSRF token', async () => {
    const tok = await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'alice', password: 'hubbub-pass-4821' } });
    expect(tok.statusCode).toBe(201);
    const r = await s.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: { authorization: `Bearer ${tok.json().token}` },
      payload: { kind: 'group', name: 'g2' },
    });
    expect(r.statusCode).toBe(201);
  });

  test('logout needs the token too, then the cookie no longer works', async () => {
    const bad = await s.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } });
    expect(bad.json().error.code).toBe('CSRF_FAILED');
    const out = await s.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(200);
    const me = await s.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.statusCode).toBe(401);
  });

  test('wrong passwords are refused, then login attempts are rate-limited', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await s.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'alice', password: 'wrong-password' },
      });
      codes.push(r.json().error.code);
    }
    expect(codes).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'LOGIN_THROTTLED']);
    const r = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'alice', password: 'hubbub-pass-4821' },
    });
    expect(r.statusCode).toBe(429);
    // Another username from the same address is its own bucket.
    const other = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'nobody', password: 'hubbub-pass-4821' },
    });
    expect(other.json().error.code).toBe('INVALID_CREDENTIALS');
  });

  test('registration rules: usernames, passwords, duplicates (case-insensitive)', async () => {
    const reg = (username: string, password = 'hubbub-pass-4821') =>
      s.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username, password } });
    expect((await reg('ab')).json().error.code).toBe('INVALID_USERNAME');
    expect((await reg('has space')).json().error.code).toBe('INVALID_USERNAME');
    expect((await reg('bobby', 'short')).json().error.code).toBe('WEAK_PASSWORD');
    expect((await reg('ALICE')).json().error.code).toBe('USERNAME_TAKEN');
    expect((await reg('bob.b-1_')).statusCode).toBe(201);
  });
});

describe('log out everywhere', () => {
  test('revokes every session and bearer token of the user', async () => {
    const s = await testServer();
    try {
      const reg = await s.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { username: 'zed', password: 'hubbub-pass-4821' },
      });
      const cookie = String(reg.headers['set-cookie']).split(';')[0]!;
      const t1 = (
        await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'zed', password: 'hubbub-pass-4821' } })
      ).json().token;
      const t2 = (
        await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'zed', password: 'hubbub-pass-4821' } })
      ).json().token;
      await s.app.inject({
        method: 'POST',
        url: '/api/v1/conversations',
        headers: { authorization: `Bearer ${t2}` },
        payload: { kind: 'group', name: 'g' },
      });
      const out = await s.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: { authorization: `Bearer ${t1}` } });
      expect(out.statusCode).toBe(200);
      for (const headers of [{ cookie }, { authorization: `Bearer ${t1}` }, { authorization: `Bearer ${t2}` }]) {
        expect((await s.app.inject({ method: 'GET', url: '/api/v1/me', headers })).statusCode).toBe(401);
      }
      const metrics = (await s.metrics.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/hubbub_events_total\{type="conversation.created"\} 1/);
    } finally {
      await s.close();
    }
  });
});
