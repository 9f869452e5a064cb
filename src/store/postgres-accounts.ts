import { AppError } from '../domain/errors.js';
import { decideAnswer, decideFriendRequest, decideUnfriend } from '../domain/friendship.js';
import { idOrNone, isId, orderedPair } from '../domain/ids.js';
import { redactPayload } from '../domain/messages.js';
import type { FriendRequest, ServerRole, StoredEvent, User, UserSettings } from '../domain/types.js';
import { type Db, type PgDb, all, exists, get, isUniqueViolation } from './postgres-db.js';
import { type Int, type RequestRow, type TokenRow, type UserRow, authTokenOf, requestOf, tokenInfoOf, truthy, userOf } from './rows.js';
import { PG_SQL } from './sql.js';
import type { AuthTokenInfo, RevokeReason, Store } from './store.js';

/** The accounts part of PostgresStore: users, their credentials and friendships (postgres.ts has the rest). */
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
  async setUserRole(userId: string, role: ServerRole): Promise<User | null> {
    const r = await get<UserRow>(this.p.pool, `${PG_SQL.setUserRole} RETURNING *`, [role, idOrNone(userId)]);
    return r ? userOf(r) : null;
  }
  async getSettings(userId: string): Promise<UserSettings | null> {
    const r = await get<{ hide_read_receipts: boolean }>(this.p.pool, PG_SQL.settings, [idOrNone(userId)]);
    return r ? { hideReadReceipts: truthy(r.hide_read_receipts) } : null;
  }
  async setSettings(userId: string, patch: Partial<UserSettings>): Promise<UserSettings | null> {
    if (patch.hideReadReceipts !== undefined)
      await this.p.pool.query(PG_SQL.setHideReadReceipts, [patch.hideReadReceipts, idOrNone(userId)]);
    return this.getSettings(userId);
  }
  async deleteUser(userId: string): Promise<StoredEvent[]> {
    if (!isId(userId)) return [];
    // Under the log lock: it writes an event.
    return this.p.logTx(async (db) => {
      if (!(await get(db, PG_SQL.userExists, [userId]))) return [];
      // Others' replies keep their place but lose the quote of what goes; then the messages' own events go.
      for (const q of await all<{ seq: Int; payload: string; quoted: Int }>(db, PG_SQL.quotingEvents, [userId, userId])) {
        const redacted = redactPayload(q.payload, String(q.quoted));
        if (redacted) await db.query(PG_SQL.setEventPayload, [redacted, q.seq]);
      }
      await db.query("DELETE FROM events WHERE type = 'message.created' AND (payload::jsonb -> 'message' ->> 'senderId') = $1", [userId]);
      await db.query(PG_SQL.deleteMessageEventsOfUser, [userId, userId]);
      await db.query(PG_SQL.deleteTargetsOfUser, [userId]);
      // Cascades: tokens, friendships, requests, memberships, messages, read pointers, files (and, in PostgreSQL, index rows).
      await db.query(PG_SQL.deleteUser, [userId]);
      return [await this.p.insertEvent(db, { type: 'user.deleted', userId }, null, [], new Date().toISOString())];
    });
  }

  // ── friends ────────────────────────────────────────────────────────────
  protected friends(db: Db, a: string, b: string): Promise<boolean> {
    return exists(db, PG_SQL.friendship, orderedPair(idOrNone(a), idOrNone(b)));
  }
  private async accept(db: Db, req: RequestRow, now: string): Promise<StoredEvent[]> {
    await db.query(PG_SQL.setRequestStatus, ['accepted', req.id]);
    await db.query(PG_SQL.insertFriendship, [...orderedPair(String(req.from_id), String(req.to_id)), now]);
    const { from, to } = requestOf(req);
    return [
      await this.p.insertEvent(db, { type: 'friend.accepted', requestId: String(req.id), users: [from, to] }, null, [from.id, to.id], now),
    ];
  }
  async requestFriendship(fromId: string, toId: string, now: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const [from, to] = [idOrNone(fromId), idOrNone(toId)];
      const decision = decideFriendRequest({
        fromId,
        toId,
        targetExists: await exists(db, PG_SQL.userExists, [to]),
        friends: await this.friends(db, from, to),
        reverse: (await get<RequestRow>(db, PG_SQL.pendingRequest, [to, from])) ?? null,
        pending: await exists(db, PG_SQL.pendingRequest, [from, to]),
      });
      if (decision.do === 'accept') return this.accept(db, decision.request, now);
      const { id } = (await get<{ id: Int }>(db, PG_SQL.insertRequest, [from, to, now]))!;
      const request = requestOf((await get<RequestRow>(db, PG_SQL.requestById, [id]))!);
      return [await this.p.insertEvent(db, { type: 'friend.requested', request }, null, [fromId, toId], now)];
    });
  }
  async answerFriendRequest(requestId: string, userId: string, accept: boolean, now: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const req = await get<RequestRow>(db, PG_SQL.requestById, [idOrNone(requestId)]);
      const answer = decideAnswer(req ? { toId: String(req.to_id), status: req.status } : null, userId, accept);
      if (answer === 'accept') return this.accept(db, req!, now);
      await db.query(PG_SQL.setRequestStatus, ['declined', req!.id]);
      const [fromId, toId] = [String(req!.from_id), String(req!.to_id)];
      return [
        await this.p.insertEvent(db, { type: 'friend.declined', requestId: String(req!.id), fromId, toId }, null, [fromId, toId], now),
      ];
    });
  }
  async removeFriendship(userId: string, friendId: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      decideUnfriend(await this.friends(db, userId, friendId));
      await db.query(PG_SQL.deleteFriendship, orderedPair(idOrNone(userId), idOrNone(friendId)));
      return [
        await this.p.insertEvent(
          db,
          { type: 'friend.removed', userIds: [userId, friendId] },
          null,
          [userId, friendId],
          new Date().toISOString(),
        ),
      ];
    });
  }
  async areFriends(a: string, b: string): Promise<boolean> {
    return this.friends(this.p.pool, a, b);
  }
  async listFriends(userId: string): Promise<User[]> {
    return (
      await all<UserRow>(
        this.p.pool,
        `SELECT u.* FROM friendships f JOIN users u ON u.id = CASE WHEN f.user_a = $1 THEN f.user_b ELSE f.user_a END
       WHERE f.user_a = $1 OR f.user_b = $1 ORDER BY lower(u.username)`,
        [idOrNone(userId)],
      )
    ).map(userOf);
  }
  async listFriendRequests(userId: string): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }> {
    const rows = await all<RequestRow>(this.p.pool, PG_SQL.pendingRequestsOf, [idOrNone(userId), idOrNone(userId)]);
    return {
      incoming: rows.filter((r) => String(r.to_id) === userId).map(requestOf),
      outgoing: rows.filter((r) => String(r.from_id) === userId).map(requestOf),
    };
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
