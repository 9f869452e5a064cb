import type { Store } from '../store/store.js';
import type { BlobStore } from './blob-store.js';

/**
 * A blob younger than this is never swept: between put and the attachment
 * row (or link preview) that refers to it, an upload holds a blob nothing
 * refers to yet. One hour is far beyond any upload's processing.
 */
export const BLOB_GRACE_MS = 3_600_000;
/** Keys examined per round trip. */
const DEFAULT_BATCH = 500;

export interface SweepOptions {
  /** Hours an upload may wait to be sent (config.unsentUploadHours). */
  unsentUploadHours: number;
  /** Between runs; null: never by itself (tests call run()). */
  intervalMs: number | null;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  /** Told of a run that failed (a database outage); the next run tries again. */
  onError?: (err: unknown) => void;
  /** Keys examined per round trip (default 500). */
  batch?: number;
}

/**
 * Removes what nothing refers to any more: uploads never sent within
 * unsentUploadHours (their rows, then their bytes), and any blob older than
 * BLOB_GRACE_MS that no attachment or link preview names — which also
 * catches bytes a crash, a deleted account or a failed delete left behind.
 * Every node may run it at once: each step is safe to repeat.
 */
export class BlobSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly opts: SweepOptions,
  ) {}

  start(): void {
    if (this.opts.intervalMs === null || this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) void this.run().catch((err) => this.opts.onError?.(err));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /**
   * One pass. Returns how many blobs it asked to delete: of expired uploads,
   * and found unreferenced (at most: a put again since keeps one).
   */
  run(): Promise<{ expiredBlobs: number; sweptBlobs: number }> {
    const pass = this.pass();
    this.running = pass;
    void pass
      .finally(() => {
        if (this.running === pass) this.running = null;
      })
      .catch(() => undefined);
    return pass;
  }

  private async pass(): Promise<{ expiredBlobs: number; sweptBlobs: number }> {
    const now = this.opts.now();
    const cutoff = now - BLOB_GRACE_MS;
    const expired = new Date(now - this.opts.unsentUploadHours * 3_600_000).toISOString();
    const released = await this.store.deleteUnsentAttachments(expired);
    const expiredBlobs = await this.deleteUnused(released, cutoff);
    let removed = 0;
    let after = '';
    for (;;) {
      const keys = await this.blobs.listOlderThan(cutoff, this.opts.batch ?? DEFAULT_BATCH, after);
      if (keys.length === 0) break;
      removed += await this.deleteUnused(keys, cutoff);
      after = keys.at(-1)!;
    }
    return { expiredBlobs, sweptBlobs: removed };
  }

  /** Deletes those of `keys` nothing refers to, except any put again since `since` (an upload of the same bytes in flight). */
  private async deleteUnused(keys: readonly string[], since: number): Promise<number> {
    if (keys.length === 0) return 0;
    const inUse = await this.store.blobsInUse(keys);
    const unused = keys.filter((k) => !inUse.has(k));
    if (unused.length > 0) await this.blobs.delete(unused, { exceptPutAgainSince: since });
    return unused.length;
  }
}
