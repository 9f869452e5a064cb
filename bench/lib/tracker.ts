import type { Sink } from './clients.js';
import { Samples, now } from './util.js';

/**
 * Counts deliveries per (client, message) and keeps send→receipt latencies.
 * Messages numbered below `from` (warm-up) are ignored.
 */
export class Tracker implements Sink {
  private readonly counts: Uint8Array[];
  /** Per client: every measured message up to this number has arrived. */
  readonly contiguous: Int32Array;
  readonly latencies = new Samples();
  deliveries = 0;
  firstAt = Infinity;
  lastAt = 0;
  /** Messages numbered [from, to) are measured; `to` grows as the bench sends. */
  from = 0;
  recordLatency = true;

  constructor(
    readonly clients: number,
    expectedMsgs = 256,
  ) {
    this.counts = Array.from({ length: clients }, () => new Uint8Array(Math.max(16, expectedMsgs)));
    this.contiguous = new Int32Array(clients).fill(-1);
  }

  /** Starts measuring at message `from` (earlier ones were warm-up). */
  reset(from: number): void {
    this.from = from;
    for (let i = 0; i < this.clients; i++) this.counts[i]!.fill(0);
    this.contiguous.fill(from - 1);
    this.latencies.length = 0;
    this.deliveries = 0;
    this.firstAt = Infinity;
    this.lastAt = 0;
  }

  delivery(client: number, msgNo: number, sentAt: number): void {
    if (msgNo < this.from || client < 0 || client >= this.clients) return;
    const t = now();
    const k = msgNo - this.from;
    let c = this.counts[client]!;
    if (k >= c.length) {
      const n = new Uint8Array(Math.max(k + 1, c.length * 2));
      n.set(c);
      this.counts[client] = c = n;
    }
    if (c[k]! < 255) c[k]!++;
    this.deliveries++;
    if (t < this.firstAt) this.firstAt = t;
    this.lastAt = t;
    if (this.recordLatency) this.latencies.push(t - sentAt);
    let g = this.contiguous[client]!;
    while (g + 1 - this.from < c.length && c[g + 1 - this.from]! > 0) g++;
    this.contiguous[client] = g;
  }

  /** Has client `i` got every measured message up to `msgNo`? */
  caughtUp(i: number, msgNo: number): boolean {
    return this.contiguous[i]! >= msgNo;
  }

  /**
   * Unique deliveries of messages [from, to) to `clients` (default all).
   * Messages in `skip` (sends that failed or timed out: outcome unknown) are not expected.
   */
  tally(to: number, clients?: number[], skip?: ReadonlySet<number>): { expected: number; unique: number; lost: number; dup: number } {
    const list = clients ?? Array.from({ length: this.clients }, (_, i) => i);
    let unique = 0;
    let dup = 0;
    let expected = 0;
    const n = to - this.from;
    for (const i of list) {
      const c = this.counts[i]!;
      for (let k = 0; k < n; k++) {
        const v = k < c.length ? c[k]! : 0;
        if (skip?.has(k + this.from)) {
          // A send that failed on the client side (e.g. timed out) may still have been stored:
          // not expected, but a second copy is still a duplicate.
          if (v > 1) dup += v - 1;
          continue;
        }
        expected++;
        if (v > 0) unique++;
        if (v > 1) dup += v - 1;
      }
      // Deliveries of messages beyond `to` would be phantom; count them as dups.
      for (let k = n; k < c.length; k++) if (c[k]! > 0) dup += c[k]!;
    }
    return { expected, unique, lost: expected - unique, dup };
  }

  /** Are all `clients` (default all) holding every message below `to` (except `skip`)? */
  complete(to: number, clients?: number[], skip?: ReadonlySet<number>): boolean {
    const check = (i: number) => {
      if (this.contiguous[i]! >= to - 1) return true;
      if (!skip || skip.size === 0) return false;
      // Past a failed send the contiguous mark stops; look at the rest one by one.
      const c = this.counts[i]!;
      for (let k = Math.max(0, this.contiguous[i]! + 1 - this.from); k < to - this.from; k++) {
        if ((k < c.length ? c[k]! : 0) === 0 && !skip.has(k + this.from)) return false;
      }
      return true;
    };
    if (clients) return clients.every(check);
    for (let i = 0; i < this.clients; i++) if (!check(i)) return false;
    return true;
  }
}
