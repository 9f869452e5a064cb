import pg from 'pg';
import { AppError } from '../domain/errors.js';
import type {
  Conversation, ConversationDetail, ConversationKind, ConversationSummary, EventPayload, FriendRequest, Member,
  MembershipSpan, Message, StoredEvent, User,
} from '../domain/types.js';
import type { AuthTokenInfo, RevokeReason, Store } from './store.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';

type Row = Record<string, any>;
/** A pool or a checked-out client: both run one statement. */
interface Db {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
  query(config: pg.QueryConfig): Promise<pg.QueryResult<Row>>;
}

/** Advisory lock classes ('hubb', 'hubm'); the second key is a hash of the schema, so isolated schemas don't contend. */
const LOG_LOCK = 0x68756262;
const MIGRATION_LOCK = 0x6875626d;

type AppendInput = { conversationId: string; senderId: string; body: string; clientMsgId: string | null; now: string };
type AppendResult = { message: Message; events: StoredEvent[]; duplicate: boolean };
interface PendingAppend {
  input: AppendInput;
  senderName: string;
  resolve: (r: AppendResult) => void;
  reject: (err: unknown) => void;
}
/** Appends committed together at most (bounds a batch's statement and its lock hold). */
const MAX_APPEND_BATCH = 200;

const userOf = (r: Row, p = ''): User => ({ id: String(r[p + 'id']), username: r[p + 'username'], displayName: r[p + 'display_name'], createdAt: r[p + 'created_at'] });
const messageOf = (r: Row, p = ''): Message => {
  const m: Message = { id: String(r[p + 'id']), conversationId: String(r[p + 'conv_id']), senderId: String(r[p + 'sender_id']), senderName: r[p + 'sender_name'], body: r[p + 'body'], createdAt: r[p + 'created_at'] };
  if (r[p + 'client_msg_id'] != null) m.clientMsgId = r[p + 'client_msg_id'];
  return m;
};
const numOrNull = (v: unknown): number | null => (v == null ? null : Number(v));
const tokenInfoOf = (r: Row): AuthTokenInfo => ({
  tokenHash: r.token_hash, kind: r.kind, createdAt: numOrNull(r.created_at), lastUsedAt: numOrNull(r.last_used_at),
  userAgent: r.user_agent ?? null, ip: r.ip ?? null, expiresAt: Number(r.expires_at),
});
const conversationOf = (r: Row): Conversation => ({
  id: String(r.id), kind: r.kind, name: r.name ?? null, ownerId: r.owner_id == null ? null : String(r.owner_id), createdAt: r.created_at,
});
const eventOf = (r: Row): StoredEvent => ({ seq: Number(r.seq), type: r.type, conversationId: r.conv_id == null ? null : String(r.conv_id), targets: r.targets ?? [], payload: r.payload });

/** Ids arrive as strings; one that is not a BIGINT matches nothing (as in SQLite) instead of failing the cast. */
const key = (id: string): string => (/^\d{1,18}$/.test(id) ? id : '-1');
const pair = (a: string, b: string): [string, string] => (Number(a) < Number(b) ? [a, b] : [b, a]);
const isUniqueViolation = (err: unknown, constraint: string): boolean =>
  (err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === constraint;

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

async function all(db: Db, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await db.query(sql, params)).rows;
}
async function get(db: Db, sql: string, params: unknown[] = []): Promise<Row | undefined> {
  return (await db.query(sql, params)).rows[0];
}
/** A prepared statement (parsed and planned once per connection), for the hot path. */
async function getPrepared(db: Db, name: string, text: string, values: unknown[]): Promise<Row | undefined> {
  return (await db.query({ name, text, values })).rows[0];
}

const REQUEST_SELECT = `SELECT r.*, f.id AS f_id, f.username AS f_username, f.display_name AS f_display_name, f.created_at AS f_created_at,
  t.id AS t_id, t.username AS t_username, t.display_name AS t_display_name, t.created_at AS t_created_at
  FROM friend_requests r JOIN users f ON f.id = r.from_id JOIN users t ON t.id = r.to_id`;
const requestOf = (r: Row): FriendRequest => ({ id: String(r.id), from: userOf(r, 'f_'), to: userOf(r, 't_'), createdAt: r.created_at });

const MEMBERS_SQL = `SELECT u.id, u.username, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
  WHERE m.conv_id = $1 AND m.left_seq IS NULL ORDER BY m.joined_seq, m.id`;
const memberOf = (r: Row): Member => ({ id: String(r.id), username: r.username, displayName: r.display_name, role: r.role });

/**
 * Store on PostgreSQL, shared by any number of nodes.
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
 * unlocked (but not gap-free). To win that back, appendMessage does its reads
 * before locking and commits the appends waiting on a node together (group
 * commit, ~1,300–1,700/s there); the rarer writes take the lock at BEGIN,
 * which also gives their domain checks (owner hand-over, friendship state,
 * NAME_TAKEN) the same serial view SQLite has. Readers never take the lock.
 */
export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly schema: string | null;
  private readonly lockSql: string;
  private readonly schemaKey: number;
  private closed = false;
  private readonly appendQueue: PendingAppend[] = [];
  private appending: Promise<void> | null = null;

  constructor(connectionString: string, opts: { schema?: string; max?: number } = {}) {
    if (opts.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(opts.schema)) throw new Error(`Invalid schema name: ${opts.schema}`);
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
      await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const done = Number((await get(db, 'SELECT coalesce(max(version), 0) AS v FROM schema_migrations'))!.v);
      for (let v = done; v < POSTGRES_MIGRATIONS.length; v++) {
        await db.query(POSTGRES_MIGRATIONS[v]!);
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
  private async tx<T>(fn: (db: Db, firstRows: Row[]) => Promise<T>, opts: { lockLog?: boolean; first?: string } = {}): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      const sql = ['BEGIN', opts.lockLog ? this.lockSql : '', opts.first ?? ''].filter(Boolean).join('; ');
      const res = (await client.query(sql)) as unknown as pg.QueryResult<Row> | Array<pg.QueryResult<Row>>;
      const last = Array.isArray(res) ? res[res.length - 1]! : res;
      const out = await fn(client, opts.first ? last.rows : []);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private logTx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.tx((db) => fn(db), { lockLog: true });
  }

  /** Only inside logTx: a position taken under the lock. */
  private async nextSeq(db: Db): Promise<number> {
    return Number((await get(db, "SELECT nextval('event_positions') AS s"))!.s);
  }

  /** Only inside logTx. With `seq`, uses a position already taken (a membership span starts at it). */
  private async insertEvent(db: Db, payload: EventPayload, conversationId: string | null, targets: string[], now: string, seq?: number): Promise<StoredEvent> {
    const json = JSON.stringify(payload);
    const unique = [...new Set(targets)];
    const r = await get(db,
      `WITH e AS (INSERT INTO events (seq, type, conv_id, payload, created_at)
                  VALUES (coalesce($1, nextval('event_positions')), $2, $3, $4, $5) RETURNING seq),
            t AS (INSERT INTO event_targets (user_id, seq) SELECT u, e.seq FROM e, unnest($6::bigint[]) u)
       SELECT seq FROM e`, [seq ?? null, payload.type, conversationId, json, now, unique]);
    return { seq: Number(r!.seq), type: payload.type, conversationId, targets: unique, payload: json };
  }

  // ── users ──────────────────────────────────────────────────────────────
  async createUser(input: { username: string; displayName: string; passwordHash: string }): Promise<User> {
    const now = new Date().toISOString();
    try {
      const r = await get(this.pool, 'INSERT INTO users (username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
        [input.username, input.displayName, input.passwordHash, now]);
      return userOf(r!);
    } catch (err) {
      if (isUniqueViolation(err, 'users_username')) throw new AppError('USERNAME_TAKEN');
      throw err;
    }
  }
  async getUser(id: string): Promise<User | null> {
    const r = await get(this.pool, 'SELECT * FROM users WHERE id = $1', [key(id)]);
    return r ? userOf(r) : null;
  }
  async getUserByUsername(username: string): Promise<(User & { passwordHash: string }) | null> {
    const r = await get(this.pool, 'SELECT * FROM users WHERE lower(username) = lower($1)', [username]);
    return r ? { ...userOf(r), passwordHash: r.password_hash } : null;
  }
  async searchUsers(prefix: string, limit: number): Promise<User[]> {
    const escaped = prefix.replace(/[\\%_]/g, (c) => '\\' + c);
    return (await all(this.pool, "SELECT * FROM users WHERE lower(username) LIKE lower($1) ESCAPE '\\' ORDER BY lower(username) LIMIT $2", [escaped + '%', limit])).map((r) => userOf(r));
  }
  async listUsers(limit: number, offset: number): Promise<User[]> {
    return (await all(this.pool, 'SELECT * FROM users ORDER BY id LIMIT $1 OFFSET $2', [limit, offset])).map((r) => userOf(r));
  }
  async setPassword(userId: string, passwordHash: string): Promise<boolean> {
    return ((await this.pool.query('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, key(userId)])).rowCount ?? 0) > 0;
  }

  async setDisplayName(userId: string, displayName: string): Promise<User | null> {
    const r = await get(this.pool, 'UPDATE users SET display_name = $1 WHERE id = $2 RETURNING *', [displayName, key(userId)]);
    return r ? userOf(r) : null;
  }

  async deleteUser(userId: string): Promise<StoredEvent[]> {
    if (!/^\d{1,18}$/.test(userId)) return [];
    // Under the log lock: it writes an event.
    return this.logTx(async (db) => {
      if (!(await get(db, 'SELECT 1 FROM users WHERE id = $1', [userId]))) return [];
      await db.query("DELETE FROM events WHERE type = 'message.created' AND (payload::jsonb -> 'message' ->> 'senderId') = $1", [userId]);
      await db.query('DELETE FROM event_targets WHERE user_id = $1', [userId]);
      // Cascades: tokens, friendships, requests, memberships, messages, read pointers.
      await db.query('DELETE FROM users WHERE id = $1', [userId]);
      return [await this.insertEvent(db, { type: 'user.deleted', userId }, null, [], new Date().toISOString())];
    });
  }

  async createAuthToken(i: { tokenHash: string; userId: string; kind: 'session' | 'bearer'; csrfToken: string | null; expiresAt: number; createdAt?: number; userAgent?: string | null; ip?: string | null }): Promise<void> {
    const at = i.createdAt ?? Date.now();
    await this.pool.query('INSERT INTO auth_tokens (token_hash, user_id, kind, csrf_token, expires_at, created_at, last_used_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)',
      [i.tokenHash, i.userId, i.kind, i.csrfToken, i.expiresAt, at, i.userAgent ?? null, i.ip ?? null]);
  }
  async getAuthToken(tokenHash: string) {
    const r = await get(this.pool, 'SELECT * FROM auth_tokens WHERE token_hash = $1', [tokenHash]);
    return r ? { userId: String(r.user_id), kind: r.kind as 'session' | 'bearer', csrfToken: r.csrf_token as string | null, expiresAt: Number(r.expires_at), lastUsedAt: numOrNull(r.last_used_at) } : null;
  }
  async touchAuthToken(tokenHash: string, at: number): Promise<void> {
    await this.pool.query('UPDATE auth_tokens SET last_used_at = $1 WHERE token_hash = $2', [at, tokenHash]);
  }
  async listAuthTokens(userId: string): Promise<AuthTokenInfo[]> {
    return (await all(this.pool, 'SELECT * FROM auth_tokens WHERE user_id = $1 ORDER BY created_at NULLS FIRST, token_hash COLLATE "C"', [key(userId)])).map(tokenInfoOf);
  }
  async deleteAuthToken(tokenHash: string, reason: RevokeReason): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      const r = await get(db, 'DELETE FROM auth_tokens WHERE token_hash = $1 RETURNING user_id', [tokenHash]);
      if (!r) return [];
      return [await this.insertEvent(db, { type: 'auth.revoked', userId: String(r.user_id), tokenHash, reason }, null, [], new Date().toISOString())];
    });
  }
  async deleteAuthTokensOfUser(userId: string, reason: RevokeReason, exceptTokenHash?: string): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      const now = new Date().toISOString();
      const gone = await all(db, `WITH d AS (DELETE FROM auth_tokens WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2 RETURNING token_hash, created_at)
        SELECT token_hash FROM d ORDER BY created_at NULLS FIRST, token_hash COLLATE "C"`, [key(userId), exceptTokenHash ?? null]);
      if (gone.length === 0) return [];
      if (exceptTokenHash === undefined) return [await this.insertEvent(db, { type: 'auth.revoked', userId, tokenHash: null, reason }, null, [], now)];
      const out: StoredEvent[] = [];
      for (const r of gone) out.push(await this.insertEvent(db, { type: 'auth.revoked', userId, tokenHash: r.token_hash, reason }, null, [], now));
      return out;
    });
  }
  async probeWrite(): Promise<void> {
    await this.pool.query("INSERT INTO meta (key, value) VALUES ('probe', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [new Date().toISOString()]);
  }

  // ── friends ────────────────────────────────────────────────────────────
  private async friends(db: Db, a: string, b: string): Promise<boolean> {
    const [x, y] = pair(key(a), key(b));
    return !!(await get(db, 'SELECT 1 FROM friendships WHERE user_a = $1 AND user_b = $2', [x, y]));
  }
  private async accept(db: Db, req: Row, now: string): Promise<StoredEvent[]> {
    await db.query("UPDATE friend_requests SET status = 'accepted' WHERE id = $1", [req.id]);
    const [x, y] = pair(String(req.from_id), String(req.to_id));
    await db.query('INSERT INTO friendships (user_a, user_b, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [x, y, now]);
    const from = userOf(req, 'f_');
    const to = userOf(req, 't_');
    return [await this.insertEvent(db, { type: 'friend.accepted', requestId: String(req.id), users: [from, to] }, null, [from.id, to.id], now)];
  }

  async requestFriendship(fromId: string, toId: string, now: string): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      if (fromId === toId) throw new AppError('INVALID_OPERATION', 'You cannot befriend yourself.');
      if (!(await get(db, 'SELECT 1 FROM users WHERE id = $1', [key(toId)]))) throw new AppError('USER_NOT_FOUND');
      if (await this.friends(db, fromId, toId)) throw new AppError('ALREADY_FRIENDS');
      const pending = `${REQUEST_SELECT} WHERE r.from_id = $1 AND r.to_id = $2 AND r.status = 'pending'`;
      const reverse = await get(db, pending, [key(toId), key(fromId)]);
      if (reverse) return this.accept(db, reverse, now);
      if (await get(db, pending, [key(fromId), key(toId)])) throw new AppError('FRIEND_REQUEST_EXISTS');
      const id = (await get(db, 'INSERT INTO friend_requests (from_id, to_id, created_at) VALUES ($1, $2, $3) RETURNING id', [fromId, toId, now]))!.id;
      const request = requestOf((await get(db, `${REQUEST_SELECT} WHERE r.id = $1`, [id]))!);
      return [await this.insertEvent(db, { type: 'friend.requested', request }, null, [fromId, toId], now)];
    });
  }

  async answerFriendRequest(requestId: string, userId: string, accept: boolean, now: string): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      const req = await get(db, `${REQUEST_SELECT} WHERE r.id = $1 AND r.to_id = $2 AND r.status = 'pending'`, [key(requestId), key(userId)]);
      if (!req) throw new AppError('FRIEND_REQUEST_NOT_FOUND');
      if (accept) return this.accept(db, req, now);
      await db.query("UPDATE friend_requests SET status = 'declined' WHERE id = $1", [req.id]);
      const [fromId, toId] = [String(req.from_id), String(req.to_id)];
      return [await this.insertEvent(db, { type: 'friend.declined', requestId: String(req.id), fromId, toId }, null, [fromId, toId], now)];
    });
  }

  async removeFriendship(userId: string, friendId: string): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      const [x, y] = pair(key(userId), key(friendId));
      if (((await db.query('DELETE FROM friendships WHERE user_a = $1 AND user_b = $2', [x, y])).rowCount ?? 0) === 0) throw new AppError('USER_NOT_FOUND', 'That user is not your friend.');
      return [await this.insertEvent(db, { type: 'friend.removed', userIds: [userId, friendId] }, null, [userId, friendId], new Date().toISOString())];
    });
  }

  async areFriends(a: string, b: string): Promise<boolean> {
    return this.friends(this.pool, a, b);
  }
  async listFriends(userId: string): Promise<User[]> {
    return (await all(this.pool,
      `SELECT u.* FROM friendships f JOIN users u ON u.id = CASE WHEN f.user_a = $1 THEN f.user_b ELSE f.user_a END
       WHERE f.user_a = $1 OR f.user_b = $1 ORDER BY lower(u.username)`, [key(userId)])).map((r) => userOf(r));
  }
  async listFriendRequests(userId: string): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }> {
    const rows = await all(this.pool, `${REQUEST_SELECT} WHERE (r.to_id = $1 OR r.from_id = $1) AND r.status = 'pending' ORDER BY r.id`, [key(userId)]);
    return {
      incoming: rows.filter((r) => String(r.to_id) === userId).map(requestOf),
      outgoing: rows.filter((r) => String(r.from_id) === userId).map(requestOf),
    };
  }

  // ── conversations ──────────────────────────────────────────────────────
  private async detail(db: Db, convId: string): Promise<ConversationDetail | null> {
    const r = await get(db, 'SELECT * FROM conversations WHERE id = $1', [convId]);
    if (!r) return null;
    const members = (await all(db, MEMBERS_SQL, [convId])).map(memberOf);
    return { ...conversationOf(r), members, memberCount: members.length };
  }
  /** A new member starts with everything before joining marked read. */
  private async insertMembership(db: Db, convId: string, userId: string, role: 'owner' | 'member', seq: number): Promise<void> {
    await db.query(
      `WITH m AS (INSERT INTO memberships (conv_id, user_id, role, joined_seq) VALUES ($1, $2, $3, $4))
       INSERT INTO read_pointers (user_id, conv_id, message_id)
       VALUES ($2, $1, (SELECT coalesce(max(id), 0) FROM messages WHERE conv_id = $1))
       ON CONFLICT (user_id, conv_id) DO UPDATE SET message_id = excluded.message_id`, [convId, userId, role, seq]);
  }

  async getOrCreateDirect(a: string, b: string, now: string): Promise<{ conversation: Conversation; events: StoredEvent[] }> {
    const [x, y] = pair(a, b);
    const directKey = `${x}:${y}`;
    const find = 'SELECT * FROM conversations WHERE direct_key = $1';
    // Almost always it exists: answer without queueing for the log lock.
    const existing = await get(this.pool, find, [directKey]);
    if (existing) return { conversation: conversationOf(existing), events: [] };
    return this.logTx(async (db) => {
      const made = await get(db, find, [directKey]); // by another node while we waited for the lock
      if (made) return { conversation: conversationOf(made), events: [] as StoredEvent[] };
      const row = (await get(db, "INSERT INTO conversations (kind, name, owner_id, direct_key, created_at) VALUES ('direct', NULL, NULL, $1, $2) RETURNING *", [directKey, now]))!;
      const id = String(row.id);
      const seq = await this.nextSeq(db);
      await this.insertMembership(db, id, a, 'member', seq);
      await this.insertMembership(db, id, b, 'member', seq);
      const conversation = (await this.detail(db, id))!;
      const event = await this.insertEvent(db, { type: 'conversation.created', conversation }, id, [], now, seq);
      return { conversation: conversationOf(row), events: [event] };
    });
  }

  async createConversation(input: { kind: 'group' | 'room'; name: string; ownerId: string | null; memberIds: string[]; now: string }): Promise<{ conversation: ConversationDetail; events: StoredEvent[] }> {
    return this.logTx(async (db) => {
      if (input.kind === 'room' && (await get(db, "SELECT 1 FROM conversations WHERE kind = 'room' AND name = $1", [input.name]))) throw new AppError('NAME_TAKEN');
      const id = String((await get(db, 'INSERT INTO conversations (kind, name, owner_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id', [input.kind, input.name, input.ownerId, input.now]))!.id);
      const seq = await this.nextSeq(db);
      const ids = [...new Set([...(input.ownerId ? [input.ownerId] : []), ...input.memberIds])];
      for (const uid of ids) {
        if (!(await get(db, 'SELECT 1 FROM users WHERE id = $1', [key(uid)]))) throw new AppError('USER_NOT_FOUND');
        await this.insertMembership(db, id, uid, uid === input.ownerId ? 'owner' : 'member', seq);
      }
      const conversation = (await this.detail(db, id))!;
      const event = await this.insertEvent(db, { type: 'conversation.created', conversation }, id, [], input.now, seq);
      return { conversation, events: [event] };
    });
  }

  async getConversation(id: string): Promise<ConversationDetail | null> {
    return this.detail(this.pool, key(id));
  }
  async getRoomByName(name: string): Promise<Conversation | null> {
    const r = await get(this.pool, "SELECT * FROM conversations WHERE kind = 'room' AND name = $1", [name]);
    return r ? conversationOf(r) : null;
  }
  async listRooms() {
    return (await all(this.pool,
      `SELECT c.*, (SELECT count(*) FROM memberships m WHERE m.conv_id = c.id AND m.left_seq IS NULL) AS member_count,
              (SELECT max(created_at) FROM messages x WHERE x.conv_id = c.id) AS last_at
       FROM conversations c WHERE c.kind = 'room' ORDER BY c.name`,
    )).map((r) => ({ ...conversationOf(r), memberCount: Number(r.member_count), lastMessageAt: (r.last_at as string | null) ?? null }));
  }
  async renameConversation(id: string, name: string, by: string): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      const r = await get(db, 'UPDATE conversations SET name = $1 WHERE id = $2 RETURNING *', [name, key(id)]);
      if (!r) throw new AppError('CONVERSATION_NOT_FOUND');
      void by;
      return [await this.insertEvent(db, { type: 'conversation.updated', conversation: conversationOf(r) }, id, [], new Date().toISOString())];
    });
  }
  async getMember(conversationId: string, userId: string): Promise<Member | null> {
    const r = await get(this.pool,
      `SELECT u.id, u.username, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.conv_id = $1 AND m.user_id = $2 AND m.left_seq IS NULL`, [key(conversationId), key(userId)]);
    return r ? memberOf(r) : null;
  }
  async addMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      const [conv, uid] = [key(conversationId), key(userId)];
      if (!(await get(db, 'SELECT 1 FROM conversations WHERE id = $1', [conv]))) throw new AppError('CONVERSATION_NOT_FOUND');
      if (await get(db, 'SELECT 1 FROM memberships WHERE conv_id = $1 AND user_id = $2 AND left_seq IS NULL', [conv, uid])) throw new AppError('ALREADY_MEMBER');
      const u = await get(db, 'SELECT * FROM users WHERE id = $1', [uid]);
      if (!u) throw new AppError('USER_NOT_FOUND');
      const seq = await this.nextSeq(db);
      await this.insertMembership(db, conv, uid, 'member', seq);
      const member: Member = { id: String(u.id), username: u.username, displayName: u.display_name, role: 'member' };
      return [await this.insertEvent(db, { type: 'member.joined', conversationId, member, by }, conversationId, [], new Date().toISOString(), seq)];
    });
  }
  async removeMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      const [convKey, uid] = [key(conversationId), key(userId)];
      const conv = await get(db, 'SELECT * FROM conversations WHERE id = $1', [convKey]);
      if (!conv) throw new AppError('CONVERSATION_NOT_FOUND');
      const m = await get(db, 'SELECT * FROM memberships WHERE conv_id = $1 AND user_id = $2 AND left_seq IS NULL', [convKey, uid]);
      if (!m) throw new AppError('NOT_A_MEMBER');
      const seq = await this.nextSeq(db);
      await db.query('UPDATE memberships SET left_seq = $1 WHERE id = $2', [seq, m.id]);
      let newOwnerId: string | undefined;
      if (conv.kind === 'group' && String(conv.owner_id) === userId) {
        const heir = await get(db, 'SELECT * FROM memberships WHERE conv_id = $1 AND left_seq IS NULL ORDER BY joined_seq, id LIMIT 1', [convKey]);
        if (heir) {
          newOwnerId = String(heir.user_id);
          await db.query("UPDATE memberships SET role = 'owner' WHERE id = $1", [heir.id]);
        }
        await db.query('UPDATE conversations SET owner_id = $1 WHERE id = $2', [newOwnerId ?? null, convKey]);
      }
      const payload: EventPayload = { type: 'member.left', conversationId, userId, by };
      if (newOwnerId) payload.newOwnerId = newOwnerId;
      return [await this.insertEvent(db, payload, conversationId, [], new Date().toISOString(), seq)];
    });
  }

  async listConversationsOf(userId: string): Promise<ConversationSummary[]> {
    const rows = await all(this.pool,
      `SELECT c.*, rp.message_id AS last_read,
         (SELECT count(*) FROM memberships m2 WHERE m2.conv_id = c.id AND m2.left_seq IS NULL) AS member_count,
         (SELECT count(*) FROM messages x WHERE x.conv_id = c.id AND x.id > coalesce(rp.message_id, 0) AND x.sender_id <> $1) AS unread,
         lm.id AS lm_id, lm.conv_id AS lm_conv_id, lm.sender_id AS lm_sender_id, lm.sender_name AS lm_sender_name,
         lm.body AS lm_body, lm.client_msg_id AS lm_client_msg_id, lm.created_at AS lm_created_at,
         p.id AS peer_id, p.username AS peer_username, p.display_name AS peer_display_name
       FROM memberships m JOIN conversations c ON c.id = m.conv_id
       LEFT JOIN read_pointers rp ON rp.user_id = m.user_id AND rp.conv_id = c.id
       LEFT JOIN LATERAL (SELECT * FROM messages x WHERE x.conv_id = c.id ORDER BY x.id DESC LIMIT 1) lm ON true
       LEFT JOIN LATERAL (SELECT u.* FROM memberships m3 JOIN users u ON u.id = m3.user_id
                          WHERE c.kind = 'direct' AND m3.conv_id = c.id AND m3.user_id <> $1 AND m3.left_seq IS NULL LIMIT 1) p ON true
       WHERE m.user_id = $1 AND m.left_seq IS NULL`, [key(userId)]);
    const out = rows.map((r): ConversationSummary => {
      const s: ConversationSummary = {
        ...conversationOf(r), memberCount: Number(r.member_count), unread: Number(r.unread),
        lastMessage: r.lm_id == null ? null : messageOf(r, 'lm_'),
        lastReadMessageId: r.last_read == null || Number(r.last_read) === 0 ? null : String(r.last_read),
      };
      if (r.kind === 'direct' && r.peer_id != null) s.peer = { id: String(r.peer_id), username: r.peer_username, displayName: r.peer_display_name };
      return s;
    });
    return out.sort((x, y) => (y.lastMessage?.createdAt ?? y.createdAt).localeCompare(x.lastMessage?.createdAt ?? x.createdAt));
  }

  async conversationIdsOf(userId: string, kinds: readonly ConversationKind[]): Promise<string[]> {
    if (kinds.length === 0) return [];
    const rows = await all(this.pool,
      `SELECT m.conv_id FROM memberships m JOIN conversations c ON c.id = m.conv_id
       WHERE m.user_id = $1 AND m.left_seq IS NULL AND c.kind = ANY($2::text[]) ORDER BY m.conv_id`, [userId, [...kinds]]);
    return rows.map((r) => String(r.conv_id));
  }

  async membershipSpans(conversationId: string): Promise<MembershipSpan[]> {
    return (await all(this.pool, 'SELECT user_id, joined_seq, left_seq FROM memberships WHERE conv_id = $1 ORDER BY id', [key(conversationId)]))
      .map((r) => ({ userId: String(r.user_id), joinedSeq: Number(r.joined_seq), leftSeq: r.left_seq == null ? null : Number(r.left_seq) }));
  }

  // ── messages ───────────────────────────────────────────────────────────
  async appendMessage(input: AppendInput): Promise<AppendResult> {
    // Before the lock: the retry check and the sender's name need no ordering.
    const pre = await getPrepared(this.pool, 'hubbub_append_check',
      'SELECT u.display_name, d.* FROM users u LEFT JOIN messages d ON d.sender_id = u.id AND d.client_msg_id = $2 WHERE u.id = $1',
      [key(input.senderId), input.clientMsgId]);
    if (pre?.id != null) return { message: messageOf(pre), events: [], duplicate: true };
    if (!pre) throw new AppError('USER_NOT_FOUND');
    return new Promise((resolve, reject) => {
      this.appendQueue.push({ input, senderName: pre.display_name, resolve, reject });
      this.appending ??= this.drainAppends();
    });
  }

  /**
   * Group commit: one batch of appends at a time per node holds the log lock,
   * while the next batch gathers, so one lock hold and one WAL flush carry
   * many messages. A batch that fails is retried one append at a time, so
   * only the bad append fails.
   */
  private async drainAppends(): Promise<void> {
    try {
      while (this.appendQueue.length > 0) {
        const batch = this.appendQueue.splice(0, MAX_APPEND_BATCH);
        try {
          const results = await this.appendBatch(batch);
          batch.forEach((p, i) => p.resolve(results[i]!));
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          else for (const p of batch) await this.appendBatch([p]).then(([r]) => p.resolve(r!), p.reject);
        }
      }
    } finally {
      this.appending = null;
    }
  }

  private appendBatch(batch: PendingAppend[]): Promise<AppendResult[]> {
    // Lock and ids in BEGIN's round trip; message ids are taken with positions, so they follow seq order too.
    const alloc = `SELECT nextval('messages_id_seq') AS id, nextval('event_positions') AS seq FROM generate_series(1, ${batch.length})`;
    return this.tx(async (db, rows) => {
      // Paired in ascending order whatever order the rows came in.
      const ids = rows.map((r) => Number(r.id)).sort((x, y) => x - y);
      const seqs = rows.map((r) => Number(r.seq)).sort((x, y) => x - y);
      const planned = batch.map(({ input, senderName }, i) => {
        const message: Message = { id: String(ids[i]), conversationId: input.conversationId, senderId: input.senderId, senderName, body: input.body, createdAt: input.now };
        if (input.clientMsgId != null) message.clientMsgId = input.clientMsgId;
        return { message, seq: seqs[i]!, payload: JSON.stringify({ type: 'message.created', message } satisfies EventPayload) };
      });
      const column = <T>(f: (p: (typeof planned)[number]) => T) => planned.map(f);
      const inserted = new Set((await db.query({
        name: 'hubbub_append_batch',
        text: `WITH input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[])
                              AS t(id, conv_id, sender_id, sender_name, body, client_msg_id, created_at, seq, payload)),
                    m AS (INSERT INTO messages (id, conv_id, sender_id, sender_name, body, client_msg_id, created_at)
                          SELECT id, conv_id, sender_id, sender_name, body, client_msg_id, created_at FROM input ORDER BY id
                          ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING RETURNING id),
                    rp AS (INSERT INTO read_pointers (user_id, conv_id, message_id)
                           SELECT i.sender_id, i.conv_id, max(i.id) FROM input i JOIN m ON m.id = i.id GROUP BY i.sender_id, i.conv_id
                           ON CONFLICT (user_id, conv_id) DO UPDATE SET message_id = GREATEST(read_pointers.message_id, excluded.message_id)),
                    e AS (INSERT INTO events (seq, type, conv_id, payload, created_at)
                          SELECT i.seq, 'message.created', i.conv_id, i.payload, i.created_at FROM input i JOIN m ON m.id = i.id)
               SELECT id FROM m`,
        values: [column((p) => p.message.id), column((p) => p.message.conversationId), column((p) => p.message.senderId), column((p) => p.message.senderName),
          column((p) => p.message.body), column((p) => p.message.clientMsgId ?? null), column((p) => p.message.createdAt), column((p) => p.seq), column((p) => p.payload)],
      })).rows.map((r) => String(r.id)));
      const results: AppendResult[] = [];
      for (const p of planned) {
        if (inserted.has(p.message.id)) {
          results.push({ message: p.message, events: [{ seq: p.seq, type: 'message.created', conversationId: p.message.conversationId, targets: [], payload: p.payload }], duplicate: false });
        } else {
          // The same clientMsgId committed since our check, or earlier in this batch: answer with the stored one.
          const dup = await get(db, 'SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2', [p.message.senderId, p.message.clientMsgId]);
          results.push({ message: messageOf(dup!), events: [], duplicate: true });
        }
      }
      return results;
    }, { lockLog: true, first: alloc });
  }

  async listMessages(conversationId: string, before: string | null, limit: number): Promise<Message[]> {
    const conv = key(conversationId);
    const rows = before == null
      ? await all(this.pool, 'SELECT * FROM messages WHERE conv_id = $1 ORDER BY id DESC LIMIT $2', [conv, limit])
      : await all(this.pool, 'SELECT * FROM messages WHERE conv_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3', [conv, key(before), limit]);
    return rows.reverse().map((r) => messageOf(r));
  }

  async markRead(userId: string, conversationId: string, upTo: string): Promise<StoredEvent[]> {
    return this.logTx(async (db) => {
      const [uid, conv] = [key(userId), key(conversationId)];
      const msg = await get(db, 'SELECT id FROM messages WHERE id = $1 AND conv_id = $2', [key(upTo), conv]);
      if (!msg) throw new AppError('MESSAGE_NOT_FOUND');
      const cur = await get(db, 'SELECT message_id FROM read_pointers WHERE user_id = $1 AND conv_id = $2', [uid, conv]);
      if (cur && Number(cur.message_id) >= Number(upTo)) return [];
      await db.query(
        `INSERT INTO read_pointers (user_id, conv_id, message_id) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, conv_id) DO UPDATE SET message_id = excluded.message_id`, [uid, conv, msg.id]);
      return [await this.insertEvent(db, { type: 'read.updated', conversationId, userId, upTo: String(msg.id) }, null, [userId], new Date().toISOString())];
    });
  }

  // ── the log ────────────────────────────────────────────────────────────
  async headSeq(): Promise<number> {
    // max(seq) is safe to read: positions commit in order (see the class comment). After pruning everything, the floor is the head.
    const r = await get(this.pool, "SELECT coalesce((SELECT max(seq) FROM events), (SELECT value::bigint FROM meta WHERE key = 'pruned_through'), 0) AS s");
    return Number(r!.s);
  }
  async floorSeq(): Promise<number> {
    const r = await get(this.pool, "SELECT value FROM meta WHERE key = 'pruned_through'");
    return r ? Number(r.value) : 0;
  }
  async readEvents(after: number, limit: number): Promise<StoredEvent[]> {
    // One statement, so events and their targets come from one snapshot.
    return (await all(this.pool,
      `SELECT e.seq, e.type, e.conv_id, e.payload,
              coalesce((SELECT array_agg(t.user_id::text ORDER BY t.user_id) FROM event_targets t WHERE t.seq = e.seq), '{}') AS targets
       FROM events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`, [after, limit])).map(eventOf);
  }
  async readUserEvents(userId: string, after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    return (await all(this.pool,
      `SELECT e.seq, e.type, e.conv_id, e.payload FROM memberships m
         JOIN events e ON e.conv_id = m.conv_id AND e.seq >= m.joined_seq AND (m.left_seq IS NULL OR e.seq <= m.left_seq)
         WHERE m.user_id = $1 AND e.seq > $2 AND e.seq <= $3
       UNION
       SELECT e.seq, e.type, e.conv_id, e.payload FROM event_targets t JOIN events e ON e.seq = t.seq
         WHERE t.user_id = $1 AND t.seq > $2 AND t.seq <= $3
       ORDER BY 1 LIMIT $4`, [key(userId), after, upTo, limit])).map((r) => ({ ...eventOf(r), targets: [] }));
  }
  async pruneEvents(beforeSeq: number): Promise<number> {
    return this.tx(async (db) => {
      const n = (await db.query('DELETE FROM events WHERE seq <= $1', [beforeSeq])).rowCount ?? 0;
      await db.query('DELETE FROM event_targets WHERE seq <= $1', [beforeSeq]);
      await db.query(
        `INSERT INTO meta (key, value) VALUES ('pruned_through', $1)
         ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value::bigint, excluded.value::bigint)::text`, [String(beforeSeq)]);
      return n;
    });
  }
}
