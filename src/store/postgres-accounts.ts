import { AppError } from '../domain/errors.js';
import { idOrNone, isId } from '../domain/ids.js';
import type { StoredEvent, User } from '../domain/types.js';
import { type PgDb, all, get, isUniqueViolation } from './postgres-db.js';
import { type TokenRow, type UserRow, authTokenOf, tokenInfoOf, userOf } from './rows.js';
import { PG_SQL } from './sql.js';
import type { AuthTokenInfo, RevokeReason, Store } from './store.js';

/** The accounts half of PostgresStore: users and their credentials (postgres.ts has the rest). */
export abstract class PostgresAccounts {
  constructor(protected readonly p: PgDb) {}

  // ── users ──────────────────────────────────────────────────────────────
  async createUser(input: { username: string; displayName: string; passwordHash: string }): Promise<User> {
    const now = new Date().toISOString();
    try {
      const r = await get<UserRow>(
        this.p.pool,
        'INSERT INTO users (username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
        [input.username, input.displayName, input.passwordHash, now],
      );
      return userOf(r!);
    } catch (err) {
      if (isUniqueViolation(err, 'users_username')) throw new AppError('USERNAME_TAKEN');
      throw err;
    }
  }
  async getUser(id: string): Promise<User | null> {
    const r = await get<UserRow>(this.p.pool, PG_SQL.userById, [idOrNone(id)]);
    return r ? userOf(r) : null;
  }
  async getUserByUsername(username: string): Promise<(User & { passwordHash: string }) | null> {
    // The counterpart of SQLite's COLLATE NOCASE (an index on lower(username)).
    const r = await get<UserRow>(this.p.pool, 'SELECT * FROM users WHERE lower(username) = lower($1)', [username]);
    return r ? { ...userOf(r), passwordHash: r.password_hash } : null;
  }
  async searchUsers(prefix: string, limit: number): Promise<User[]> {
    const escaped = prefix.replace(/[\\%_]/g, (c) => '\\' + c);
    return (
      await all<UserRow>(
        this.p.pool,
        "SELECT * FROM users WHERE lower(username) LIKE lower($1) ESCAPE '\\' ORDER BY lower(username) LIMIT $2",
        [escaped + '%', limit],
      )
    ).map(userOf);
  }
  async listUsers(limit: number, offset: number): Promise<User[]> {
    return (await all<UserRow>(this.p.pool, PG_SQL.usersPage, [limit, offset])).map(userOf);
  }
  async setPassword(userId: string, passwordHash: string): Promise<boolean> {
    return ((await this.p.pool.query(PG_SQL.setPassword, [passwordHash, idOrNone(userId)])).rowCount ?? 0) > 0;
  }
  async setDisplayName(userId: string, displayName: string): Promise<User | null> {
    const r = await get<UserRow>(this.p.pool, `${PG_SQL.setDisplayName} RETURNING *`, [displayName, idOrNone(userId)]);
    return r ? userOf(r) : null;
  }
  async deleteUser(userId: string): Promise<StoredEvent[]> {
    if (!isId(userId)) return [];
    // Under the log lock: it writes an event.
    return this.p.logTx(async (db) => {
      if (!(await get(db, PG_SQL.userExists, [userId]))) return [];
      await db.query("DELETE FROM events WHERE type = 'message.created' AND (payload::jsonb -> 'message' ->> 'senderId') = $1", [userId]);
      await db.query(PG_SQL.deleteTargetsOfUser, [userId]);
      // Cascades: tokens, friendships, requests, memberships, messages, read pointers.
      await db.query(PG_SQL.deleteUser, [userId]);
      return [await this.p.insertEvent(db, { type: 'user.deleted', userId }, null, [], new Date().toISOString())];
    });
  }

  // ── credentials ────────────────────────────────────────────────────────
  async createAuthToken(i: Parameters<Store['createAuthToken']>[0]): Promise<void> {
    const at = i.createdAt ?? Date.now();
    await this.p.pool.query(PG_SQL.insertToken, [
      i.tokenHash,
      i.userId,
      i.kind,
      i.csrfToken,
      i.expiresAt,
      at,
      at,
      i.userAgent ?? null,
      i.ip ?? null,
    ]);
  }
  async getAuthToken(tokenHash: string) {
    const r = await get<TokenRow>(this.p.pool, PG_SQL.tokenByHash, [tokenHash]);
    return r ? authTokenOf(r) : null;
  }
  async touchAuthToken(tokenHash: string, at: number): Promise<void> {
    await this.p.pool.query(PG_SQL.touchToken, [at, tokenHash]);
  }
  async listAuthTokens(userId: string): Promise<AuthTokenInfo[]> {
    return (
      await all<TokenRow>(
        this.p.pool,
        'SELECT * FROM auth_tokens WHERE user_id = $1 ORDER BY created_at NULLS FIRST, token_hash COLLATE "C"',
        [idOrNone(userId)],
      )
    ).map(tokenInfoOf);
  }
  async deleteAuthToken(tokenHash: string, reason: RevokeReason): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const r = await get<TokenRow>(db, `${PG_SQL.deleteToken} RETURNING user_id`, [tokenHash]);
      if (!r) return [];
      return [
        await this.p.insertEvent(
          db,
          { type: 'auth.revoked', userId: String(r.user_id), tokenHash, reason },
          null,
          [],
          new Date().toISOString(),
        ),
      ];
    });
  }
  async deleteAuthTokensOfUser(userId: string, reason: RevokeReason, exceptTokenHash?: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const now = new Date().toISOString();
      const gone = await all<TokenRow>(
        db,
        `WITH d AS (DELETE FROM auth_tokens WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2 RETURNING token_hash, created_at)
        SELECT token_hash FROM d ORDER BY created_at NULLS FIRST, token_hash COLLATE "C"`,
        [idOrNone(userId), exceptTokenHash ?? null],
      );
      if (gone.length === 0) return [];
      if (exceptTokenHash === undefined)
        return [await this.p.insertEvent(db, { type: 'auth.revoked', userId, tokenHash: null, reason }, null, [], now)];
      const out: StoredEvent[] = [];
      for (const r of gone)
        out.push(await this.p.insertEvent(db, { type: 'auth.revoked', userId, tokenHash: r.token_hash, reason }, null, [], now));
      return out;
    });
  }
  async probeWrite(): Promise<void> {
    await this.p.pool.query(PG_SQL.probe, [new Date().toISOString()]);
  }
}
