import { AppError } from '../domain/errors.js';
import { decideAnswer, decideFriendRequest, decideUnfriend } from '../domain/friendship.js';
import { idOrNone, orderedPair } from '../domain/ids.js';
import { redactPayload } from '../domain/messages.js';
import type { FriendRequest, ServerRole, StoredEvent, User, UserSettings } from '../domain/types.js';
import { type Int, type RequestRow, type TokenRow, type UserRow, authTokenOf, requestOf, tokenInfoOf, truthy, userOf } from './rows.js';
import { SQL } from './sql.js';
import type { SqliteDb } from './sqlite-db.js';
import { unindexSender } from './sqlite-search.js';
import type { AuthTokenInfo, RevokeReason, Store } from './store.js';

/** The accounts part of SqliteStore: users, their credentials and friendships (sqlite.ts has the rest). */
export abstract class SqliteAccounts {
  constructor(protected readonly d: SqliteDb) {}

  // ── users ──────────────────────────────────────────────────────────────
  async createUser(input: { username: string; displayName: string; passwordHash: string }): Promise<User> {
    return this.d.tx(() => {
      if (this.d.exists('SELECT 1 FROM users WHERE username = ?', input.username)) throw new AppError('USERNAME_TAKEN');
      const now = new Date().toISOString();
      const id = this.d.run(
        'INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?)',
        input.username,
        input.displayName,
        input.passwordHash,
        now,
      ).lastInsertRowid;
      return { id: String(id), username: input.username, displayName: input.displayName, createdAt: now, role: 'member' };
    });
  }
  protected user(id: string): UserRow | undefined {
    return this.d.get<UserRow>(SQL.userById, idOrNone(id));
  }
  async getUser(id: string): Promise<User | null> {
    const r = this.user(id);
    return r ? userOf(r) : null;
  }
  async getUserByUsername(username: string): Promise<(User & { passwordHash: string }) | null> {
    // The column is COLLATE NOCASE: any case finds the account.
    const r = this.d.get<UserRow>('SELECT * FROM users WHERE username = ?', username);
    return r ? { ...userOf(r), passwordHash: r.password_hash } : null;
  }
  async searchUsers(prefix: string, limit: number): Promise<User[]> {
    const escaped = prefix.replace(/[\\%_]/g, (c) => '\\' + c);
    return this.d
      .all<UserRow>("SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' ORDER BY username LIMIT ?", escaped + '%', limit)
      .map(userOf);
  }
  async listUsers(limit: number, offset: number): Promise<User[]> {
    return this.d.all<UserRow>(SQL.usersPage, limit, offset).map(userOf);
  }
  async setPassword(userId: string, passwordHash: string): Promise<boolean> {
    return this.d.run(SQL.setPassword, passwordHash, idOrNone(userId)).changes > 0;
  }
  async setDisplayName(userId: string, displayName: string): Promise<User | null> {
    this.d.run(SQL.setDisplayName, displayName, idOrNone(userId));
    return this.getUser(userId);
  }
  async deleteUser(userId: string): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      if (!this.d.exists(SQL.userExists, idOrNone(userId))) return [];
      // Others' replies keep their place but lose the quote of what goes; then the messages' own events go.
      for (const q of this.d.all<{ seq: number; payload: string; quoted: number }>(SQL.quotingEvents, userId, userId)) {
        const redacted = redactPayload(q.payload, String(q.quoted));
        if (redacted) this.d.run(SQL.setEventPayload, redacted, q.seq);
      }
      this.d.run("DELETE FROM events WHERE type = 'message.created' AND json_extract(payload, '$.message.senderId') = ?", userId);
      this.d.run(SQL.deleteMessageEventsOfUser, userId, userId);
      this.d.run(SQL.deleteTargetsOfUser, userId);
      unindexSender(this.d, userId);
      // Cascades: tokens, friendships, requests, memberships, messages, read pointers, files (and, in PostgreSQL, index rows).
      this.d.run(SQL.deleteUser, userId);
      return [this.d.insertEvent({ type: 'user.deleted', userId }, null, [], new Date().toISOString())];
    });
  }

  async setUserRole(userId: string, role: ServerRole): Promise<User | null> {
    this.d.run(SQL.setUserRole, role, idOrNone(userId));
    return this.getUser(userId);
  }
  async getSettings(userId: string): Promise<UserSettings | null> {
    const r = this.d.get<{ hide_read_receipts: Int }>(SQL.settings, idOrNone(userId));
    return r ? { hideReadReceipts: truthy(r.hide_read_receipts) } : null;
  }
  async setSettings(userId: string, patch: Partial<UserSettings>): Promise<UserSettings | null> {
    if (patch.hideReadReceipts !== undefined) this.d.run(SQL.setHideReadReceipts, patch.hideReadReceipts ? 1 : 0, idOrNone(userId));
    return this.getSettings(userId);
  }

  // ── friends ────────────────────────────────────────────────────────────
  protected friends(a: string, b: string): boolean {
    return this.d.exists(SQL.friendship, ...orderedPair(idOrNone(a), idOrNone(b)));
  }
  private accept(req: RequestRow, now: string): StoredEvent[] {
    this.d.run(SQL.setRequestStatus, 'accepted', req.id);
    this.d.run(SQL.insertFriendship, ...orderedPair(String(req.from_id), String(req.to_id)), now);
    const { from, to } = requestOf(req);
    return [this.d.insertEvent({ type: 'friend.accepted', requestId: String(req.id), users: [from, to] }, null, [from.id, to.id], now)];
  }
  async requestFriendship(fromId: string, toId: string, now: string): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const [from, to] = [idOrNone(fromId), idOrNone(toId)];
      const decision = decideFriendRequest({
        fromId,
        toId,
        targetExists: this.d.exists(SQL.userExists, to),
        friends: this.friends(from, to),
        reverse: this.d.get<RequestRow>(SQL.pendingRequest, to, from) ?? null,
        pending: this.d.exists(SQL.pendingRequest, from, to),
      });
      if (decision.do === 'accept') return this.accept(decision.request, now);
      const { id } = this.d.get<{ id: Int }>(SQL.insertRequest, from, to, now)!;
      const request = requestOf(this.d.get<RequestRow>(SQL.requestById, id)!);
      return [this.d.insertEvent({ type: 'friend.requested', request }, null, [fromId, toId], now)];
    });
  }
  async answerFriendRequest(requestId: string, userId: string, accept: boolean, now: string): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const req = this.d.get<RequestRow>(SQL.requestById, idOrNone(requestId));
      const answer = decideAnswer(req ? { toId: String(req.to_id), status: req.status } : null, userId, accept);
      if (answer === 'accept') return this.accept(req!, now);
      this.d.run(SQL.setRequestStatus, 'declined', req!.id);
      const [fromId, toId] = [String(req!.from_id), String(req!.to_id)];
      return [this.d.insertEvent({ type: 'friend.declined', requestId: String(req!.id), fromId, toId }, null, [fromId, toId], now)];
    });
  }
  async removeFriendship(userId: string, friendId: string): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      decideUnfriend(this.friends(userId, friendId));
      this.d.run(SQL.deleteFriendship, ...orderedPair(idOrNone(userId), idOrNone(friendId)));
      return [
        this.d.insertEvent({ type: 'friend.removed', userIds: [userId, friendId] }, null, [userId, friendId], new Date().toISOString()),
      ];
    });
  }
  async areFriends(a: string, b: string): Promise<boolean> {
    return this.friends(a, b);
  }
  async listFriends(userId: string): Promise<User[]> {
    const id = idOrNone(userId);
    return this.d
      .all<UserRow>(
        `SELECT u.* FROM friendships f JOIN users u ON u.id = CASE WHEN f.user_a = ? THEN f.user_b ELSE f.user_a END
       WHERE f.user_a = ? OR f.user_b = ? ORDER BY u.username`,
        id,
        id,
        id,
      )
      .map(userOf);
  }
  async listFriendRequests(userId: string): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }> {
    const rows = this.d.all<RequestRow>(SQL.pendingRequestsOf, idOrNone(userId), idOrNone(userId));
    return {
      incoming: rows.filter((r) => String(r.to_id) === userId).map(requestOf),
      outgoing: rows.filter((r) => String(r.from_id) === userId).map(requestOf),
    };
  }

  // ── credentials ────────────────────────────────────────────────────────
  async createAuthToken(i: Parameters<Store['createAuthToken']>[0]): Promise<void> {
    const at = i.createdAt ?? Date.now();
    this.d.run(SQL.insertToken, i.tokenHash, i.userId, i.kind, i.csrfToken, i.expiresAt, at, at, i.userAgent ?? null, i.ip ?? null);
  }
  async getAuthToken(tokenHash: string) {
    const r = this.d.get<TokenRow>(SQL.tokenByHash, tokenHash);
    return r ? authTokenOf(r) : null;
  }
  async touchAuthToken(tokenHash: string, at: number): Promise<void> {
    this.d.run(SQL.touchToken, at, tokenHash);
  }
  async listAuthTokens(userId: string): Promise<AuthTokenInfo[]> {
    return this.d
      .all<TokenRow>('SELECT * FROM auth_tokens WHERE user_id = ? ORDER BY created_at, token_hash', idOrNone(userId))
      .map(tokenInfoOf);
  }
  async deleteAuthToken(tokenHash: string, reason: RevokeReason): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const r = this.d.get<TokenRow>(SQL.tokenByHash, tokenHash);
      if (!r) return [];
      this.d.run(SQL.deleteToken, tokenHash);
      return [
        this.d.insertEvent({ type: 'auth.revoked', userId: String(r.user_id), tokenHash, reason }, null, [], new Date().toISOString()),
      ];
    });
  }
  async deleteAuthTokensOfUser(userId: string, reason: RevokeReason, exceptTokenHash?: string): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const now = new Date().toISOString();
      if (exceptTokenHash === undefined) {
        if (this.d.run('DELETE FROM auth_tokens WHERE user_id = ?', idOrNone(userId)).changes === 0) return [];
        return [this.d.insertEvent({ type: 'auth.revoked', userId, tokenHash: null, reason }, null, [], now)];
      }
      const gone = this.d.all<TokenRow>(
        'SELECT token_hash FROM auth_tokens WHERE user_id = ? AND token_hash <> ? ORDER BY created_at, token_hash',
        idOrNone(userId),
        exceptTokenHash,
      );
      return gone.map((r) => {
        this.d.run(SQL.deleteToken, r.token_hash);
        return this.d.insertEvent({ type: 'auth.revoked', userId, tokenHash: r.token_hash, reason }, null, [], now);
      });
    });
  }
  async probeWrite(): Promise<void> {
    this.d.run(SQL.probe, new Date().toISOString());
  }
}
