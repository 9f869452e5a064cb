/**
 * Queue figures across a hub's sessions, for stats and tests. A stored
 * event's frame is one Buffer shared by every session it goes to, so bytes
 * are counted per distinct buffer: the first session to take a shared buffer
 * counts it and the last to let go uncounts it. A session's own bound still
 * counts every byte it holds (`Session.bytes`).
 */
export class QueueMeter {
  /** Bytes queued or in flight across sessions, each distinct buffer once. */
  queuedBytes = 0;
  /** The most one session ever held; never above `QueueLimits.maxBytes`. */
  peakSessionBytes = 0;
  slowConsumerCloses = 0;
  /**
   * Sessions holding each shared buffer. A WeakMap lookup and update cost
   * ≈ 20 ns here, against ≈ 13 µs of kernel time for the socket write each
   * delivery makes; inserting a new key costs ≈ 200 ns, so a buffer only one
   * session will ever hold (a batch joined for its socket) is added to
   * `queuedBytes` directly instead (see `Session.transmitOwn`).
   */
  private readonly holders = new WeakMap<Buffer, number>();

  /** A session took `b`, which other sessions may hold too. */
  hold(b: Buffer): void {
    const n = this.holders.get(b);
    if (n === undefined) {
      this.holders.set(b, 1);
      this.queuedBytes += b.length;
    } else this.holders.set(b, n + 1);
  }

  /** A session let go of a buffer it took with `hold`. */
  release(b: Buffer): void {
    const n = this.holders.get(b);
    if (n === undefined) return;
    if (n > 1) this.holders.set(b, n - 1);
    else {
      this.holders.delete(b);
      this.queuedBytes -= b.length;
    }
  }
}
