import { AppError } from '../domain/errors.js';
import { DEFAULTS, type Config } from '../config.js';

export interface LoginThrottleOptions {
  /** Attempts per IP address and account per minute (rateLimits.login). */
  perIpAccountPerMinute: number;
  /** Attempts per IP address per minute, whatever the account, known or not (rateLimits.loginPerIp). */
  perIpPerMinute: number;
  /** Failures an account takes, from anywhere, before each attempt must wait (rateLimits.loginFailuresPerAccount). */
  failuresPerAccount: number;
  /** The longest wait between attempts on one account, seconds (loginMaxDelaySeconds). */
  maxDelaySeconds: number;
  /** Keys each table keeps at most; the least recently used go first (loginThrottleEntries; ≈100 bytes a key). */
  maxEntries?: number;
  /** Milliseconds from a monotonic clock: a wall-clock jump must neither free nor freeze anyone. */
  clock?: () => number;
}

export function loginThrottleOptions(config: Readonly<Config>): LoginThrottleOptions {
  return {
    perIpAccountPerMinute: config.rateLimits.login,
    perIpPerMinute: config.rateLimits.loginPerIp,
    failuresPerAccount: config.rateLimits.loginFailuresPerAccount,
    maxDelaySeconds: config.loginMaxDelaySeconds,
    maxEntries: config.loginThrottleEntries,
  };
}

const MINUTE = 60_000;
/** An account's failures are forgotten after this long without an attempt. */
const FORGET_MS = 15 * MINUTE;

/** A Map that keeps its most recently touched keys and drops the oldest past `max`. */
class Recent<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  /** Sets and moves the key to the newest end. */
  touch(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  /** Drops entries from the oldest end while `stale` says so. */
  sweep(stale: (v: V) => boolean): void {
    for (const [k, v] of this.map) {
      if (!stale(v)) return;
      this.map.delete(k);
    }
  }
  get size(): number {
    return this.map.size;
  }
}

interface Window {
  start: number;
  count: number;
}

interface AccountState {
  /** Failures since the account was last quiet for FORGET_MS (or last logged in). */
  failures: number;
  /** Attempts admitted and not yet answered: they count as failures until they are. */
  pending: number;
  /** The last admitted attempt or failure. */
  last: number;
}

/**
 * Login throttling, shared by every way to present a password (login, token
 * creation, changing one's password), keyed by the account as the lookup
 * normalises it (domain/rules.ts accountKey), so spelling variants of one name
 * share one bucket. Three limits, all checked before any password hashing, so
 * a refusal costs a few map lookups, never a scrypt:
 *
 * - per account, across all addresses: after `failuresPerAccount` failures,
 *   each further attempt must wait 2^k seconds (k = failures beyond the
 *   allowance, capped at `maxDelaySeconds`) since the last one. Growing delays,
 *   not a lockout: an attacker can slow the owner's login down to one try per
 *   `maxDelaySeconds`, never stop it. Attempts still in flight count as
 *   failures, so a burst of concurrent guesses cannot slip in before the first
 *   answers. A success clears the account; so do 15 minutes without attempts.
 * - per address, across accounts (`perIpPerMinute`): unknown names count too,
 *   so spraying many names from one address is capped as a whole.
 * - per address and account (`perIpAccountPerMinute`).
 * The address budgets are spent by failed attempts (a success gives its
 * attempt back), so people signing in often from one shared address are not
 * held up by each other's successes.
 *
 * Windows are fixed one-minute windows per key (at most twice the limit across
 * a window boundary). Time is monotonic. Each table is bounded (maxEntries);
 * flooding it with fresh keys can evict an account's record, which costs the
 * flooder `maxEntries` attempts from the per-address budget first.
 */
export class LoginThrottle {
  private readonly perIp: Recent<Window>;
  private readonly perIpAccount: Recent<Window>;
  private readonly accounts: Recent<AccountState>;
  private readonly clock: () => number;
  private lastSweep = 0;
  /** Attempts refused before hashing (a metric, and what tests count). */
  refused = 0;

  constructor(private readonly opts: LoginThrottleOptions) {
    const max = opts.maxEntries ?? DEFAULTS.loginThrottleEntries;
    this.perIp = new Recent(max);
    this.perIpAccount = new Recent(max);
    this.accounts = new Recent(max);
    this.clock = opts.clock ?? (() => performance.now());
  }

  /**
   * Admits one password check for `account` from `ip`, or throws
   * LOGIN_THROTTLED carrying `retryAfterSeconds`. An admitted attempt must be
   * settled once with `settle`.
   */
  admit(ip: string, account: string): void {
    const now = this.clock();
    if (now - this.lastSweep > MINUTE) this.sweep(now);
    const pairKey = ip + '\n' + account;
    const waits = [
      this.windowWait(this.perIp.get(ip), this.opts.perIpPerMinute, now),
      this.windowWait(this.perIpAccount.get(pairKey), this.opts.perIpAccountPerMinute, now),
      this.accountWait(this.accounts.get(account), now),
    ];
    const wait = Math.max(...waits);
    if (wait > 0) {
      this.refused++;
      throw Object.assign(new AppError('LOGIN_THROTTLED'), { retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) });
    }
    this.count(this.perIp, ip, now);
    this.count(this.perIpAccount, pairKey, now);
    const s = this.live(account, now) ?? { failures: 0, pending: 0, last: now };
    s.pending++;
    s.last = now;
    this.accounts.touch(account, s);
  }

  /**
   * The outcome of an admitted attempt: true (right password), false (wrong),
   * null (no answer, e.g. an outage). Only failures spend the address budgets:
   * a success or a non-answer gives its attempt back (an attempt is counted on
   * admission so concurrent guesses cannot overrun a budget before any answers).
   */
  settle(ip: string, account: string, ok: boolean | null): void {
    const now = this.clock();
    if (ok !== false) {
      this.refund(this.perIp, ip, now);
      this.refund(this.perIpAccount, ip + '\n' + account, now);
    }
    const s = this.accounts.get(account);
    if (!s) return; // evicted meanwhile: nothing to settle
    s.pending = Math.max(0, s.pending - 1);
    if (ok === true) s.failures = 0;
    if (ok === false) {
      s.failures++;
      s.last = now;
    }
    if (s.failures === 0 && s.pending === 0) this.accounts.delete(account);
    else this.accounts.touch(account, s);
  }

  /** Milliseconds until `account` may try again from anywhere (0: now). */
  private accountWait(s: AccountState | undefined, now: number): number {
    if (!s || now - s.last >= FORGET_MS) return 0;
    const beyond = s.failures + s.pending - this.opts.failuresPerAccount;
    if (beyond < 0) return 0;
    const delay = Math.min(this.opts.maxDelaySeconds, 2 ** Math.min(beyond, 30)) * 1000;
    return Math.max(0, s.last + delay - now);
  }

  private live(account: string, now: number): AccountState | undefined {
    const s = this.accounts.get(account);
    if (s && now - s.last >= FORGET_MS && s.pending === 0) return undefined;
    return s;
  }

  private windowWait(w: Window | undefined, max: number, now: number): number {
    if (!w || now - w.start >= MINUTE || w.count < max) return 0;
    return w.start + MINUTE - now;
  }

  private count(table: Recent<Window>, key: string, now: number): void {
    const w = table.get(key);
    if (w && now - w.start < MINUTE) w.count++;
    else table.touch(key, { start: now, count: 1 });
  }

  private refund(table: Recent<Window>, key: string, now: number): void {
    const w = table.get(key);
    if (w && now - w.start < MINUTE && w.count > 0) w.count--;
  }

  /** Windows are touched only when they start, so the oldest end holds the expired ones. */
  private sweep(now: number): void {
    this.lastSweep = now;
    this.perIp.sweep((w) => now - w.start >= MINUTE);
    this.perIpAccount.sweep((w) => now - w.start >= MINUTE);
    this.accounts.sweep((s) => s.pending === 0 && now - s.last >= FORGET_MS);
  }

  /** Keys held, per table (for tests and metrics). */
  get sizes(): { perIp: number; perIpAccount: number; accounts: number } {
    return { perIp: this.perIp.size, perIpAccount: this.perIpAccount.size, accounts: this.accounts.size };
  }
}
