import { AppError } from '../domain/errors.js';
import { decideAnswer, decideFriendRequest, decideUnfriend } from '../domain/friendship.js';
import { directKey, idOrNone, orderedPair } from '../domain/ids.js';
import { decideCreate, decideJoin, decideLeave, heirOf, initialMembers } from '../domain/ownership.js';
import { decideMarkRead } from '../domain/read-pointer.js';
import type {
  Conversation,
  ConversationDetail,
  ConversationKind,
  ConversationSummary,
  EventPayload,
  FriendRequest,
  Member,
  MembershipSpan,
  Message,
  StoredEvent,
  User,
} from '../domain/types.js';
import { PostgresAccounts } from './postgres-accounts.js';
import { PgAppender } from './postgres-append.js';
import { type Db, PgDb, all, exists, get } from './postgres-db.js';
import {
  type ConversationRow,
  type Int,
  type MemberRow,
  type MembershipRow,
  type MessageRow,
  type PeerRow,
  type Prefixed,
  type RequestRow,
  type RoomRow,
  type SummaryRow,
  type UserRow,
  candidateOf,
  conversationOf,
  lastReadOf,
  memberOf,
  messageOf,
  peerOf,
  requestOf,
  roomOf,
  spanOf,
  unprefix,
  userOf,
} from './rows.js';
import { PG_SQL as SQL } from './sql.js';
import type { Store } from './store.js';

type SummaryJoinRow = SummaryRow & Partial<Prefixed<'lm_', MessageRow>> & Partial<Prefixed<'peer_', PeerRow>>;

/**
 * Store on PostgreSQL, shared by any number of nodes (PgDb: the log lock and
 * why). Each write loads the state its decision (src/domain/) needs, applies
 * it and writes, inside one transaction under the log lock.
 */
export class PostgresStore extends PostgresAccounts implements Store {
  readonly dialect = 'postgres' as const;
  private readonly appender: PgAppender;

  constructor(connectionString: string, opts: { schema?: string; max?: number } = {}) {
    super(new PgDb(connectionString, opts));
    this.appender = new PgAppender(this.p);
  }
  migrate(): Promise<void> {
    return this.p.migrate();
  }
  close(): Promise<void> {
    return this.p.close();
  }

  // ── friends ────────────────────────────────────────────────────────────
  private friends(db: Db, a: string, b: string): Promise<boolean> {
    return exists(db, SQL.friendship, orderedPair(idOrNone(a), idOrNone(b)));
  }
  private async accept(db: Db, req: RequestRow, now: string): Promise<StoredEvent[]> {
    await db.query(SQL.setRequestStatus, ['accepted', req.id]);
    await db.query(SQL.insertFriendship, [...orderedPair(String(req.from_id), String(req.to_id)), now]);
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
        targetExists: await exists(db, SQL.userExists, [to]),
        friends: await this.friends(db, from, to),
        reverse: (await get<RequestRow>(db, SQL.pendingRequest, [to, from])) ?? null,
        pending: await exists(db, SQL.pendingRequest, [from, to]),
      });
      if (decision.do === 'accept') return this.accept(db, decision.request, now);
      const { id } = (await get<{ id: Int }>(db, SQL.insertRequest, [from, to, now]))!;
      const request = requestOf((await get<RequestRow>(db, SQL.requestById, [id]))!);
      return [await this.p.insertEvent(db, { type: 'friend.requested', request }, null, [fromId, toId], now)];
    });
  }
  async answerFriendRequest(requestId: string, userId: string, accept: boolean, now: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const req = await get<RequestRow>(db, SQL.requestById, [idOrNone(requestId)]);
      const answer = decideAnswer(req ? { toId: String(req.to_id), status: req.status } : null, userId, accept);
      if (answer === 'accept') return this.accept(db, req!, now);
      await db.query(SQL.setRequestStatus, ['declined', req!.id]);
      const [fromId, toId] = [String(req!.from_id), String(req!.to_id)];
      return [
        await this.p.insertEvent(db, { type: 'friend.declined', requestId: String(req!.id), fromId, toId }, null, [fromId, toId], now),
      ];
    });
  }
  async removeFriendship(userId: string, friendId: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      decideUnfriend(await this.friends(db, userId, friendId));
      await db.query(SQL.deleteFriendship, orderedPair(idOrNone(userId), idOrNone(friendId)));
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
    const rows = await all<RequestRow>(this.p.pool, SQL.pendingRequestsOf, [idOrNone(userId), idOrNone(userId)]);
    return {
      incoming: rows.filter((r) => String(r.to_id) === userId).map(requestOf),
      outgoing: rows.filter((r) => String(r.from_id) === userId).map(requestOf),
    };
  }

  // ── conversations ──────────────────────────────────────────────────────
  private async detail(db: Db, convId: string): Promise<ConversationDetail | null> {
    const r = await get<ConversationRow>(db, SQL.conversationById, [convId]);
    if (!r) return null;
    const members = (await all<MemberRow>(db, SQL.members, [convId])).map(memberOf);
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
         lm.id AS lm_id, lm.conv_id AS lm_conv_id, lm.sender_id AS lm_sender_id, lm.sender_name AS lm_sender_name,
         lm.body AS lm_body, lm.client_msg_id AS lm_client_msg_id, lm.created_at AS lm_created_at,
         p.id AS peer_id, p.username AS peer_username, p.display_name AS peer_display_name
       FROM memberships m JOIN conversations c ON c.id = m.conv_id
       LEFT JOIN read_pointers rp ON rp.user_id = m.user_id AND rp.conv_id = c.id
       LEFT JOIN LATERAL (SELECT * FROM messages x WHERE x.conv_id = c.id ORDER BY x.id DESC LIMIT 1) lm ON true
       LEFT JOIN LATERAL (SELECT u.* FROM memberships m3 JOIN users u ON u.id = m3.user_id
                          WHERE c.kind = 'direct' AND m3.conv_id = c.id AND m3.user_id <> $1 AND m3.left_seq IS NULL LIMIT 1) p ON true
       WHERE m.user_id = $1 AND m.left_seq IS NULL`,
      [idOrNone(userId)],
    );
    const out = rows.map((r): ConversationSummary => {
      const s: ConversationSummary = {
        ...conversationOf(r),
        memberCount: Number(r.member_count),
        unread: Number(r.unread),
        lastMessage: r.lm_id == null ? null : messageOf(unprefix<'lm_', MessageRow>(r as Prefixed<'lm_', MessageRow>, 'lm_')),
        lastReadMessageId: lastReadOf(r.last_read),
      };
      if (r.kind === 'direct' && r.peer_id != null) s.peer = peerOf(unprefix<'peer_', PeerRow>(r as Prefixed<'peer_', PeerRow>, 'peer_'));
      return s;
    });
    return out.sort((x, y) => (y.lastMessage?.createdAt ?? y.createdAt).localeCompare(x.lastMessage?.createdAt ?? x.createdAt));
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

  // ── messages ───────────────────────────────────────────────────────────
  appendMessage(input: Parameters<Store['appendMessage']>[0]): Promise<{ message: Message; events: StoredEvent[]; duplicate: boolean }> {
    return this.appender.append(input);
  }
  async listMessages(conversationId: string, before: string | null, limit: number): Promise<Message[]> {
    const conv = idOrNone(conversationId);
    const rows =
      before == null
        ? await all<MessageRow>(this.p.pool, SQL.messagesLatest, [conv, limit])
        : await all<MessageRow>(this.p.pool, SQL.messagesBefore, [conv, idOrNone(before), limit]);
    return rows.reverse().map(messageOf);
  }
  async markRead(userId: string, conversationId: string, upTo: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const [uid, conv] = [idOrNone(userId), idOrNone(conversationId)];
      const m = await get<{ id: Int }>(db, SQL.messageInConversation, [idOrNone(upTo), conv]);
      const cur = await get<{ message_id: Int }>(db, SQL.readPointer, [uid, conv]);
      if (!decideMarkRead({ messageInConversation: !!m, current: cur ? Number(cur.message_id) : null, upTo: Number(upTo) })) return [];
      await db.query(SQL.setReadPointer, [uid, conv, m!.id]);
      return [
        await this.p.insertEvent(
          db,
          { type: 'read.updated', conversationId, userId, upTo: String(m!.id) },
          null,
          [userId],
          new Date().toISOString(),
        ),
      ];
    });
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
}
