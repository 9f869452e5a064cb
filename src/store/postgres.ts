import { AppError } from '../domain/errors.js';
import { directKey, idOrNone } from '../domain/ids.js';
import { decideModerator } from '../domain/messages.js';
import { publishesReadPositions } from '../domain/read-pointer.js';
import { decideCreate, decideJoin, decideLeave, heirOf, initialMembers } from '../domain/ownership.js';
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
import { hydrate } from './postgres-hydrate.js';
import { PostgresMessages } from './postgres-messages.js';
import { type Db, PgDb, all, exists, get } from './postgres-db.js';
import {
  type ConversationRow,
  type Int,
  type MemberReadRow,
  type MemberRow,
  type MembershipRow,
  type PeerRow,
  type Prefixed,
  type RoomRow,
  type SummaryRow,
  type UserRow,
  candidateOf,
  conversationOf,
  lastReadOf,
  memberOf,
  memberReadOf,
  peerOf,
  roomOf,
  spanOf,
  unprefix,
} from './rows.js';
import type { MessageRow } from './message-rows.js';
import { PG_SQL as SQL } from './sql.js';
import * as files from './postgres-files.js';
import { searchMessages } from './postgres-search.js';
import type { SearchQuery, Store, StoredAttachment } from './store.js';

type SummaryJoinRow = SummaryRow & Partial<Prefixed<'lm_', MessageRow>> & Partial<Prefixed<'peer_', PeerRow>>;

/**
 * Store on PostgreSQL, shared by any number of nodes (PgDb: the log lock and
 * why). Each write loads the state its decision (src/domain/) needs, applies
 * it and writes, inside one transaction under the log lock.
 */
export class PostgresStore extends PostgresMessages implements Store {
  readonly dialect = 'postgres' as const;

  constructor(connectionString: string, opts: { schema?: string; max?: number } = {}) {
    super(new PgDb(connectionString, opts));
  }
  migrate(): Promise<void> {
    return this.p.migrate();
  }
  close(): Promise<void> {
    return this.p.close();
  }

  // ── conversations ──────────────────────────────────────────────────────
  private async detail(db: Db, convId: string): Promise<ConversationDetail | null> {
    const r = await get<ConversationRow>(db, SQL.conversationById, [convId]);
    if (!r) return null;
    const members = publishesReadPositions(r.kind)
      ? (await all<MemberReadRow>(db, SQL.membersWithReads, [convId])).map(memberReadOf(r.kind))
      : (await all<MemberRow>(db, SQL.members, [convId])).map(memberOf);
    return { ...conversationOf(r), members, memberCount: members.length };
  }
  /** A new member starts with everything before joining marked read. */
  private async insertMembership(db: Db, convId: string, userId: string, role: Member['role'], seq: number): Promise<void> {
    await db.query(
      `WITH m AS (INSERT INTO memberships (conv_id, user_id, role, joined_seq) VALUES ($1, $2, $3, $4))
       INSERT INTO read_pointers (user_id, conv_id, message_id)
       VALUES ($2, $1, (SELECT coalesce(max(id), 0) FROM messages WHERE conv_id = $1))
       ON CONFLICT (user_id, conv_id) DO UPDATE SET message_id = excluded.message_id`,
      [convId, userId, role, seq],
    );
  }
  async getOrCreateDirect(a: string, b: string, now: string): Promise<{ conversation: Conversation; events: StoredEvent[] }> {
    const key = directKey(a, b);
    // Almost always it exists: answer without queueing for the log lock.
    const existing = await get<ConversationRow>(this.p.pool, SQL.conversationByDirectKey, [key]);
    if (existing) return { conversation: conversationOf(existing), events: [] };
    return this.p.logTx(async (db) => {
      const made = await get<ConversationRow>(db, SQL.conversationByDirectKey, [key]); // by another node while we waited for the lock
      if (made) return { conversation: conversationOf(made), events: [] as StoredEvent[] };
      const row = (await get<ConversationRow>(db, SQL.insertDirect, [key, now]))!;
      const id = String(row.id);
      const seq = await this.p.nextSeq(db);
      await this.insertMembership(db, id, a, 'member', seq);
      await this.insertMembership(db, id, b, 'member', seq);
      const conversation = (await this.detail(db, id))!;
      const event = await this.p.insertEvent(db, { type: 'conversation.created', conversation }, id, [], now, seq);
      return { conversation: conversationOf(row), events: [event] };
    });
  }
  async createConversation(
    input: Parameters<Store['createConversation']>[0],
  ): Promise<{ conversation: ConversationDetail; events: StoredEvent[] }> {
    return this.p.logTx(async (db) => {
      const members = initialMembers(input.ownerId, input.memberIds);
      let everyMemberExists = true;
      for (const m of members) everyMemberExists &&= await exists(db, SQL.userExists, [idOrNone(m.userId)]);
      decideCreate(input.kind, await exists(db, SQL.roomByName, [input.name]), everyMemberExists);
      const id = String((await get<{ id: Int }>(db, SQL.insertConversation, [input.kind, input.name, input.ownerId, input.now]))!.id);
      const seq = await this.p.nextSeq(db);
      for (const m of members) await this.insertMembership(db, id, m.userId, m.role, seq);
      const conversation = (await this.detail(db, id))!;
      const event = await this.p.insertEvent(db, { type: 'conversation.created', conversation }, id, [], input.now, seq);
      return { conversation, events: [event] };
    });
  }
  async getConversation(id: string): Promise<ConversationDetail | null> {
    return this.detail(this.p.pool, idOrNone(id));
  }
  async getRoomByName(name: string): Promise<Conversation | null> {
    const r = await get<ConversationRow>(this.p.pool, SQL.roomByName, [name]);
    return r ? conversationOf(r) : null;
  }
  async listRooms() {
    return (await all<RoomRow>(this.p.pool, SQL.rooms)).map(roomOf);
  }
  async renameConversation(id: string, name: string, _by: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const r = await get<ConversationRow>(db, SQL.renameConversation, [name, idOrNone(id)]);
      if (!r) throw new AppError('CONVERSATION_NOT_FOUND');
      return [
        await this.p.insertEvent(db, { type: 'conversation.updated', conversation: conversationOf(r) }, id, [], new Date().toISOString()),
      ];
    });
  }
  async getMember(conversationId: string, userId: string): Promise<Member | null> {
    const r = await get<MemberRow>(this.p.pool, SQL.member, [idOrNone(conversationId), idOrNone(userId)]);
    return r ? memberOf(r) : null;
  }
  async addMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const [conv, uid] = [idOrNone(conversationId), idOrNone(userId)];
      const conversationExists = await exists(db, SQL.conversationById, [conv]);
      const alreadyMember = await exists(db, SQL.currentMembership, [conv, uid]);
      const u = await get<UserRow>(db, SQL.userById, [uid]);
      decideJoin({ conversationExists, alreadyMember, userExists: !!u });
      const seq = await this.p.nextSeq(db);
      await this.insertMembership(db, conv, uid, 'member', seq);
      const member = memberOf({ ...u!, role: 'member' });
      return [
        await this.p.insertEvent(
          db,
          { type: 'member.joined', conversationId, member, by },
          conversationId,
          [],
          new Date().toISOString(),
          seq,
        ),
      ];
    });
  }
  async removeMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const [conv, uid] = [idOrNone(conversationId), idOrNone(userId)];
      const c = await get<ConversationRow>(db, SQL.conversationById, [conv]);
      const m = await get<MembershipRow>(db, SQL.currentMembership, [conv, uid]);
      const { handOver } = decideLeave({ conversation: c ? conversationOf(c) : null, isMember: !!m }, userId);
      const heir = handOver ? heirOf((await all<MembershipRow>(db, SQL.currentMemberships, [conv])).map(candidateOf), userId) : null;
      const seq = await this.p.nextSeq(db);
      await db.query(SQL.endMembership, [seq, m!.id]);
      if (handOver) {
        if (heir) await db.query(SQL.makeOwner, [conv, heir]);
        await db.query(SQL.setOwner, [heir, conv]);
      }
      const payload: EventPayload = { type: 'member.left', conversationId, userId, by };
      if (heir) payload.newOwnerId = heir;
      return [await this.p.insertEvent(db, payload, conversationId, [], new Date().toISOString(), seq)];
    });
  }
  async listConversationsOf(userId: string): Promise<ConversationSummary[]> {
    const rows = await all<SummaryJoinRow>(
      this.p.pool,
      `SELECT c.*, rp.message_id AS last_read,
         (SELECT count(*) FROM memberships m2 WHERE m2.conv_id = c.id AND m2.left_seq IS NULL) AS member_count,
         (SELECT count(*) FROM messages x WHERE x.conv_id = c.id AND x.id > coalesce(rp.message_id, 0) AND x.sender_id <> $1) AS unread,
         (SELECT count(*) FROM messages x WHERE x.conv_id = c.id AND x.id > coalesce(rp.message_id, 0) AND x.sender_id <> $1
            AND NOT x.deleted AND (x.mentions_all OR x.mentions LIKE $2)) AS mentions,
         lm.id AS lm_id, lm.conv_id AS lm_conv_id, lm.sender_id AS lm_sender_id, lm.sender_name AS lm_sender_name,
         lm.body AS lm_body, lm.client_msg_id AS lm_client_msg_id, lm.created_at AS lm_created_at, lm.edited_at AS lm_edited_at,
         lm.deleted AS lm_deleted, lm.reply_to_id AS lm_reply_to_id, lm.mentions AS lm_mentions, lm.mentions_all AS lm_mentions_all,
         lm.link_preview AS lm_link_preview, lm.link_preview_image AS lm_link_preview_image,
         p.id AS peer_id, p.username AS peer_username, p.display_name AS peer_display_name
       FROM memberships m JOIN conversations c ON c.id = m.conv_id
       LEFT JOIN read_pointers rp ON rp.user_id = m.user_id AND rp.conv_id = c.id
       LEFT JOIN LATERAL (SELECT * FROM messages x WHERE x.conv_id = c.id ORDER BY x.id DESC LIMIT 1) lm ON true
       LEFT JOIN LATERAL (SELECT u.* FROM memberships m3 JOIN users u ON u.id = m3.user_id
                          WHERE c.kind = 'direct' AND m3.conv_id = c.id AND m3.user_id <> $1 AND m3.left_seq IS NULL LIMIT 1) p ON true
       WHERE m.user_id = $1 AND m.left_seq IS NULL`,
      [idOrNone(userId), `%${JSON.stringify(String(idOrNone(userId)))}%`],
    );
    const lasts = await hydrate(
      this.p.pool,
      rows.filter((r) => r.lm_id != null).map((r) => unprefix<'lm_', MessageRow>(r as Prefixed<'lm_', MessageRow>, 'lm_')),
    );
    const lastById = new Map(lasts.map((m) => [m.id, m]));
    const out = rows.map((r): ConversationSummary => {
      const s: ConversationSummary = {
        ...conversationOf(r),
        memberCount: Number(r.member_count),
        unread: Number(r.unread),
        mentions: Number(r.mentions),
        lastMessage: r.lm_id == null ? null : lastById.get(String(r.lm_id))!,
        lastReadMessageId: lastReadOf(r.last_read),
      };
      if (r.kind === 'direct' && r.peer_id != null) s.peer = peerOf(unprefix<'peer_', PeerRow>(r as Prefixed<'peer_', PeerRow>, 'peer_'));
      return s;
    });
    return out.sort((x, y) => (y.lastMessage?.createdAt ?? y.createdAt).localeCompare(x.lastMessage?.createdAt ?? x.createdAt));
  }
  async setModerator(conversationId: string, userId: string, on: boolean, by: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const [conv, uid] = [idOrNone(conversationId), idOrNone(userId)];
      const c = await get<ConversationRow>(db, SQL.conversationById, [conv]);
      const target = await get<MemberRow>(db, SQL.member, [conv, uid]);
      const outcome = decideModerator({ conversation: c ? conversationOf(c) : null, actorId: by, target: target?.role ?? null, on });
      if (outcome === 'unchanged') return [];
      const role = on ? 'moderator' : 'member';
      await db.query(SQL.setMemberRole, [role, conv, uid]);
      const payload = { type: 'member.updated', conversationId, userId, role, by } as const;
      return [await this.p.insertEvent(db, payload, conversationId, [], new Date().toISOString())];
    });
  }
  async conversationIdsOf(userId: string, kinds: readonly ConversationKind[]): Promise<string[]> {
    if (kinds.length === 0) return [];
    const rows = await all<{ conv_id: Int }>(
      this.p.pool,
      `SELECT m.conv_id FROM memberships m JOIN conversations c ON c.id = m.conv_id
       WHERE m.user_id = $1 AND m.left_seq IS NULL AND c.kind = ANY($2::text[]) ORDER BY m.conv_id`,
      [idOrNone(userId), [...kinds]],
    );
    return rows.map((r) => String(r.conv_id));
  }
  async membershipSpans(conversationId: string): Promise<MembershipSpan[]> {
    return (await all<MembershipRow>(this.p.pool, SQL.spans, [idOrNone(conversationId)])).map(spanOf);
  }

  // ── the log (PgDb) ─────────────────────────────────────────────────────
  headSeq(): Promise<number> {
    return this.p.headSeq();
  }
  floorSeq(): Promise<number> {
    return this.p.floorSeq();
  }
  readEvents(after: number, limit: number): Promise<StoredEvent[]> {
    return this.p.readEvents(after, limit);
  }
  readUserEvents(userId: string, after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    return this.p.readUserEvents(userId, after, upTo, limit);
  }
  pruneEvents(beforeSeq: number): Promise<number> {
    return this.p.prune(beforeSeq);
  }

  // ── files, link previews (postgres-files.ts), search (postgres-search.ts) ──
  createAttachment(input: Parameters<Store['createAttachment']>[0]): Promise<StoredAttachment> {
    return files.createAttachment(this.p, input);
  }
  getAttachment(id: string): Promise<StoredAttachment | null> {
    return files.getAttachment(this.p.pool, id);
  }
  deleteUnsentAttachments(before: string): Promise<string[]> {
    return files.deleteUnsentAttachments(this.p, before);
  }
  blobsInUse(keys: readonly string[]): Promise<Set<string>> {
    return files.blobsInUse(this.p.pool, keys);
  }
  setLinkPreview(input: Parameters<Store['setLinkPreview']>[0]): Promise<StoredEvent[]> {
    return files.setLinkPreview(this.p, input);
  }
  linkPreviewImage(messageId: string): Promise<string | null> {
    return files.linkPreviewImage(this.p.pool, messageId);
  }
  async searchMessages(q: SearchQuery): Promise<Message[]> {
    return hydrate(this.p.pool, await searchMessages(this.p.pool, q));
  }
}
