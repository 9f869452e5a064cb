import type Database from 'better-sqlite3';
import { directKey, idOrNone } from '../domain/ids.js';
import { decideModerator } from '../domain/messages.js';
import { publishesReadPositions } from '../domain/read-pointer.js';
import { decideCreate, decideJoin, decideLeave, heirOf, initialMembers } from '../domain/ownership.js';
import { AppError } from '../domain/errors.js';
import type {
  Conversation,
  ConversationDetail,
  ConversationKind,
  ConversationSummary,
  EventPayload,
  Member,
  MembershipSpan,
  Message,
  StoredEvent,
} from '../domain/types.js';
import {
  type ConversationRow,
  type Int,
  type MemberReadRow,
  type MemberRow,
  type MembershipRow,
  type PeerRow,
  type RoomRow,
  type SummaryRow,
  candidateOf,
  conversationOf,
  lastReadOf,
  memberOf,
  memberReadOf,
  peerOf,
  roomOf,
  spanOf,
} from './rows.js';
import type { MessageRow } from './message-rows.js';
import { SQL } from './sql.js';
import * as files from './sqlite-files.js';
import { searchMessages } from './sqlite-search.js';
import { SqliteMessages } from './sqlite-messages.js';
import { SqliteDb } from './sqlite-db.js';
import type { SearchQuery, Store, StoredAttachment } from './store.js';

/**
 * Store on SQLite. Each write loads the state its decision (src/domain/) needs,
 * applies it and writes, inside one synchronous transaction (SqliteDb). One
 * process owns a database file (WAL lets backups and the CLI read alongside).
 */
export class SqliteStore extends SqliteMessages implements Store {
  readonly dialect = 'sqlite' as const;
  /** The database handle itself: test/integration/outage-sqlite.test.ts caps its size to fill the disk for real. */
  readonly db: Database.Database;

  constructor(file: string, opts: { synchronous?: 'NORMAL' | 'FULL' } = {}) {
    super(new SqliteDb(file, opts));
    this.db = this.d.db;
  }
  async migrate(): Promise<void> {
    this.d.migrate();
  }
  async close(): Promise<void> {
    this.d.close();
  }

  // ── conversations ──────────────────────────────────────────────────────
  private detail(convId: string): ConversationDetail | null {
    const r = this.d.get<ConversationRow>(SQL.conversationById, convId);
    if (!r) return null;
    const members = publishesReadPositions(r.kind)
      ? this.d.all<MemberReadRow>(SQL.membersWithReads, convId).map(memberReadOf(r.kind))
      : this.d.all<MemberRow>(SQL.members, convId).map(memberOf);
    return { ...conversationOf(r), members, memberCount: members.length };
  }
  /** A new member starts with everything before joining marked read. */
  private insertMembership(convId: string, userId: string, role: Member['role'], seq: number): void {
    this.d.run('INSERT INTO memberships (conv_id, user_id, role, joined_seq) VALUES (?, ?, ?, ?)', convId, userId, role, seq);
    const last = this.d.get<{ m: Int }>('SELECT coalesce(max(id), 0) AS m FROM messages WHERE conv_id = ?', convId)!.m;
    this.d.run(SQL.setReadPointer, userId, convId, last);
  }
  async getOrCreateDirect(a: string, b: string, now: string): Promise<{ conversation: Conversation; events: StoredEvent[] }> {
    return this.d.tx(() => {
      const existing = this.d.get<ConversationRow>(SQL.conversationByDirectKey, directKey(a, b));
      if (existing) return { conversation: conversationOf(existing), events: [] };
      const row = this.d.get<ConversationRow>(SQL.insertDirect, directKey(a, b), now)!;
      const id = String(row.id);
      const seq = this.d.nextSeq();
      this.insertMembership(id, a, 'member', seq);
      this.insertMembership(id, b, 'member', seq);
      const event = this.d.insertEvent({ type: 'conversation.created', conversation: this.detail(id)! }, id, [], now);
      return { conversation: conversationOf(row), events: [event] };
    });
  }
  async createConversation(
    input: Parameters<Store['createConversation']>[0],
  ): Promise<{ conversation: ConversationDetail; events: StoredEvent[] }> {
    return this.d.tx(() => {
      const members = initialMembers(input.ownerId, input.memberIds);
      decideCreate(
        input.kind,
        this.d.exists(SQL.roomByName, input.name),
        members.every((m) => this.d.exists(SQL.userExists, idOrNone(m.userId))),
      );
      const id = String(this.d.get<{ id: Int }>(SQL.insertConversation, input.kind, input.name, input.ownerId, input.now)!.id);
      const seq = this.d.nextSeq();
      for (const m of members) this.insertMembership(id, m.userId, m.role, seq);
      const conversation = this.detail(id)!;
      return { conversation, events: [this.d.insertEvent({ type: 'conversation.created', conversation }, id, [], input.now)] };
    });
  }
  async getConversation(id: string): Promise<ConversationDetail | null> {
    return this.detail(idOrNone(id));
  }
  async getRoomByName(name: string): Promise<Conversation | null> {
    const r = this.d.get<ConversationRow>(SQL.roomByName, name);
    return r ? conversationOf(r) : null;
  }
  async listRooms() {
    return this.d.all<RoomRow>(SQL.rooms).map(roomOf);
  }
  async renameConversation(id: string, name: string, _by: string): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const r = this.d.get<ConversationRow>(SQL.renameConversation, name, idOrNone(id));
      if (!r) throw new AppError('CONVERSATION_NOT_FOUND');
      return [this.d.insertEvent({ type: 'conversation.updated', conversation: conversationOf(r) }, id, [], new Date().toISOString())];
    });
  }
  async getMember(conversationId: string, userId: string): Promise<Member | null> {
    const r = this.d.get<MemberRow>(SQL.member, idOrNone(conversationId), idOrNone(userId));
    return r ? memberOf(r) : null;
  }
  async addMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const [conv, uid] = [idOrNone(conversationId), idOrNone(userId)];
      const u = this.user(uid);
      decideJoin({
        conversationExists: this.d.exists(SQL.conversationById, conv),
        alreadyMember: this.d.exists(SQL.currentMembership, conv, uid),
        userExists: !!u,
      });
      this.insertMembership(conv, uid, 'member', this.d.nextSeq());
      const member = memberOf({ ...u!, role: 'member' });
      return [this.d.insertEvent({ type: 'member.joined', conversationId, member, by }, conversationId, [], new Date().toISOString())];
    });
  }
  async removeMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const [conv, uid] = [idOrNone(conversationId), idOrNone(userId)];
      const c = this.d.get<ConversationRow>(SQL.conversationById, conv);
      const m = this.d.get<MembershipRow>(SQL.currentMembership, conv, uid);
      const { handOver } = decideLeave({ conversation: c ? conversationOf(c) : null, isMember: !!m }, userId);
      const heir = handOver ? heirOf(this.d.all<MembershipRow>(SQL.currentMemberships, conv).map(candidateOf), userId) : null;
      const seq = this.d.nextSeq();
      this.d.run(SQL.endMembership, seq, m!.id);
      if (handOver) {
        if (heir) this.d.run(SQL.makeOwner, conv, heir);
        this.d.run(SQL.setOwner, heir, conv);
      }
      const payload: EventPayload = { type: 'member.left', conversationId, userId, by };
      if (heir) payload.newOwnerId = heir;
      return [this.d.insertEvent(payload, conversationId, [], new Date().toISOString())];
    });
  }
  async listConversationsOf(userId: string): Promise<ConversationSummary[]> {
    const id = idOrNone(userId);
    const rows = this.d.all<SummaryRow & { last_id: Int | null }>(
      `SELECT c.*, rp.message_id AS last_read,
         (SELECT count(*) FROM memberships m2 WHERE m2.conv_id = c.id AND m2.left_seq IS NULL) AS member_count,
         (SELECT count(*) FROM messages x WHERE x.conv_id = c.id AND x.id > coalesce(rp.message_id, 0) AND x.sender_id <> ?) AS unread,
         (SELECT count(*) FROM messages x WHERE x.conv_id = c.id AND x.id > coalesce(rp.message_id, 0) AND x.sender_id <> ?
            AND NOT x.deleted AND (x.mentions_all OR x.mentions LIKE ?)) AS mentions,
         (SELECT max(id) FROM messages x WHERE x.conv_id = c.id) AS last_id
       FROM memberships m JOIN conversations c ON c.id = m.conv_id
       LEFT JOIN read_pointers rp ON rp.user_id = m.user_id AND rp.conv_id = c.id
       WHERE m.user_id = ? AND m.left_seq IS NULL`,
      id,
      id,
      `%${JSON.stringify(String(id))}%`,
      id,
    );
    const out = rows.map((r): ConversationSummary => {
      const last = r.last_id == null ? null : this.hydrate([this.d.get<MessageRow>(SQL.messageById, r.last_id)!])[0]!;
      const s: ConversationSummary = {
        ...conversationOf(r),
        memberCount: Number(r.member_count),
        unread: Number(r.unread),
        mentions: Number(r.mentions),
        lastMessage: last,
        lastReadMessageId: lastReadOf(r.last_read),
      };
      if (r.kind === 'direct') {
        const p = this.d.get<PeerRow>(
          'SELECT u.* FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.conv_id = ? AND m.user_id <> ? AND m.left_seq IS NULL',
          r.id,
          id,
        );
        if (p) s.peer = peerOf(p);
      }
      return s;
    });
    return out.sort((x, y) => (y.lastMessage?.createdAt ?? y.createdAt).localeCompare(x.lastMessage?.createdAt ?? x.createdAt));
  }
  async setModerator(conversationId: string, userId: string, on: boolean, by: string): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const [conv, uid] = [idOrNone(conversationId), idOrNone(userId)];
      const c = this.d.get<ConversationRow>(SQL.conversationById, conv);
      const target = this.d.get<MemberRow>(SQL.member, conv, uid);
      const outcome = decideModerator({ conversation: c ? conversationOf(c) : null, actorId: by, target: target?.role ?? null, on });
      if (outcome === 'unchanged') return [];
      const role = on ? 'moderator' : 'member';
      this.d.run(SQL.setMemberRole, role, conv, uid);
      return [
        this.d.insertEvent({ type: 'member.updated', conversationId, userId, role, by }, conversationId, [], new Date().toISOString()),
      ];
    });
  }
  async conversationIdsOf(userId: string, kinds: readonly ConversationKind[]): Promise<string[]> {
    if (kinds.length === 0) return [];
    return this.d
      .all<{ conv_id: Int }>(
        `SELECT m.conv_id FROM memberships m JOIN conversations c ON c.id = m.conv_id
       WHERE m.user_id = ? AND m.left_seq IS NULL AND c.kind IN (${kinds.map(() => '?').join(',')}) ORDER BY m.conv_id`,
        idOrNone(userId),
        ...kinds,
      )
      .map((r) => String(r.conv_id));
  }
  async membershipSpans(conversationId: string): Promise<MembershipSpan[]> {
    return this.d.all<MembershipRow>(SQL.spans, idOrNone(conversationId)).map(spanOf);
  }

  // ── the log (SqliteDb) ─────────────────────────────────────────────────
  headSeq(): Promise<number> {
    return this.d.headSeq();
  }
  floorSeq(): Promise<number> {
    return Promise.resolve(this.d.floorSeq());
  }
  readEvents(after: number, limit: number): Promise<StoredEvent[]> {
    return Promise.resolve(this.d.readEvents(after, limit));
  }
  readUserEvents(userId: string, after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    return Promise.resolve(this.d.readUserEvents(userId, after, upTo, limit));
  }
  pruneEvents(beforeSeq: number): Promise<number> {
    return this.d.tx(() => this.d.prune(beforeSeq));
  }

  // ── files, link previews (sqlite-files.ts), search (sqlite-search.ts) ──
  createAttachment(input: Parameters<Store['createAttachment']>[0]): Promise<StoredAttachment> {
    return files.createAttachment(this.d, input);
  }
  async getAttachment(id: string): Promise<StoredAttachment | null> {
    return files.getAttachment(this.d, id);
  }
  deleteUnsentAttachments(before: string): Promise<string[]> {
    return files.deleteUnsentAttachments(this.d, before);
  }
  async blobsInUse(keys: readonly string[]): Promise<Set<string>> {
    return files.blobsInUse(this.d, keys);
  }
  setLinkPreview(input: Parameters<Store['setLinkPreview']>[0]): Promise<StoredEvent[]> {
    return files.setLinkPreview(this.d, input, (id) => this.one(id));
  }
  async linkPreviewImage(messageId: string): Promise<string | null> {
    return files.linkPreviewImage(this.d, messageId);
  }
  async searchMessages(q: SearchQuery): Promise<Message[]> {
    return this.hydrate(await searchMessages(this.d, q));
  }
}
