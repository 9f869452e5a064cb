import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { testServer } from '../helpers/server.js';

/**
 * The login-limit walk-arounds of issue 11, item 3, over HTTP with the shipped
 * limits (10 per address and account a minute, 60 per address a minute, 10
 * failures per account before delays): every spelling of one account is one
 * bucket, /tokens shares it with /auth/login, an address spraying usernames is
 * capped as a whole, and a refusal costs no password hash.
 */
describe('login throttling', () => {
  let s: Server;
  const PASSWORD = 'hubbub-pass-4821';
  const login = (username: string, password: string, ip: string, url = '/api/v1/auth/login') =>
    s.app.inject({ method: 'POST', url, payload: { username, password }, remoteAddress: ip });

  beforeAll(async () => {
    s = await testServer({ rateLimits: { login: 10, loginPerIp: 60, loginFailuresPerAccount: 10 }, loginMaxDelaySeconds: 60 });
    for (const name of ['victim', 'alice', 'bob']) {
      const r = await s.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { username: name, password: PASSWORD },
        remoteAddress: '10.99.0.1',
      });
      expect(r.statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    await s.close();
  });

  test('spelling variants of one username are one bucket, and refusals cost no password hash', async () => {
    const variants = [
      ' victim',
      'victim\t',
      '\u00a0victim',
      'VICTIM',
      'Victim ',
      '\u3000victim',
      'ｖｉｃｔｉｍ',
      '\ufeffvictim',
      'victim\n',
      ' VICTIM\t',
    ];
    const codes: string[] = [];
    const hashesBefore = s.auth.passwordChecks;
    for (let round = 0; round < 3; round++) {
      for (const v of variants) codes.push((await login(v, `guess-${round}-${v.length}`, '10.0.0.1')).json().error.code);
    }
    // The first 10 guesses, whatever their spelling, are checked; every later one is refused.
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('INVALID_CREDENTIALS'));
    expect(codes.slice(10)).toEqual(Array(20).fill('LOGIN_THROTTLED'));
    expect(s.auth.passwordChecks - hashesBefore).toBe(10);
    const refused = await login('victim', 'another-guess', '10.0.0.1');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  test('per account across addresses: after 10 failures the next attempt waits, even with the right password, and no hash is run', async () => {
    for (let i = 0; i < 10; i++) expect((await login('alice', `guess-${i}`, `10.1.0.${i}`)).json().error.code).toBe('INVALID_CREDENTIALS');
    const hashesBefore = s.auth.passwordChecks;
    const r = await login('alice', PASSWORD, '10.1.1.1');
    expect(r.statusCode).toBe(429);
    expect(r.json().error.code).toBe('LOGIN_THROTTLED');
    expect(r.headers['retry-after']).toBe('1');
    expect(s.auth.passwordChecks).toBe(hashesBefore);
  });

  test('/api/v1/tokens shares the bucket with /api/v1/auth/login', async () => {
    for (let i = 0; i < 5; i++) expect((await login('bob', `guess-${i}`, '10.2.0.1', '/api/v1/auth/login')).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) expect((await login('bob', `guess-t${i}`, '10.2.0.1', '/api/v1/tokens')).statusCode).toBe(401);
    expect((await login('bob', 'guess-x', '10.2.0.1', '/api/v1/tokens')).json().error.code).toBe('LOGIN_THROTTLED');
    expect((await login('bob', 'guess-y', '10.2.0.1', '/api/v1/auth/login')).json().error.code).toBe('LOGIN_THROTTLED');
  });

  test('30 usernames sprayed from one address: only the per-address budget is evaluated, unknown names included', async () => {
    const spray = await testServer({ rateLimits: { login: 10, loginPerIp: 20, loginFailuresPerAccount: 10 } });
    try {
      const hashesBefore = spray.auth.passwordChecks;
      const codes: string[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await spray.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: `nobody${i}`, password: 'spray-guess' },
          remoteAddress: '10.3.0.1',
        });
        codes.push(r.json().error.code);
      }
      expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(20);
      expect(codes.slice(20)).toEqual(Array(10).fill('LOGIN_THROTTLED'));
      expect(spray.auth.passwordChecks - hashesBefore).toBe(20);
    } finally {
      await spray.close();
    }
  });
});
