import { afterEach, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { testServer } from '../helpers/server.js';
import { WallClock } from '../helpers/wall-clock.js';

/**
 * The per-IP limits that used @fastify/rate-limit (registration, the legacy
 * adapters' anonymous posts) kept their windows on Date.now(): after the wall
 * clock stepped back, an address that had spent its budget stayed refused for
 * as long as the jump. They now share AbuseLimits' monotonic windows.
 */
describe('per-IP limits across a wall-clock jump', () => {
  const clock = new WallClock();
  let server: Server | null = null;
  afterEach(async () => {
    clock.restore();
    await server?.close();
    server = null;
  });

  const waitMonotonic = async (ms: number) => {
    const until = performance.now() + ms;
    // A timer, not a busy loop: the server under test runs in this process.
    while (performance.now() < until) await new Promise((r) => setTimeout(r, Math.max(1, until - performance.now())));
  };

  test('a legacy post budget spent before the clock went back an hour is whole again once its 10 s window has passed', async () => {
    server = await testServer({ rateLimits: { send: 2 } });
    const post = (body: string) =>
      server!.app.inject({
        method: 'POST',
        url: '/chat',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `query=${body}`,
      });
    expect((await post('one')).statusCode).toBe(200);
    const started = performance.now(); // the window opened before this, with the first post
    expect((await post('two')).statusCode).toBe(200);
    expect((await post('three')).statusCode).toBe(429);

    clock.jump(-3_600_000);
    await waitMonotonic(10_050 - (performance.now() - started));
    const after = await post('four');
    expect(after.statusCode).toBe(200);
  }, 20_000);

  test('registrations are limited per address, and the refusal stores nothing', async () => {
    server = await testServer({ rateLimits: { register: 2 } });
    const register = (username: string) =>
      server!.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username, password: 'correct-horse-battery-9' } });
    expect((await register('reg_one')).statusCode).toBe(201);
    expect((await register('reg_two')).statusCode).toBe(201);
    const refused = await register('reg_three');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('RATE_LIMITED');
    expect(await server.store.getUserByUsername('reg_three')).toBeNull();
  });
});
