import pg from 'pg';
import { idOrNone } from '../domain/ids.js';
import type { EventPayload, StoredEvent } from '../domain/types.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import { backfillPostgres } from './search-backfill.js';
import { type EventRow, type Int, eventOf } from './rows.js';
import { PG_SQL } from './sql.js';

/** A pool or a checked-out client: both run one statement. */
export interface Db {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

export async function all<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query(sql, params)).rows as T[];
}
export async function get<T>(db: Db, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await db.query(sql, params)).rows[0] as T | undefined;
}
export async function exists(db: Db, sql: string, params: unknown[] = []): Promise<boolean> {
  return (await db.query(sql, params)).rows.length > 0;
}
/** A prepared statement (parsed and planned once per connection), for the hot path. */
export async function getPrepared<T>(db: Db, name: string, text: string, values: unknown[]): Promise<T | undefined> {
  return (await db.query({ name, text, values })).rows[0] as T | undefined;
}
export const isUniqueViolation = (err: unknown, constraint: string): boolean =>
  (err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === constraint;

/** Advisory lock classes ('hubb', 'hubm', 'hubf'); the second key is a hash of the schema, so isolated schemas don't contend. */
const LOG_LOCK = 0x68756262;
const MIGRATION_LOCK = 0x6875626d;
const FILES_LOCK = 0x68756266;

/** Steps whose data SQL cannot compute: run in JS right after the step's SQL, in the migration's transaction (by step number). */
const AFTER_STEP: Record<number, (db: Db) => Promise<void>> = { 4: backfillPostgres };

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s)) h = Math.imul(h ^ byte, 0x01000193);
  return h | 0;
}

/**
 * The schema as a startup parameter of every pooled connection, so it holds
 * before the first query. A URL's own `options` would override a separate
 * one, so when there is one, ours is appended to it.
 */
function searchPath(connectionString: string, schema: string): pg.PoolConfig {
  const flag = `-c search_path=${schema}`;
  try {
    const url = new URL(connectionString);
    const own = url.searchParams.get('options');
    if (own) {
      url.searchParams.set('options', `${own} ${flag}`);
      return { connectionString: url.toString() };
    }
  } catch {
    // not a URL (pg also takes key=value strings): nothing to merge with
  }
  return { connectionString, options: flag };
}

/**
 * One PostgreSQL database shared by any number of nodes: the pool,
 * transactions, migrations and the log (writing positions, reading them).
 *
 * Gap-free positions. A sequence value taken before commit can become visible
 * after a larger one: writer A takes seq 7, writer B takes 8 and commits first,
 * a reader sees 8, moves its cursor there and never sees 7. So every
 * transaction that writes events first takes one transaction-level advisory
 * lock (`pg_advisory_xact_lock`) and only then takes positions from
 * `event_positions`. PostgreSQL makes a commit visible before it releases the
 * transaction's locks, so the next writer allocates only after the previous
 * one is visible: seq order is commit order, and a reader may read up to
 * max(seq) and move past it. A rolled-back writer leaves a hole that never
 * fills, which readers simply never see. (test/integration/pg-gapfree.test.ts
 * loses hundreds of messages per reader without the lock.)
 *
 * The cost: event writes are serialized across the whole cluster, and each
 * holds the lock through its commit, WAL flush included, so commits cannot
 * share a flush. Measured on a 2-core test box (synchronous_commit=on, 8
 * writers): ~440 messages/s one transaction per message, against ~1,100/s
 * unlocked (but not gap-free). To win that back, appends are committed
 * together (group commit, postgres-append.ts, ~1,300–1,700/s there); the
 * rarer writes take the lock at BEGIN, which also gives their decisions
 * (owner hand-over, friendship state, NAME_TAKEN, who may post) the same
 * serial view SQLite has. Readers never take the lock.
 */
export class PgDb {
  readonly pool: pg.Pool;
  private readonly schema: string | null;
  private readonly lockSql: string;
  private readonly schemaKey: number;
  private closed = false;

  constructor(connectionString: string, opts: { schema?: string; max?: number } = {}) {
    if (opts.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(opts.schema))
      throw new Error(`Invalid schema name: ${opts.schema}`);
    this.schema = opts.schema ?? null;
    this.schemaKey = hash32(this.schema ?? '');
    this.lockSql = `SELECT pg_advisory_xact_lock(${LOG_LOCK}, ${this.schemaKey})`;
    this.pool = new pg.Pool({ ...(this.schema ? searchPath(connectionString, this.schema) : { connectionString }), max: opts.max ?? 10 });
    // An idle connection that dies (server restart) is already dropped by the pool; the next checkout reconnects.
    this.pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    await this.tx(async (db) => {
      // Nodes starting at once wait here: CREATE … IF NOT EXISTS is not safe against a concurrent creator.
      await db.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}, ${this.schemaKey})`);
      if (this.schema) await db.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await db.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const done = Number((await get<{ v: Int }>(db, 'SELECT coalesce(max(version), 0) AS v FROM schema_migrations'))!.v);
      for (let v = done; v < POSTGRES_MIGRATIONS.length; v++) {
        await db.query(POSTGRES_MIGRATIONS[v]!);
        await AFTER_STEP[v + 1]?.(db);
        await db.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * BEGIN … COMMIT on one pooled client, ROLLBACK on error. `lockLog` takes the
   * log lock in the same round trip as BEGIN; `first` is a statement sent in
   * that round trip too, its rows handed to `fn`.
   */
  async tx<T, R = never>(fn: (db: Db, firstRows: R[]) => Promise<T>, opts: { lockLog?: boolean; first?: string } = {}): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // pg-pool stops listening for a checked-out client's 'error': a server that ends the
    // connection mid-transaction (a restart: 57P01) would otherwise throw uncaught and kill
    // the node. The query in flight fails on its own; the client is then discarded.
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      const sql = ['BEGIN', opts.lockLog ? this.lockSql : '', opts.first ?? ''].filter(Boolean).join('; ');
      const res = (await client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(res) ? res[res.length - 1]! : res;
      const out = await fn(client, opts.first ? (last.rows as R[]) : []);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** A transaction that writes events: it holds the log lock from BEGIN. */
  logTx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.tx((db) => fn(db), { lockLog: true });
  }

  /**
   * A transaction that decides on the sums of stored file sizes (quota, total):
   * uploads take turns here, so two cannot both fit in the room left for one.
   * Not the log lock: an upload writes no event and must not hold up sends.
   */
  filesTx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.tx((db) => fn(db), { first: `SELECT pg_advisory_xact_lock(${FILES_LOCK}, ${this.schemaKey})` });
  }

  /** Only inside logTx: a position taken under the lock. */
  async nextSeq(db: Db): Promise<number> {
    return Number((await get<{ s: Int }>(db, "SELECT nextval('event_positions') AS s"))!.s);
  }

  /** Only inside logTx. With `seq`, uses a position already taken (a membership span starts at it). */
  async insertEvent(
    db: Db,
    payload: EventPayload,
    conversationId: string | null,
    targets: string[],
    now: string,
    seq?: number,
  ): Promise<StoredEvent> {
    const json = JSON.stringify(payload);
    const unique = [...new Set(targets)];
    const r = await get<{ seq: Int }>(
      db,
      `WITH e AS (INSERT INTO events (seq, type, conv_id, payload, created_at)
                  VALUES (coalesce($1, nextval('event_positions')), $2, $3, $4, $5) RETURNING seq),
            t AS (INSERT INTO event_targets (user_id, seq) SELECT u, e.seq FROM e, unnest($6::bigint[]) u)
       SELECT seq FROM e`,
      [seq ?? null, payload.type, conversationId, json, now, unique],
    );
    return { seq: Number(r!.seq), type: payload.type, conversationId, targets: unique, payload: json };
  }

  // ── reading the log ────────────────────────────────────────────────────
  async headSeq(): Promise<number> {
    // max(seq) is safe to read: positions commit in order (see the class comment). After pruning everything, the floor is the head.
    const r = await get<{ s: Int }>(
      this.pool,
      "SELECT coalesce((SELECT max(seq) FROM events), (SELECT value::bigint FROM meta WHERE key = 'pruned_through'), 0) AS s",
    );
    return Number(r!.s);
  }
  async floorSeq(): Promise<number> {
    const r = await get<{ value: string }>(this.pool, PG_SQL.floor);
    return r ? Number(r.value) : 0;
  }
  async readEvents(after: number, limit: number): Promise<StoredEvent[]> {
    // One statement, so events and their targets come from one snapshot.
    return (
      await all<EventRow>(
        this.pool,
        `SELECT e.seq, e.type, e.conv_id, e.payload,
              coalesce((SELECT array_agg(t.user_id::text ORDER BY t.user_id) FROM event_targets t WHERE t.seq = e.seq), '{}') AS targets
       FROM events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`,
        [after, limit],
      )
    ).map(eventOf);
  }
  async readUserEvents(userId: string, after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    const id = idOrNone(userId);
    return (await all<EventRow>(this.pool, PG_SQL.userEvents, [id, after, upTo, id, after, upTo, limit])).map(eventOf);
  }
  prune(beforeSeq: number): Promise<number> {
    return this.tx(async (db) => {
      const n = (await db.query(PG_SQL.pruneEvents, [beforeSeq])).rowCount ?? 0;
      await db.query(PG_SQL.pruneTargets, [beforeSeq]);
      await db.query(
        `INSERT INTO meta (key, value) VALUES ('pruned_through', $1)
         ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value::bigint, excluded.value::bigint)::text`,
        [String(beforeSeq)],
      );
      return n;
    });
  }
}
