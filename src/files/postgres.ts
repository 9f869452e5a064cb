import crypto from 'node:crypto';
import { PgDb } from '../store/postgres-db.js';
import { BLOB_KEY, type BlobStore, type BlobStoreOptions } from './blob-store.js';

/** Rows of this many bytes: a Range read loads only the chunks it touches, and no single value nears bytea's 1 GiB limit. */
export const CHUNK_BYTES = 256 * 1024;
/** Chunks sent in one INSERT (≈4 MiB of parameters). */
const CHUNKS_PER_INSERT = 16;
/** Advisory lock class 'hubf' (files), second key the schema's hash: nodes starting at once create the tables once. */
const SETUP_LOCK = 0x68756266;

const SETUP = [
  `CREATE TABLE IF NOT EXISTS blobs (
     key TEXT PRIMARY KEY,
     size BIGINT NOT NULL,
     stored_at TIMESTAMPTZ NOT NULL,
     put_again_at TIMESTAMPTZ
   )`,
  `CREATE TABLE IF NOT EXISTS blob_chunks (
     key TEXT NOT NULL REFERENCES blobs(key) ON DELETE CASCADE,
     n INT NOT NULL,
     data BYTEA NOT NULL,
     PRIMARY KEY (key, n)
   )`,
  // Images and archives are compressed already: skip pglz, store out of line as they come.
  'ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL',
];

const ms = (t: number) => new Date(t).toISOString();

/**
 * Blobs in PostgreSQL, so every node of a cluster serves every file with no
 * shared disk. `blobs` holds one row a key (size, last put, last put-again);
 * the bytes are `blob_chunks` of CHUNK_BYTES. A put is one transaction: the
 * blobs row and all chunks commit together or not at all (a node killed
 * mid-put leaves nothing). Concurrent puts of one key, and a put racing a
 * delete, are ordered by the blobs row's lock: `INSERT … ON CONFLICT DO
 * UPDATE` waits for the other writer and then either finds the row (put
 * again: only times change) or, deleted meanwhile, writes it whole.
 *
 * Its own pool (8 connections: file reads and writes never queue behind messages), on the configured
 * schema through search_path, like the Store's.
 */
export class PostgresBlobStore implements BlobStore {
  readonly kind = 'postgres' as const;
  private readonly now: () => number;

  private constructor(
    private readonly db: PgDb,
    opts: BlobStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Opens its own pool (PgDb: schema through search_path, as the Store's) and creates the tables if needed. */
  static async open(connectionString: string, opts: BlobStoreOptions & { schema?: string; max?: number } = {}): Promise<PostgresBlobStore> {
    const db = new PgDb(connectionString, { ...(opts.schema ? { schema: opts.schema } : {}), max: opts.max ?? 8 });
    try {
      await db.tx(async (q) => {
        await q.query(`SELECT pg_advisory_xact_lock(${SETUP_LOCK}, hashtext($1))`, [opts.schema ?? '']);
        if (opts.schema) await q.query(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"`);
        for (const sql of SETUP) await q.query(sql);
      });
    } catch (err) {
      await db.close();
      throw err;
    }
    return new PostgresBlobStore(db, opts);
  }

  async put(bytes: Buffer): Promise<string> {
    const key = crypto.createHash('sha256').update(bytes).digest('hex');
    const at = ms(this.now());
    await this.db.tx(async (db) => {
      // xmax = 0 only on a row this statement inserted: otherwise it was there (put again).
      const r = await db.query(
        `INSERT INTO blobs (key, size, stored_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET stored_at = EXCLUDED.stored_at, put_again_at = EXCLUDED.stored_at
         RETURNING (xmax = 0) AS inserted`,
        [key, bytes.length, at],
      );
      if (!r.rows[0].inserted) return;
      const count = Math.ceil(bytes.length / CHUNK_BYTES);
      for (let first = 0; first < count; first += CHUNKS_PER_INSERT) {
        const values: unknown[] = [key];
        const rows: string[] = [];
        for (let n = first; n < Math.min(count, first + CHUNKS_PER_INSERT); n++) {
          values.push(n, bytes.subarray(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES));
          rows.push(`($1, $${values.length - 1}, $${values.length})`);
        }
        await db.query(`INSERT INTO blob_chunks (key, n, data) VALUES ${rows.join(', ')}`, values);
      }
    });
    return key;
  }

  async size(key: string): Promise<number | null> {
    if (!BLOB_KEY.test(key)) return null;
    const r = await this.db.pool.query('SELECT size FROM blobs WHERE key = $1', [key]);
    return r.rows.length > 0 ? Number(r.rows[0].size) : null;
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Buffer | null> {
    const size = await this.size(key);
    if (size === null) return null;
    const start = range ? Math.max(0, range.start) : 0;
    const end = range ? Math.min(range.end, size - 1) : size - 1;
    if (end < start) return Buffer.alloc(0);
    const first = Math.floor(start / CHUNK_BYTES);
    const last = Math.floor(end / CHUNK_BYTES);
    const r = await this.db.pool.query('SELECT n, data FROM blob_chunks WHERE key = $1 AND n BETWEEN $2 AND $3 ORDER BY n', [
      key,
      first,
      last,
    ]);
    // Deleted between the two reads: as if it had never been there.
    if (r.rows.length !== last - first + 1) return null;
    const joined = Buffer.concat(r.rows.map((row: { data: Buffer }) => row.data));
    const offset = first * CHUNK_BYTES;
    return joined.subarray(start - offset, end - offset + 1);
  }

  async delete(keys: readonly string[], opts: { exceptPutAgainSince?: number } = {}): Promise<void> {
    const valid = keys.filter((k) => BLOB_KEY.test(k));
    if (valid.length === 0) return;
    const since = opts.exceptPutAgainSince;
    await this.db.pool.query(
      `DELETE FROM blobs WHERE key = ANY($1::text[])
         AND ($2::timestamptz IS NULL OR put_again_at IS NULL OR put_again_at < $2::timestamptz)`,
      [valid, since === undefined ? null : ms(since)],
    );
  }

  async listOlderThan(before: number, limit: number, afterKey = ''): Promise<string[]> {
    const r = await this.db.pool.query('SELECT key FROM blobs WHERE key > $1 AND stored_at < $2 ORDER BY key LIMIT $3', [
      afterKey,
      ms(before),
      limit,
    ]);
    return r.rows.map((row: { key: string }) => row.key);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
