import { afterEach, describe, expect, test, vi } from 'vitest';
import { WindowLimiter } from '../../src/services/typing.js';
import { testServer, userApi } from '../helpers/server.js';

/**
 * Rate limits measure elapsed time on the monotonic clock. With the wall
 * clock, a jump back of an hour (NTP step, a VM restored from a snapshot)
 * left every window "not yet over" for that hour: every user was
 * RATE_LIMITED until the clock was put right (issue 11, item 7).
 */
const HOUR = 3_600_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('WindowLimiter', () => {
  test('a window ends when its time has passed, whatever the wall clock did meanwhile', () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const limiter = new WindowLimiter(3, 10_000);
    for (let i = 0; i < 3; i++) expect(limiter.take('u')).toBe(true);
    expect(limiter.take('u')).toBe(false);
    vi.setSystemTime(Date.now() - HOUR); // the wall clock steps back an hour; monotonic time does not move
    expect(limiter.take('u')).toBe(false); // still the same window
    vi.advanceTimersByTime(10_001); // both clocks move on past the window
    expect(limiter.take('u')).toBe(true);
  });

  test('a jump forward does not open a window early', () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const limiter = new WindowLimiter(2, 10_000);
    expect(limiter.take('u') && limiter.take('u')).toBe(true);
    vi.setSystemTime(Date.now() + HOUR);
    expect(limiter.take('u')).toBe(false);
  });

  test('an injected clock is used as given', () => {
    let now = 0;
    const limiter = new WindowLimiter(1, 100, () => now);
    expect(limiter.take('k')).toBe(true);
    expect(limiter.take('k')).toBe(false);
    now = 100;
    expect(limiter.take('k')).toBe(true);
  });
});

describe('sending through a running node', () => {
  test('after the wall clock goes back an hour, sends are not rate-limited once the window has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'], shouldAdvanceTime: true });
    const s = await testServer({ rateLimits: { send: 3, typing: 3 } });
    try {
      const alice = await userApi(s, 'alice_clock');
      const conv = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'clock' })).body.conversation.id;
      const send = async (body: string) => (await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body })).status;
      const typing = async () => (await alice.call('POST', `/api/v1/conversations/${conv}/typing`)).status;
      for (let i = 0; i < 3; i++) expect(await send(`before ${i}`)).toBe(201);
      expect(await send('over')).toBe(429);
      for (let i = 0; i < 3; i++) expect(await typing()).toBe(200);
      expect(await typing()).toBe(429);

      vi.setSystemTime(Date.now() - HOUR);
      vi.advanceTimersByTime(10_001);
      expect(await send('after the jump')).toBe(201);
      expect(await typing()).toBe(200);
      const history = await alice.call('GET', `/api/v1/conversations/${conv}/messages`);
      expect(history.body.messages.map((m: { body: string }) => m.body)).toContain('after the jump');
    } finally {
      await s.close();
    }
  });
});
