import type { ErrorCode } from '../domain/errors.js';
import { classifyStoreError, driverCause } from './failures.js';
import type { Store } from './store.js';

/** Store methods that change data: their success shows the node can write again. */
const WRITE_METHOD = /^(create|append|set|delete|request|answer|remove|rename|add|mark|prune)/;

/** A probe that has not answered by then counts as a failure: a hung database is not a ready one. */
const PROBE_TIMEOUT_MS = 2_000;

/** An outage is logged when it starts, then at most this often while it lasts, not once per failing request. */
const LOG_EVERY_MS = 10_000;

export interface Readiness {
  ok: boolean;
  /** Why not: STORE_UNAVAILABLE or STORAGE_FULL. */
  code?: ErrorCode;
}

/**
 * Whether this node can write, for /readyz: a load balancer should stop
 * sending a node writes it will refuse, and send them again once it can.
 *
 * Two signals, because neither is enough alone. The write probe
 * (`store.probeWrite`, at most once per `probeEveryMs`, its answer cached)
 * finds a database that is down; but it rewrites one small row in place, which
 * can still succeed on a disk too full for a new message. So every store call
 * is watched too (`watch`): a real write refused for an outage makes the node
 * unready for `holdMs` (the Retry-After clients are given), or until a write
 * succeeds again. After the hold the probe decides alone, so the node recovers
 * by itself; a disk that is still full fails the next real write and the node
 * goes unready again.
 */
export class StoreHealth {
  private lastFailure: { code: ErrorCode; at: number } | null = null;
  private probe: { at: number; result: Promise<Readiness> } | null = null;
  private readonly lastLogged = new Map<ErrorCode, number>();
  /** Where outages are reported (the app's logger, once there is one). */
  log: { warn(obj: object, msg: string): void } | null = null;

  constructor(
    private readonly store: Store,
    private readonly opts: { holdMs: number; probeEveryMs?: number },
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** A store whose calls report their outcome here; everything else passes through untouched. */
  watch(): Store {
    return new Proxy(this.store, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'probeWrite') return value;
        const isWrite = WRITE_METHOD.test(prop);
        return (...args: unknown[]) => {
          const out = value.apply(target, args);
          if (!(out instanceof Promise)) return out;
          return out.then(
            (v) => {
              if (isWrite) this.lastFailure = null;
              return v;
            },
            (err) => {
              this.failed(err);
              throw err;
            },
          );
        };
      },
    });
  }

  /** Records a store failure if it is an outage (and logs it, rate-limited). */
  failed(err: unknown): void {
    const code = classifyStoreError(err);
    if (!code) return;
    const now = this.clock();
    this.lastFailure = { code, at: now };
    const last = this.lastLogged.get(code);
    if (last === undefined || now - last >= LOG_EVERY_MS) {
      this.lastLogged.set(code, now);
      this.log?.warn({ code, cause: driverCause(err) }, 'the database refused a request');
    }
  }

  async check(): Promise<Readiness> {
    const now = this.clock();
    const f = this.lastFailure;
    if (f && now - f.at < this.opts.holdMs) return { ok: false, code: f.code };
    if (!this.probe || now - this.probe.at >= (this.opts.probeEveryMs ?? 1000)) {
      this.probe = {
        at: now,
        result: withTimeout(this.store.probeWrite(), PROBE_TIMEOUT_MS).then(
          (): Readiness => ({ ok: true }),
          (err): Readiness => {
            this.failed(err);
            return { ok: false, code: classifyStoreError(err) ?? 'STORE_UNAVAILABLE' };
          },
        ),
      };
    }
    return this.probe.result;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
