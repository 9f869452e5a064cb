import { describe, expect, test, vi } from 'vitest';
import { makeConfig } from '../../src/config.js';
import { LoginThrottle, loginThrottleOptions, type LoginThrottleOptions } from '../../src/services/login-throttle.js';

/** A throttle on a clock the test moves; defaults are the shipped configuration's. */
function make(over: Partial<LoginThrottleOptions> = {}) {
  let now = 1_000_000;
  const t = new LoginThrottle({
    perIpAccountPerMinute: 10,
    perIpPerMinute: 60,
    failuresPerAccount: 10,
    maxDelaySeconds: 60,
    clock: () => now,
    ...over,
  });
  return {
    t,
    advance: (ms: number) => {
      now += ms;
    },
    /** One attempt that fails if admitted; the refusal's Retry-After, or 0 when admitted. */
    fail(ip: string, account: string): number {
      try {
        t.admit(ip, account);
      } catch (err) {
        expect(err).toMatchObject({ code: 'LOGIN_THROTTLED' });
        return (err as { retryAfterSeconds: number }).retryAfterSeconds;
      }
      t.settle(ip, account, false);
      return 0;
    },
  };
}

describe('login throttle', () => {
  test('per account across addresses: growing delays after the allowance, capped, never a lockout', () => {
    const { fail, advance, t } = make({ perIpAccountPerMinute: 1000, perIpPerMinute: 1000 });
    // Ten failures from ten addresses: all admitted.
    for (let i = 0; i < 10; i++) expect(fail(`10.0.0.${i}`, 'victim')).toBe(0);
    // Now each attempt waits 2^k s since the last one, whichever address it comes from.
    const delays: number[] = [];
    for (let k = 0; k < 9; k++) {
      const wait = fail(`10.0.1.${k}`, 'victim');
      expect(wait).toBeGreaterThan(0);
      delays.push(wait);
      advance(wait * 1000 - 1);
      expect(fail(`10.0.2.${k}`, 'victim')).toBeGreaterThan(0); // still inside the delay
      advance(1);
      expect(fail(`10.0.3.${k}`, 'victim')).toBe(0);
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    // The owner is slowed, not locked out: after the delay the right password gets in and clears the account.
    advance(60_000);
    t.admit('192.168.1.1', 'victim');
    t.settle('192.168.1.1', 'victim', true);
    expect(fail('10.0.4.1', 'victim')).toBe(0);
    expect(t.sizes.accounts).toBe(1);
  });

  test('attempts in flight count as failures: a concurrent burst cannot pass the allowance before answers arrive', () => {
    const { t } = make({ perIpAccountPerMinute: 1000, perIpPerMinute: 1000 });
    let admitted = 0;
    for (let i = 0; i < 100; i++) {
      try {
        t.admit(`10.1.0.${i}`, 'victim');
        admitted++;
      } catch {
        // refused before hashing
      }
    }
    expect(admitted).toBe(10);
    expect(t.refused).toBe(90);
  });

  test('per address across accounts, and per address and account, within a minute', () => {
    const { fail, advance } = make();
    for (let i = 0; i < 60; i++) expect(fail('10.2.0.1', `user${i}`)).toBe(0);
    const wait = fail('10.2.0.1', 'someone-else');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(fail('10.2.0.2', 'someone-else')).toBe(0); // another address has its own budget
    advance(60_000);
    expect(fail('10.2.0.1', 'someone-else')).toBe(0);

    const pair = make();
    for (let i = 0; i < 10; i++) expect(pair.fail('10.3.0.1', 'bob')).toBe(0);
    expect(pair.fail('10.3.0.1', 'bob')).toBeGreaterThan(0);
    expect(pair.fail('10.3.0.1', 'carol')).toBe(0);
  });

  test('successes and non-answers give their attempt back; failures spend it', () => {
    const { t, fail } = make({ perIpPerMinute: 3, perIpAccountPerMinute: 3 });
    for (let i = 0; i < 20; i++) {
      t.admit('10.4.0.1', 'alice');
      t.settle('10.4.0.1', 'alice', i % 2 === 0 ? true : null);
    }
    for (let i = 0; i < 3; i++) expect(fail('10.4.0.1', 'alice')).toBe(0);
    expect(fail('10.4.0.1', 'alice')).toBeGreaterThan(0);
  });

  test('an account is forgotten after 15 quiet minutes', () => {
    const { fail, advance } = make({ perIpAccountPerMinute: 1000, perIpPerMinute: 1000 });
    for (let i = 0; i < 10; i++) fail('10.5.0.1', 'victim');
    expect(fail('10.5.0.1', 'victim')).toBeGreaterThan(0);
    advance(15 * 60_000);
    for (let i = 0; i < 10; i++) expect(fail('10.5.0.1', 'victim')).toBe(0);
  });

  test('memory is bounded: each table keeps at most maxEntries keys, dropping the least recent', () => {
    const { fail, t } = make({ maxEntries: 100, perIpPerMinute: 1_000_000 });
    for (let i = 0; i < 1000; i++) fail(`10.6.${i >> 8}.${i & 255}`, `user${i}`);
    expect(t.sizes).toEqual({ perIp: 100, perIpAccount: 100, accounts: 100 });
  });

  test('runs on monotonic time: a wall-clock jump forward frees no one', () => {
    const t = new LoginThrottle({ perIpAccountPerMinute: 2, perIpPerMinute: 60, failuresPerAccount: 10, maxDelaySeconds: 60 });
    const wall = vi.spyOn(Date, 'now');
    try {
      for (let i = 0; i < 2; i++) {
        t.admit('10.7.0.1', 'bob');
        t.settle('10.7.0.1', 'bob', false);
      }
      wall.mockReturnValue(Date.UTC(2100, 0, 1)); // far forward: a wall-clock window would have passed
      expect(() => t.admit('10.7.0.1', 'bob')).toThrow(expect.objectContaining({ code: 'LOGIN_THROTTLED' }));
    } finally {
      wall.mockRestore();
    }
  });

  /**
   * The figure the issue asks for: password checks an attacker gets against one
   * account with the shipped defaults, retrying the instant each refusal's
   * Retry-After allows. Before this throttle: ≈200 a minute from one address
   * (spelling variants each had their own 10-a-minute bucket; the review
   * measured it), unbounded from many addresses.
   */
  test('an attacker retrying as soon as allowed gets 10 guesses a minute from one address and ≈1 a minute from any number', () => {
    const simulate = (minutes: number, addresses: number) => {
      let now = 0;
      const t = new LoginThrottle({ ...loginThrottleOptions(makeConfig({})), clock: () => now });
      let checked = 0;
      let i = 0;
      while (now < minutes * 60_000) {
        const ip = `10.9.${(i % addresses) >> 8}.${(i % addresses) & 255}`;
        i++;
        try {
          t.admit(ip, 'victim');
        } catch (err) {
          now += (err as { retryAfterSeconds: number }).retryAfterSeconds * 1000;
          continue;
        }
        t.settle(ip, 'victim', false);
        checked++;
        now += 10; // each guess takes a moment
      }
      return checked;
    };
    const oneIpMinute = simulate(1, 1);
    const manyIpsMinute = simulate(1, 10_000);
    const manyIpsHour = simulate(60, 10_000);
    console.log(
      `login guesses against one account: one address ${oneIpMinute}/first minute; any number of addresses ${manyIpsMinute}/first minute, ${manyIpsHour}/first hour`,
    );
    expect(oneIpMinute).toBe(10);
    // 10 free failures, then waits of 1, 2, 4, 8, 16 s fit in the first minute; 32 s ends past it.
    expect(manyIpsMinute).toBe(15);
    // Then one every 60 s: 16 in the first 63 s, one a minute after.
    expect(manyIpsHour).toBeGreaterThanOrEqual(70);
    expect(manyIpsHour).toBeLessThanOrEqual(76);
  });
});
