/**
 * Where file bytes live, by content address (sha256 hex of the bytes): the
 * same bytes uploaded twice are stored once, and a key names its bytes
 * forever. One implementation a file (disk.ts, postgres.ts), one contract
 * suite for all (test/contract/blob-store.contract.ts). Which records refer
 * to a key is the Store's business (attachments, link previews); a blob no
 * record refers to is removed by the sweep (sweep.ts) or right after the
 * message that used it is deleted.
 *
 * Sharing a blob between records makes deleting one racy: the last message
 * using a picture is deleted while someone uploads the same picture again
 * (put finds it stored, then the attachment row is written). So a put that
 * finds its key already stored records the time ("put again"), and a delete
 * may be told to keep keys put again since a moment: the caller passes the
 * start of the window in which a fresh reference may still be on its way.
 */
export interface BlobStore {
  readonly kind: 'disk' | 'postgres';
  /**
   * Stores the bytes under their key, atomically: a reader (or a restart
   * after kill -9) sees the whole blob or none. Storing an existing key
   * writes nothing; it records that the key was put again (see above) and
   * counts as a fresh store for listOlderThan. Returns the key.
   */
  put(bytes: Buffer): Promise<string>;
  /** The blob's size, or null when there is none (or the key is not a key). */
  size(key: string): Promise<number | null>;
  /** Bytes `start`..`end` inclusive (the whole blob by default), or null when there is none. The caller checks the range against size. */
  read(key: string, range?: { start: number; end: number }): Promise<Buffer | null>;
  /**
   * Removes blobs; missing keys and non-keys are ignored. With
   * `exceptPutAgainSince` (ms since the epoch), keeps every key whose put
   * found it already stored at or after that time.
   */
  delete(keys: readonly string[], opts?: { exceptPutAgainSince?: number }): Promise<void>;
  /**
   * Up to `limit` keys last put before `before` (ms since the epoch), in key
   * order after `afterKey`: the candidates for the sweep of unreferenced blobs,
   * paged so that keys still in use do not hide the ones after them.
   */
  listOlderThan(before: number, limit: number, afterKey?: string): Promise<string[]>;
  close(): Promise<void>;
}

/** A blob key: 64 lower-case hex digits. Anything else names no blob (and never reaches a path or a query). */
export const BLOB_KEY = /^[0-9a-f]{64}$/;

/** Options every implementation takes. */
export interface BlobStoreOptions {
  /** The wall clock, ms since the epoch; tests move it to age blobs. */
  now?: () => number;
}
