import Database from 'better-sqlite3';
import { idOrNone } from '../domain/ids.js';
import type { EventPayload, StoredEvent } from '../domain/types.js';
import { type EventRow, type Int, eventOf } from './rows.js';
import { SQL } from './sql.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import { backfillSqlite } from './search-backfill.js';

/** Steps whose data SQL cannot compute: run in JS right after the step's SQL, in its transaction (by step number). */
const AFTER_STEP: Record<number, (db: Database.Database) => void> = { 5: backfillSqlite };

/**
 * One SQLite database through better-sqlite3: migrations, statements prepared
 * once, transactions, and the log writer. Every write runs in one synchronous
 * transaction, so within this process positions commit in order and a reader
 * can never see seq N+1 before N: the log is gap-free by construction.
 */
export class SqliteDb {
  readonly db: Database.Database;

  constructor(file: string, opts: { synchronous?: 'NORMAL' | 'FULL' } = {}) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (kill -9) without loss; FULL also survives power loss.
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version >= SQLITE_MIGRATIONS.length) return;
    // Off for the rebuilds: with it on, dropping a referenced table deletes its rows first and
    // cascades into every table that points at it. It cannot change inside a transaction.
    this.db.pragma('foreign_keys = OFF');
    try {
      for (let v = version; v < SQLITE_MIGRATIONS.length; v++) {
        this.db.transaction(() => {
          this.db.exec(SQLITE_MIGRATIONS[v]!);
          AFTER_STEP[v + 1]?.(this.db);
          const broken = this.db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`migration ${v + 1} would break ${broken.length} foreign key(s); nothing was changed`);
          this.db.pragma(`user_version = ${v + 1}`);
        })();
      }
    } finally {
      this.db.pragma('foreign_keys = ON');
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` as one transaction; its result or its error as a promise (nothing of a failed one stays). */
  tx<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.db.transaction(fn)());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Prepared once per SQL text: preparing is the largest CPU cost of a small query. */
  private readonly statements = new Map<string, Database.Statement>();
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }
  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }
  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }
  run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.stmt(sql).run(...params);
  }
  exists(sql: string, ...params: unknown[]): boolean {
    return this.stmt(sql).get(...params) !== undefined;
  }

  /** Only inside a transaction. */
  insertEvent(payload: EventPayload, conversationId: string | null, targets: string[], now: string): StoredEvent {
    const json = JSON.stringify(payload);
    const seq = Number(
      this.run('INSERT INTO events (type, conv_id, payload, created_at) VALUES (?, ?, ?, ?)', payload.type, conversationId, json, now)
        .lastInsertRowid,
    );
    const unique = [...new Set(targets)];
    for (const t of unique) this.run('INSERT INTO event_targets (user_id, seq) VALUES (?, ?)', t, seq);
    return { seq, type: payload.type, conversationId, targets: unique, payload: json };
  }

  /** The position the next event will take: a membership span starts at the event that records it, inserted after. */
  nextSeq(): number {
    return Number(this.get<{ s: number }>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS s")!.s) + 1;
  }

  // ── reading the log ────────────────────────────────────────────────────
  async headSeq(): Promise<number> {
    return Math.max(this.nextSeq() - 1, this.floorSeq());
  }
  floorSeq(): number {
    const r = this.get<{ value: string }>(SQL.floor);
    return r ? Number(r.value) : 0;
  }
  readEvents(after: number, limit: number): StoredEvent[] {
    const rows = this.all<EventRow>('SELECT seq, type, conv_id, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?', after, limit);
    if (rows.length === 0) return [];
    const targets = new Map<number, string[]>();
    for (const t of this.all<{ seq: Int; user_id: Int }>(
      'SELECT seq, user_id FROM event_targets WHERE seq > ? AND seq <= ?',
      after,
      rows.at(-1)!.seq,
    )) {
      const list = targets.get(Number(t.seq)) ?? [];
      list.push(String(t.user_id));
      targets.set(Number(t.seq), list);
    }
    return rows.map((r) => eventOf({ ...r, targets: targets.get(Number(r.seq)) ?? [] }));
  }
  readUserEvents(userId: string, after: number, upTo: number, limit: number): StoredEvent[] {
    const id = idOrNone(userId);
    return this.all<EventRow>(SQL.userEvents, id, after, upTo, id, after, upTo, limit).map(eventOf);
  }
  /** Only inside a transaction. */
  prune(beforeSeq: number): number {
    const n = this.run(SQL.pruneEvents, beforeSeq).changes;
    this.run(SQL.pruneTargets, beforeSeq);
    this.run(
      `INSERT INTO meta (key, value) VALUES ('pruned_through', ?)
      ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`,
      String(beforeSeq),
    );
    return n;
  }
}
