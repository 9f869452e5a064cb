import { AppError } from '../domain/errors.js';
import { idOrNone } from '../domain/ids.js';
import type { StoredEvent, User } from '../domain/types.js';
import { type TokenRow, type UserRow, authTokenOf, tokenInfoOf, userOf } from './rows.js';
import { SQL } from './sql.js';
import type { SqliteDb } from './sqlite-db.js';
import type { AuthTokenInfo, RevokeReason, Store } from './store.js';

/** The accounts half of SqliteStore: users and their credentials (sqlite.ts has the rest). */
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
      return { id: String(id), username: input.username, displayName: input.displayName, createdAt: now };
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
      this.d.run("DELETE FROM events WHERE type = 'message.created' AND json_extract(payload, '$.message.senderId') = ?", userId);
      this.d.run(SQL.deleteTargetsOfUser, userId);
      // Cascades: tokens, friendships, requests, memberships, messages, read pointers.
      this.d.run(SQL.deleteUser, userId);
      return [this.d.insertEvent({ type: 'user.deleted', userId }, null, [], new Date().toISOString())];
    });
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
