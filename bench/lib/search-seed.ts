/**
 * The data set of bench/search.ts and bench/send-index.ts, written straight
 * into a store's tables (the API would take hours for a million messages):
 * users, group conversations with their memberships, messages. The search
 * index is NOT written here: the data goes into a database migrated up to
 * the step before search, and the store's own migration then adds the
 * index and fills it with its backfill — so the index rows are exactly what
 * the store writes, whatever their format (and the backfill of an upgrading
 * installation is exercised on a million messages).
 *
 * Seeded once per shape and store code, and kept between runs (a SQLite
 * file under $TMPDIR/hubbub-bench-search, a PostgreSQL schema); marked
 * complete only at the very end. The key includes a hash of the migrations
 * and the search code, so a change there seeds again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-schema.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite-schema.js';
import { messageBody, prng } from './search-corpus.js';

export interface SeedShape {
  messages: number;
  users: number;
  conversations: number;
  /** Conversations of the searching user (id 1): ids 1..n; the last tenth left halfway, the tenth before joined halfway. */
  userConversations: number;
}

/** Bumped when the corpus or the layout changes. */
const VERSION = 3;
/**
 * A word in a tenth of the messages of the conversations the searching user
 * is NOT in, and nowhere else: common in the database, absent from the
 * user's own messages — the worst case for an index walked newest first
 * (a busy room's jargon searched by someone outside it).
 */
export const ELSEWHERE_WORD = 'halloumi';

/** The store code that decides what the index holds: the migrations, search-text.ts, the store's search and backfill files. */
function storeFingerprint(): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([SQLITE_MIGRATIONS, POSTGRES_MIGRATIONS]));
  const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'src');
  const files = [path.join(root, 'domain', 'search-text.ts')];
  for (const f of fs.readdirSync(path.join(root, 'store')).sort()) if (/search|backfill/.test(f)) files.push(path.join(root, 'store', f));
  for (const f of files) h.update(fs.readFileSync(f));
  return h.digest('hex').slice(0, 10);
}

export const seedKey = (s: SeedShape) =>
  `v${VERSION}_m${s.messages}_u${s.users}_c${s.conversations}_k${s.userConversations}_${storeFingerprint()}`;
const START = Date.parse('2024-01-01T00:00:00Z');
/** One message every 30 s: a million span a year. */
export const createdAt = (i: number) => new Date(START + i * 30_000).toISOString();

/** The migration steps before the one that brings the search index (the data goes in after these). */
function stepsBeforeSearch(steps: string[]): string[] {
  const at = steps.findIndex((sql) => sql.includes('message_search'));
  if (at < 0) throw new Error('no migration creates message_search');
  return steps.slice(0, at);
}

interface Plan {
  members: number[][];
  /** [joinedSeq, leftSeq|null] of user 1 in its conversations (index = conversation id - 1). */
  span: Array<[number, number | null]>;
}

function plan(s: SeedShape): Plan {
  const rand = prng(7);
  const half = Math.floor(s.messages / 2);
  const members: number[][] = [];
  const span: Array<[number, number | null]> = [];
  const tenth = Math.max(1, Math.floor(s.userConversations / 10));
  for (let c = 1; c <= s.conversations; c++) {
    const set = new Set<number>();
    const size = 3 + Math.floor(rand() * 28);
    while (set.size < size) set.add(2 + Math.floor(rand() * (s.users - 1)));
    if (c <= s.userConversations) {
      set.add(1);
      if (c > s.userConversations - tenth) span[c - 1] = [0, half];
      else if (c > s.userConversations - 2 * tenth) span[c - 1] = [half, null];
      else span[c - 1] = [0, null];
    }
    members.push([...set]);
  }
  return { members, span };
}

interface MessageRow {
  id: number;
  conv: number;
  sender: number;
  body: string;
  createdAt: string;
}

/** The messages in order, in batches (ids = positions = 1..n). */
function* messageBatches(s: SeedShape, p: Plan, size: number): Generator<MessageRow[]> {
  const rand = prng(11);
  let batch: MessageRow[] = [];
  for (let i = 1; i <= s.messages; i++) {
    const conv = 1 + Math.floor(rand() * s.conversations);
    const members = p.members[conv - 1]!;
    const sender = members[Math.floor(rand() * members.length)]!;
    let body = messageBody(rand);
    if (conv > s.userConversations && rand() < 0.1) body += ` ${ELSEWHERE_WORD}`;
    batch.push({ id: i, conv, sender, body, createdAt: createdAt(i) });
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Every membership row: [conv, user, role, joinedSeq, leftSeq]. */
function memberships(p: Plan): Array<[number, number, string, number, number | null]> {
  return p.members.flatMap((ms, i) =>
    ms.map((u): [number, number, string, number, number | null] => {
      const [joined, left] = u === 1 ? p.span[i]! : [0, null];
      return [i + 1, u, u === ms[0] ? 'owner' : 'member', joined, left];
    }),
  );
}

const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(0);
const progress = (what: string, done: number, total: number, t0: number) =>
  process.stderr.write(`\r  ${what}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${seconds(t0)} s)   `);

// ── SQLite ─────────────────────────────────────────────────────────────────

function sqliteSeedFile(s: SeedShape): string {
  const dir = path.join(process.env.TMPDIR || os.tmpdir(), 'hubbub-bench-search');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${seedKey(s)}.db`);
}

/** The seeded SQLite file, made if missing or incomplete. */
export async function seedSqlite(s: SeedShape, fresh: boolean): Promise<string> {
  const file = sqliteSeedFile(s);
  if (!fresh && fs.existsSync(file)) {
    const db = new Database(file, { readonly: true });
    const done = db.prepare("SELECT value FROM meta WHERE key = 'bench_seed'").get() as { value: string } | undefined;
    db.close();
    if (done?.value === seedKey(s)) return file;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const before = stepsBeforeSearch(SQLITE_MIGRATIONS);
  for (const sql of before) db.exec(sql);
  db.pragma(`user_version = ${before.length}`);
  const p = plan(s);
  const t0 = performance.now();
  db.transaction(() => {
    const user = db.prepare("INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', ?)");
    for (let u = 1; u <= s.users; u++) user.run(u, `user${u}`, `User ${u}`, createdAt(0));
    const conv = db.prepare("INSERT INTO conversations (id, kind, name, owner_id, created_at) VALUES (?, 'group', ?, ?, ?)");
    for (const [i, ms] of p.members.entries()) conv.run(i + 1, `group ${i + 1}`, ms[0], createdAt(0));
    const member = db.prepare('INSERT INTO memberships (conv_id, user_id, role, joined_seq, left_seq) VALUES (?, ?, ?, ?, ?)');
    for (const m of memberships(p)) member.run(...m);
  })();
  const message = db.prepare(
    'INSERT INTO messages (id, conv_id, sender_id, sender_name, body, created_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const write = db.transaction((rows: MessageRow[]) => {
    for (const m of rows) message.run(m.id, m.conv, m.sender, `User ${m.sender}`, m.body, m.createdAt, m.id);
  });
  for (const rows of messageBatches(s, p, 20_000)) {
    write(rows);
    progress('SQLite messages', rows.at(-1)!.id, s.messages, t0);
  }
  db.close();
  process.stderr.write(`\n  SQLite: the store's migration indexes them…`);
  const t1 = performance.now();
  const store = new SqliteStore(file);
  await store.migrate();
  await store.close();
  process.stderr.write(` ${seconds(t1)} s\n`);
  const done = new Database(file);
  done.exec('ANALYZE');
  done.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('bench_seed', ?)").run(seedKey(s));
  done.pragma('wal_checkpoint(TRUNCATE)');
  done.close();
  return file;
}

// ── PostgreSQL ─────────────────────────────────────────────────────────────

/** Schema names are at most 63 bytes: the key's hash stands for the shape. */
const pgSeedSchema = (s: SeedShape) => `hubbub_bench_search_${createHash('sha256').update(seedKey(s)).digest('hex').slice(0, 16)}`;

async function client(url: string, schema: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await c.connect();
  return c;
}

/** The seeded PostgreSQL schema, made if missing or incomplete. */
export async function seedPostgres(s: SeedShape, url: string, fresh: boolean): Promise<string> {
  const schema = pgSeedSchema(s);
  const admin = await client(url, 'public');
  try {
    if (!fresh) {
      const exists = await admin.query(`SELECT to_regclass('"${schema}".meta') IS NOT NULL AS ok`);
      if (exists.rows[0].ok) {
        const marker = await admin.query(`SELECT value FROM "${schema}".meta WHERE key = 'bench_seed'`);
        if (marker.rows[0]?.value === seedKey(s)) return schema;
      }
    }
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.end();
  }
  const db = await client(url, schema);
  const p = plan(s);
  const t0 = performance.now();
  try {
    // As PgDb.migrate records its steps, so that the store's migrate() carries on from here.
    await db.query('CREATE TABLE schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const before = stepsBeforeSearch(POSTGRES_MIGRATIONS);
    for (const [i, sql] of before.entries()) {
      await db.query(sql);
      await db.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
    }
    await db.query('SET synchronous_commit = off');
    await db.query(
      `INSERT INTO users (id, username, display_name, password_hash, created_at)
       SELECT u, 'user' || u, 'User ' || u, 'x', $2 FROM unnest($1::bigint[]) AS u`,
      [Array.from({ length: s.users }, (_, i) => i + 1), createdAt(0)],
    );
    await db.query(
      `INSERT INTO conversations (id, kind, name, owner_id, created_at)
       SELECT c, 'group', 'group ' || c, o, $3 FROM unnest($1::bigint[], $2::bigint[]) AS x(c, o)`,
      [p.members.map((_, i) => i + 1), p.members.map((ms) => ms[0]), createdAt(0)],
    );
    const ms = memberships(p);
    await db.query(
      `INSERT INTO memberships (conv_id, user_id, role, joined_seq, left_seq)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[])`,
      [0, 1, 2, 3, 4].map((k) => ms.map((m) => m[k])),
    );
    for (const rows of messageBatches(s, p, 10_000)) {
      await db.query(
        `INSERT INTO messages (id, conv_id, sender_id, sender_name, body, created_at, seq)
         SELECT id, conv, sender, 'User ' || sender, body, at, id
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS x(id, conv, sender, body, at)`,
        [rows.map((m) => m.id), rows.map((m) => m.conv), rows.map((m) => m.sender), rows.map((m) => m.body), rows.map((m) => m.createdAt)],
      );
      progress('PostgreSQL messages', rows.at(-1)!.id, s.messages, t0);
    }
    for (const table of ['users', 'conversations', 'memberships', 'messages']) {
      await db.query(`SELECT setval('${table}_id_seq', (SELECT max(id) FROM ${table}))`);
    }
    await db.query(`SELECT setval('event_positions', $1)`, [s.messages]);
  } finally {
    await db.end();
  }
  process.stderr.write(`\n  PostgreSQL: the store's migration indexes them…`);
  const t1 = performance.now();
  const store = new PostgresStore(url, { schema });
  await store.migrate();
  await store.close();
  process.stderr.write(` ${seconds(t1)} s\n`);
  const done = await client(url, schema);
  try {
    await done.query('VACUUM ANALYZE');
    await done.query("INSERT INTO meta (key, value) VALUES ('bench_seed', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [
      seedKey(s),
    ]);
  } finally {
    await done.end();
  }
  return schema;
}

/** Removes every cached seed: the SQLite files and the PostgreSQL schemas (bench/search.ts --clean). */
export async function cleanSeeds(url: string | null): Promise<string[]> {
  const removed: string[] = [];
  const dir = path.join(process.env.TMPDIR || os.tmpdir(), 'hubbub-bench-search');
  if (fs.existsSync(dir)) {
    removed.push(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (url) {
    const db = await client(url, 'public');
    try {
      const schemas = await db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hubbub\\_bench\\_search\\_%'");
      for (const { nspname } of schemas.rows) {
        await db.query(`DROP SCHEMA "${nspname}" CASCADE`);
        removed.push(`schema ${nspname}`);
      }
    } finally {
      await db.end();
    }
  }
  return removed;
}

/** The first of these that answers (HUBBUB_BENCH_DATABASE_URL first), or null. */
export async function findPostgresUrl(): Promise<string | null> {
  const env = process.env.HUBBUB_BENCH_DATABASE_URL ?? process.env.HUBBUB_TEST_DATABASE_URL;
  const candidates = env
    ? [env]
    : ['postgres://127.0.0.1:5432/test', 'postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];
  for (const url of candidates) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return url;
    } catch {
      // the next one
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  return null;
}
