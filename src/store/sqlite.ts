import Database from 'better-sqlite3';
import { AppError } from '../domain/errors.js';
import type {
  Conversation, ConversationDetail, ConversationKind, ConversationSummary, EventPayload, FriendRequest, Member,
  MembershipSpan, Message, StoredEvent, User,
} from '../domain/types.js';
import type { AuthTokenInfo, RevokeReason, Store } from './store.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';

type Row = Record<string, any>;

const userOf = (r: Row): User => ({ id: String(r.id), username: r.username, displayName: r.display_name, createdAt: r.created_at });
const messageOf = (r: Row): Message => {
  const m: Message = { id: String(r.id), conversationId: String(r.conv_id), senderId: String(r.sender_id), senderName: r.sender_name, body: r.body, createdAt: r.created_at };
  if (r.client_msg_id != null) m.clientMsgId = r.client_msg_id;
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

/**
 * Store on SQLite through better-sqlite3. Every write runs in one synchronous
 * transaction, so within this process positions commit in order and a reader
 * can never see seq N+1 before N: the log is gap-free by construction. One
 * process owns a database file (WAL lets backups and the CLI read alongside).
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(file: string, opts: { synchronous?: 'NORMAL' | 'FULL' } = {}) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (kill -9) without loss; FULL also survives power loss.
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  async migrate(): Promise<void> {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version >= SQLITE_MIGRATIONS.length) return;
    // Off for the rebuilds: with it on, dropping a referenced table deletes its rows first and
    // cascades into every table that points at it. It cannot change inside a transaction.
    this.db.pragma('foreign_keys = OFF');
    try {
      for (let v = version; v < SQLITE_MIGRATIONS.length; v++) {
        this.db.transaction(() => {
          this.db.exec(SQLITE_MIGRATIONS[v]!);
          const broken = this.db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`migration ${v + 1} would break ${broken.length} foreign key(s); nothing was changed`);
          this.db.pragma(`user_version = ${v + 1}`);
        })();
      }
    } finally {
      this.db.pragma('foreign_keys = ON');
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private tx<T>(fn: () => T): Promise<T> {
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
  private get(sql: string, ...params: unknown[]): Row | undefined {
    return this.stmt(sql).get(...params) as Row | undefined;
  }
  private all(sql: string, ...params: unknown[]): Row[] {
    return this.stmt(sql).all(...params) as Row[];
  }
  private run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.stmt(sql).run(...params);
  }

  private insertEvent(payload: EventPayload, conversationId: string | null, targets: string[], now: string): StoredEvent {
    const json = JSON.stringify(payload);
    const seq = Number(this.run('INSERT INTO events (type, conv_id, payload, created_at) VALUES (?, ?, ?, ?)', payload.type, conversationId, json, now).lastInsertRowid);
    const unique = [...new Set(targets)];
    for (const t of unique) this.run('INSERT INTO event_targets (user_id, seq) VALUES (?, ?)', t, seq);
    return { seq, type: payload.type, conversationId, targets: unique, payload: json };
  }

  /** Inserts the event first so the membership span can start at its position. */
  private nextSeq(): number {
    return Number(this.get("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS s")!.s) + 1;
  }

  // ── users ──────────────────────────────────────────────────────────────
  async createUser(input: { username: string; displayName: string; passwordHash: string }): Promise<User> {
    return this.tx(() => {
      if (this.get('SELECT 1 FROM users WHERE username = ?', input.username)) throw new AppError('USERNAME_TAKEN');
      const now = new Date().toISOString();
      const id = this.run('INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?)', input.username, input.displayName, input.passwordHash, now).lastInsertRowid;
      return { id: String(id), username: input.username, displayName: input.displayName, createdAt: now };
    });
  }
  async getUser(id: string): Promise<User | null> {
    const r = this.get('SELECT * FROM users WHERE id = ?', id);
    return r ? userOf(r) : null;
  }
  async getUserByUsername(username: string): Promise<(User & { passwordHash: string }) | null> {
    const r = this.get('SELECT * FROM users WHERE username = ?', username);
    return r ? { ...userOf(r), passwordHash: r.password_hash } : null;
  }
  async searchUsers(prefix: string, limit: number): Promise<User[]> {
    const escaped = prefix.replace(/[\\%_]/g, (c) => '\\' + c);
    return this.all("SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' ORDER BY username LIMIT ?", escaped + '%', limit).map(userOf);
  }
  async listUsers(limit: number, offset: number): Promise<User[]> {
    return this.all('SELECT * FROM users ORDER BY id LIMIT ? OFFSET ?', limit, offset).map(userOf);
  }
  async setPassword(userId: string, passwordHash: string): Promise<boolean> {
    return this.run('UPDATE users SET password_hash = ? WHERE id = ?', passwordHash, userId).changes > 0;
  }

  async setDisplayName(userId: string, displayName: string): Promise<User | null> {
    this.run('UPDATE users SET display_name = ? WHERE id = ?', displayName, userId);
    return this.getUser(userId);
  }

  async deleteUser(userId: string): Promise<StoredEvent[]> {
    return this.tx(() => {
      if (!this.get('SELECT 1 FROM users WHERE id = ?', userId)) return [];
      this.run("DELETE FROM events WHERE type = 'message.created' AND json_extract(payload, '$.message.senderId') = ?", String(userId));
      this.run('DELETE FROM event_targets WHERE user_id = ?', userId);
      // Cascades: tokens, friendships, requests, memberships, messages, read pointers.
      this.run('DELETE FROM users WHERE id = ?', userId);
      return [this.insertEvent({ type: 'user.deleted', userId: String(userId) }, null, [], new Date().toISOString())];
    });
  }

  async createAuthToken(i: { tokenHash: string; userId: string; kind: 'session' | 'bearer'; csrfToken: string | null; expiresAt: number; createdAt?: number; userAgent?: string | null; ip?: string | null }): Promise<void> {
    const at = i.createdAt ?? Date.now();
    this.run('INSERT INTO auth_tokens (token_hash, user_id, kind, csrf_token, expires_at, created_at, last_used_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      i.tokenHash, i.userId, i.kind, i.csrfToken, i.expiresAt, at, at, i.userAgent ?? null, i.ip ?? null);
  }
  async getAuthToken(tokenHash: string) {
    const r = this.get('SELECT * FROM auth_tokens WHERE token_hash = ?', tokenHash);
    return r ? { userId: String(r.user_id), kind: r.kind as 'session' | 'bearer', csrfToken: r.csrf_token as string | null, expiresAt: Number(r.expires_at), lastUsedAt: numOrNull(r.last_used_at) } : null;
  }
  async touchAuthToken(tokenHash: string, at: number): Promise<void> {
    this.run('UPDATE auth_tokens SET last_used_at = ? WHERE token_hash = ?', at, tokenHash);
  }
  async listAuthTokens(userId: string): Promise<AuthTokenInfo[]> {
    return this.all('SELECT * FROM auth_tokens WHERE user_id = ? ORDER BY created_at, token_hash', userId).map(tokenInfoOf);
  }
  async deleteAuthToken(tokenHash: string, reason: RevokeReason): Promise<StoredEvent[]> {
    return this.tx(() => {
      const r = this.get('SELECT user_id FROM auth_tokens WHERE token_hash = ?', tokenHash);
      if (!r) return [];
      this.run('DELETE FROM auth_tokens WHERE token_hash = ?', tokenHash);
      return [this.insertEvent({ type: 'auth.revoked', userId: String(r.user_id), tokenHash, reason }, null, [], new Date().toISOString())];
    });
  }
  async deleteAuthTokensOfUser(userId: string, reason: RevokeReason, exceptTokenHash?: string): Promise<StoredEvent[]> {
    return this.tx(() => {
      const now = new Date().toISOString();
      if (exceptTokenHash === undefined) {
        if (this.run('DELETE FROM auth_tokens WHERE user_id = ?', userId).changes === 0) return [];
        return [this.insertEvent({ type: 'auth.revoked', userId: String(userId), tokenHash: null, reason }, null, [], now)];
      }
      const gone = this.all('SELECT token_hash FROM auth_tokens WHERE user_id = ? AND token_hash <> ? ORDER BY created_at, token_hash', userId, exceptTokenHash);
      return gone.map((r) => {
        this.run('DELETE FROM auth_tokens WHERE token_hash = ?', r.token_hash);
        return this.insertEvent({ type: 'auth.revoked', userId: String(userId), tokenHash: r.token_hash, reason }, null, [], now);
      });
    });
  }
  async probeWrite(): Promise<void> {
    this.run("INSERT INTO meta (key, value) VALUES ('probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", new Date().toISOString());
  }

  // ── friends ────────────────────────────────────────────────────────────
  private friendsSync(a: string, b: string): boolean {
    const [x, y] = Number(a) < Number(b) ? [a, b] : [b, a];
    return !!this.get('SELECT 1 FROM friendships WHERE user_a = ? AND user_b = ?', x, y);
  }
  private requestOf(r: Row): FriendRequest {
    return { id: String(r.id), from: userOf(this.get('SELECT * FROM users WHERE id = ?', r.from_id)!), to: userOf(this.get('SELECT * FROM users WHERE id = ?', r.to_id)!), createdAt: r.created_at };
  }
  private acceptSync(req: Row, now: string): StoredEvent[] {
    this.run("UPDATE friend_requests SET status = 'accepted' WHERE id = ?", req.id);
    const [x, y] = Number(req.from_id) < Number(req.to_id) ? [req.from_id, req.to_id] : [req.to_id, req.from_id];
    this.run('INSERT OR IGNORE INTO friendships (user_a, user_b, created_at) VALUES (?, ?, ?)', x, y, now);
    const from = userOf(this.get('SELECT * FROM users WHERE id = ?', req.from_id)!);
    const to = userOf(this.get('SELECT * FROM users WHERE id = ?', req.to_id)!);
    return [this.insertEvent({ type: 'friend.accepted', requestId: String(req.id), users: [from, to] }, null, [from.id, to.id], now)];
  }

  async requestFriendship(fromId: string, toId: string, now: string): Promise<StoredEvent[]> {
    return this.tx(() => {
      if (fromId === toId) throw new AppError('INVALID_OPERATION', 'You cannot befriend yourself.');
      if (!this.get('SELECT 1 FROM users WHERE id = ?', toId)) throw new AppError('USER_NOT_FOUND');
      if (this.friendsSync(fromId, toId)) throw new AppError('ALREADY_FRIENDS');
      const reverse = this.get("SELECT * FROM friend_requests WHERE from_id = ? AND to_id = ? AND status = 'pending'", toId, fromId);
      if (reverse) return this.acceptSync(reverse, now);
      if (this.get("SELECT 1 FROM friend_requests WHERE from_id = ? AND to_id = ? AND status = 'pending'", fromId, toId)) throw new AppError('FRIEND_REQUEST_EXISTS');
      const id = this.run('INSERT INTO friend_requests (from_id, to_id, created_at) VALUES (?, ?, ?)', fromId, toId, now).lastInsertRowid;
      const request = this.requestOf(this.get('SELECT * FROM friend_requests WHERE id = ?', id)!);
      return [this.insertEvent({ type: 'friend.requested', request }, null, [fromId, toId], now)];
    });
  }

  async answerFriendRequest(requestId: string, userId: string, accept: boolean, now: string): Promise<StoredEvent[]> {
    return this.tx(() => {
      const req = this.get("SELECT * FROM friend_requests WHERE id = ? AND to_id = ? AND status = 'pending'", requestId, userId);
      if (!req) throw new AppError('FRIEND_REQUEST_NOT_FOUND');
      if (accept) return this.acceptSync(req, now);
      this.run("UPDATE friend_requests SET status = 'declined' WHERE id = ?", req.id);
      return [this.insertEvent({ type: 'friend.declined', requestId: String(req.id), fromId: String(req.from_id), toId: String(req.to_id) }, null, [String(req.from_id), String(req.to_id)], now)];
    });
  }

  async removeFriendship(userId: string, friendId: string): Promise<StoredEvent[]> {
    return this.tx(() => {
      const [x, y] = Number(userId) < Number(friendId) ? [userId, friendId] : [friendId, userId];
      if (this.run('DELETE FROM friendships WHERE user_a = ? AND user_b = ?', x, y).changes === 0) throw new AppError('USER_NOT_FOUND', 'That user is not your friend.');
      return [this.insertEvent({ type: 'friend.removed', userIds: [userId, friendId] }, null, [userId, friendId], new Date().toISOString())];
    });
  }

  async areFriends(a: string, b: string): Promise<boolean> {
    return this.friendsSync(a, b);
  }
  async listFriends(userId: string): Promise<User[]> {
    return this.all(
      `SELECT u.* FROM friendships f JOIN users u ON u.id = CASE WHEN f.user_a = ? THEN f.user_b ELSE f.user_a END
       WHERE f.user_a = ? OR f.user_b = ? ORDER BY u.username`, userId, userId, userId).map(userOf);
  }
  async listFriendRequests(userId: string): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }> {
    const incoming = this.all("SELECT * FROM friend_requests WHERE to_id = ? AND status = 'pending' ORDER BY id", userId).map((r) => this.requestOf(r));
    const outgoing = this.all("SELECT * FROM friend_requests WHERE from_id = ? AND status = 'pending' ORDER BY id", userId).map((r) => this.requestOf(r));
    return { incoming, outgoing };
  }

  // ── conversations ──────────────────────────────────────────────────────
  private membersSync(convId: string | number): Member[] {
    return this.all(
      `SELECT u.id, u.username, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.conv_id = ? AND m.left_seq IS NULL ORDER BY m.joined_seq, m.id`, convId,
    ).map((r) => ({ id: String(r.id), username: r.username, displayName: r.display_name, role: r.role }));
  }
  private detailSync(convId: string | number): ConversationDetail | null {
    const r = this.get('SELECT * FROM conversations WHERE id = ?', convId);
    if (!r) return null;
    const members = this.membersSync(convId);
    return { ...conversationOf(r), members, memberCount: members.length };
  }
  private lastMessageId(convId: string | number): number {
    return Number(this.get('SELECT coalesce(max(id), 0) AS m FROM messages WHERE conv_id = ?', convId)!.m);
  }
  /** A new member starts with everything before joining marked read. */
  private insertMembership(convId: string | number, userId: string, role: 'owner' | 'member', seq: number): void {
    this.run('INSERT INTO memberships (conv_id, user_id, role, joined_seq) VALUES (?, ?, ?, ?)', convId, userId, role, seq);
    this.run('INSERT OR REPLACE INTO read_pointers (user_id, conv_id, message_id) VALUES (?, ?, ?)', userId, convId, this.lastMessageId(convId));
  }

  async getOrCreateDirect(a: string, b: string, now: string): Promise<{ conversation: Conversation; events: StoredEvent[] }> {
    return this.tx(() => {
      const key = Number(a) < Number(b) ? `${a}:${b}` : `${b}:${a}`;
      const existing = this.get('SELECT * FROM conversations WHERE direct_key = ?', key);
      if (existing) return { conversation: conversationOf(existing), events: [] };
      const id = Number(this.run("INSERT INTO conversations (kind, name, owner_id, direct_key, created_at) VALUES ('direct', NULL, NULL, ?, ?)", key, now).lastInsertRowid);
      const seq = this.nextSeq();
      this.insertMembership(id, a, 'member', seq);
      this.insertMembership(id, b, 'member', seq);
      const conversation = this.detailSync(id)!;
      const event = this.insertEvent({ type: 'conversation.created', conversation }, String(id), [], now);
      return { conversation: conversationOf(this.get('SELECT * FROM conversations WHERE id = ?', id)!), events: [event] };
    });
  }

  async createConversation(input: { kind: 'group' | 'room'; name: string; ownerId: string | null; memberIds: string[]; now: string }): Promise<{ conversation: ConversationDetail; events: StoredEvent[] }> {
    return this.tx(() => {
      if (input.kind === 'room' && this.get("SELECT 1 FROM conversations WHERE kind = 'room' AND name = ?", input.name)) throw new AppError('NAME_TAKEN');
      const id = Number(this.run('INSERT INTO conversations (kind, name, owner_id, created_at) VALUES (?, ?, ?, ?)', input.kind, input.name, input.ownerId, input.now).lastInsertRowid);
      const seq = this.nextSeq();
      const ids = [...new Set([...(input.ownerId ? [input.ownerId] : []), ...input.memberIds])];
      for (const uid of ids) {
        if (!this.get('SELECT 1 FROM users WHERE id = ?', uid)) throw new AppError('USER_NOT_FOUND');
        this.insertMembership(id, uid, uid === input.ownerId ? 'owner' : 'member', seq);
      }
      const conversation = this.detailSync(id)!;
      const event = this.insertEvent({ type: 'conversation.created', conversation }, String(id), [], input.now);
      return { conversation, events: [event] };
    });
  }

  async getConversation(id: string): Promise<ConversationDetail | null> {
    if (!/^\d{1,15}$/.test(id)) return null;
    return this.detailSync(id);
  }
  async getRoomByName(name: string): Promise<Conversation | null> {
    const r = this.get("SELECT * FROM conversations WHERE kind = 'room' AND name = ?", name);
    return r ? conversationOf(r) : null;
  }
  async listRooms() {
    return this.all(
      `SELECT c.*, (SELECT count(*) FROM memberships m WHERE m.conv_id = c.id AND m.left_seq IS NULL) AS member_count,
              (SELECT max(created_at) FROM messages x WHERE x.conv_id = c.id) AS last_at
       FROM conversations c WHERE c.kind = 'room' ORDER BY c.name`,
    ).map((r) => ({ ...conversationOf(r), memberCount: Number(r.member_count), lastMessageAt: r.last_at ?? null }));
  }
  async renameConversation(id: string, name: string, by: string): Promise<StoredEvent[]> {
    return this.tx(() => {
      if (this.run('UPDATE conversations SET name = ? WHERE id = ?', name, id).changes === 0) throw new AppError('CONVERSATION_NOT_FOUND');
      const conversation = conversationOf(this.get('SELECT * FROM conversations WHERE id = ?', id)!);
      void by;
      return [this.insertEvent({ type: 'conversation.updated', conversation }, id, [], new Date().toISOString())];
    });
  }
  async getMember(conversationId: string, userId: string): Promise<Member | null> {
    const r = this.get(
      `SELECT u.id, u.username, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.conv_id = ? AND m.user_id = ? AND m.left_seq IS NULL`, conversationId, userId);
    return r ? { id: String(r.id), username: r.username, displayName: r.display_name, role: r.role } : null;
  }
  async addMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]> {
    return this.tx(() => {
      if (!this.get('SELECT 1 FROM conversations WHERE id = ?', conversationId)) throw new AppError('CONVERSATION_NOT_FOUND');
      if (this.get('SELECT 1 FROM memberships WHERE conv_id = ? AND user_id = ? AND left_seq IS NULL', conversationId, userId)) throw new AppError('ALREADY_MEMBER');
      const u = this.get('SELECT * FROM users WHERE id = ?', userId);
      if (!u) throw new AppError('USER_NOT_FOUND');
      this.insertMembership(conversationId, userId, 'member', this.nextSeq());
      const member: Member = { id: String(u.id), username: u.username, displayName: u.display_name, role: 'member' };
      return [this.insertEvent({ type: 'member.joined', conversationId, member, by }, conversationId, [], new Date().toISOString())];
    });
  }
  async removeMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]> {
    return this.tx(() => {
      const conv = this.get('SELECT * FROM conversations WHERE id = ?', conversationId);
      if (!conv) throw new AppError('CONVERSATION_NOT_FOUND');
      const m = this.get('SELECT * FROM memberships WHERE conv_id = ? AND user_id = ? AND left_seq IS NULL', conversationId, userId);
      if (!m) throw new AppError('NOT_A_MEMBER');
      const seq = this.nextSeq();
      this.run('UPDATE memberships SET left_seq = ? WHERE id = ?', seq, m.id);
      let newOwnerId: string | undefined;
      if (conv.kind === 'group' && String(conv.owner_id) === userId) {
        const heir = this.get('SELECT * FROM memberships WHERE conv_id = ? AND left_seq IS NULL ORDER BY joined_seq, id LIMIT 1', conversationId);
        if (heir) {
          newOwnerId = String(heir.user_id);
          this.run("UPDATE memberships SET role = 'owner' WHERE id = ?", heir.id);
        }
        this.run('UPDATE conversations SET owner_id = ? WHERE id = ?', newOwnerId ?? null, conversationId);
      }
      const payload: EventPayload = { type: 'member.left', conversationId, userId, by };
      if (newOwnerId) payload.newOwnerId = newOwnerId;
      return [this.insertEvent(payload, conversationId, [], new Date().toISOString())];
    });
  }

  async listConversationsOf(userId: string): Promise<ConversationSummary[]> {
    const rows = this.all(
      `SELECT c.*, rp.message_id AS last_read,
         (SELECT count(*) FROM memberships m2 WHERE m2.conv_id = c.id AND m2.left_seq IS NULL) AS member_count,
         (SELECT count(*) FROM messages x WHERE x.conv_id = c.id AND x.id > coalesce(rp.message_id, 0) AND x.sender_id <> ?) AS unread,
         (SELECT max(id) FROM messages x WHERE x.conv_id = c.id) AS last_id
       FROM memberships m JOIN conversations c ON c.id = m.conv_id
       LEFT JOIN read_pointers rp ON rp.user_id = m.user_id AND rp.conv_id = c.id
       WHERE m.user_id = ? AND m.left_seq IS NULL`, userId, userId);
    const out = rows.map((r): ConversationSummary => {
      const last = r.last_id == null ? null : messageOf(this.get('SELECT * FROM messages WHERE id = ?', r.last_id)!);
      const s: ConversationSummary = {
        ...conversationOf(r), memberCount: Number(r.member_count), unread: Number(r.unread), lastMessage: last,
        lastReadMessageId: r.last_read == null || Number(r.last_read) === 0 ? null : String(r.last_read),
      };
      if (r.kind === 'direct') {
        const p = this.get('SELECT u.* FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.conv_id = ? AND m.user_id <> ? AND m.left_seq IS NULL', r.id, userId);
        if (p) s.peer = { id: String(p.id), username: p.username, displayName: p.display_name };
      }
      return s;
    });
    return out.sort((x, y) => (y.lastMessage?.createdAt ?? y.createdAt).localeCompare(x.lastMessage?.createdAt ?? x.createdAt));
  }

  async conversationIdsOf(userId: string, kinds: readonly ConversationKind[]): Promise<string[]> {
    if (kinds.length === 0) return [];
    return this.all(
      `SELECT m.conv_id FROM memberships m JOIN conversations c ON c.id = m.conv_id
       WHERE m.user_id = ? AND m.left_seq IS NULL AND c.kind IN (${kinds.map(() => '?').join(',')}) ORDER BY m.conv_id`, userId, ...kinds)
      .map((r) => String(r.conv_id));
  }

  async membershipSpans(conversationId: string): Promise<MembershipSpan[]> {
    return this.all('SELECT user_id, joined_seq, left_seq FROM memberships WHERE conv_id = ?', conversationId)
      .map((r) => ({ userId: String(r.user_id), joinedSeq: Number(r.joined_seq), leftSeq: r.left_seq == null ? null : Number(r.left_seq) }));
  }

  // ── messages ───────────────────────────────────────────────────────────
  async appendMessage(input: { conversationId: string; senderId: string; body: string; clientMsgId: string | null; now: string }) {
    return this.tx(() => {
      if (input.clientMsgId != null) {
        const dup = this.get('SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?', input.senderId, input.clientMsgId);
        if (dup) return { message: messageOf(dup), events: [] as StoredEvent[], duplicate: true };
      }
      const sender = this.get('SELECT display_name FROM users WHERE id = ?', input.senderId);
      if (!sender) throw new AppError('USER_NOT_FOUND');
      const id = this.run(
        'INSERT INTO messages (conv_id, sender_id, sender_name, body, client_msg_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        input.conversationId, input.senderId, sender.display_name, input.body, input.clientMsgId, input.now,
      ).lastInsertRowid;
      const message = messageOf(this.get('SELECT * FROM messages WHERE id = ?', id)!);
      // The sender has read what they wrote.
      this.run('INSERT OR REPLACE INTO read_pointers (user_id, conv_id, message_id) VALUES (?, ?, ?)', input.senderId, input.conversationId, id);
      const event = this.insertEvent({ type: 'message.created', message }, input.conversationId, [], input.now);
      return { message, events: [event], duplicate: false };
    });
  }

  async listMessages(conversationId: string, before: string | null, limit: number): Promise<Message[]> {
    const rows = before == null
      ? this.all('SELECT * FROM messages WHERE conv_id = ? ORDER BY id DESC LIMIT ?', conversationId, limit)
      : this.all('SELECT * FROM messages WHERE conv_id = ? AND id < ? ORDER BY id DESC LIMIT ?', conversationId, before, limit);
    return rows.reverse().map(messageOf);
  }

  async markRead(userId: string, conversationId: string, upTo: string): Promise<StoredEvent[]> {
    return this.tx(() => {
      const msg = this.get('SELECT id FROM messages WHERE id = ? AND conv_id = ?', upTo, conversationId);
      if (!msg) throw new AppError('MESSAGE_NOT_FOUND');
      const cur = this.get('SELECT message_id FROM read_pointers WHERE user_id = ? AND conv_id = ?', userId, conversationId);
      if (cur && Number(cur.message_id) >= Number(upTo)) return [];
      this.run('INSERT OR REPLACE INTO read_pointers (user_id, conv_id, message_id) VALUES (?, ?, ?)', userId, conversationId, upTo);
      return [this.insertEvent({ type: 'read.updated', conversationId, userId, upTo: String(msg.id) }, null, [userId], new Date().toISOString())];
    });
  }

  // ── the log ────────────────────────────────────────────────────────────
  async headSeq(): Promise<number> {
    return Math.max(this.nextSeq() - 1, await this.floorSeq());
  }
  async floorSeq(): Promise<number> {
    const r = this.get("SELECT value FROM meta WHERE key = 'pruned_through'");
    return r ? Number(r.value) : 0;
  }
  async readEvents(after: number, limit: number): Promise<StoredEvent[]> {
    const rows = this.all('SELECT seq, type, conv_id, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?', after, limit);
    if (rows.length === 0) return [];
    const last = Number(rows[rows.length - 1]!.seq);
    const targets = new Map<number, string[]>();
    for (const t of this.all('SELECT seq, user_id FROM event_targets WHERE seq > ? AND seq <= ?', after, last)) {
      const list = targets.get(Number(t.seq)) ?? [];
      list.push(String(t.user_id));
      targets.set(Number(t.seq), list);
    }
    return rows.map((r) => ({ seq: Number(r.seq), type: r.type, conversationId: r.conv_id == null ? null : String(r.conv_id), targets: targets.get(Number(r.seq)) ?? [], payload: r.payload }));
  }
  async readUserEvents(userId: string, after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    return this.all(
      `SELECT e.seq, e.type, e.conv_id, e.payload FROM memberships m
         JOIN events e ON e.conv_id = m.conv_id AND e.seq >= m.joined_seq AND (m.left_seq IS NULL OR e.seq <= m.left_seq)
         WHERE m.user_id = ? AND e.seq > ? AND e.seq <= ?
       UNION
       SELECT e.seq, e.type, e.conv_id, e.payload FROM event_targets t JOIN events e ON e.seq = t.seq
         WHERE t.user_id = ? AND t.seq > ? AND t.seq <= ?
       ORDER BY 1 LIMIT ?`, userId, after, upTo, userId, after, upTo, limit,
    ).map((r) => ({ seq: Number(r.seq), type: r.type, conversationId: r.conv_id == null ? null : String(r.conv_id), targets: [], payload: r.payload }));
  }
  async pruneEvents(beforeSeq: number): Promise<number> {
    return this.tx(() => {
      const n = this.run('DELETE FROM events WHERE seq <= ?', beforeSeq).changes;
      this.run('DELETE FROM event_targets WHERE seq <= ?', beforeSeq);
      this.run("INSERT INTO meta (key, value) VALUES ('pruned_through', ?) ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))", String(beforeSeq));
      return n;
    });
  }
}
