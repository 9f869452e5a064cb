/**
 * Where file bytes live, by content address (sha256 hex of the bytes): the
 * same bytes uploaded twice are stored once, and a key names its bytes
 * forever. One implementation a file (disk.ts, postgres.ts), one contract
 * suite for all (test/contract/blob-store.contract.ts). Which records refer
 * to a key is the Store's business (attachments, link previews); a blob no
 * record refers to is removed by the sweep.
 */
export interface BlobStore {
  readonly kind: 'disk' | 'postgres';
  /**
   * Stores the bytes under their key, atomically: a reader (or a restart
   * after kill -9) sees the whole blob or none. Storing an existing key is a
   * no-op. Returns the key.
   */
  put(bytes: Buffer): Promise<string>;
  /** The blob's size, or null when there is none. */
  size(key: string): Promise<number | null>;
  /** Bytes `start`..`end` inclusive (the whole blob by default), or null when there is none. */
  read(key: string, range?: { start: number; end: number }): Promise<Buffer | null>;
  /** Removes blobs; missing keys are ignored. */
  delete(keys: readonly string[]): Promise<void>;
  /** Keys stored before `before` (ms since the epoch): candidates for the sweep of unreferenced blobs. */
  listOlderThan(before: number, limit: number): Promise<string[]>;
  close(): Promise<void>;
}
