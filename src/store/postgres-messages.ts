import { AppError } from '../domain/errors.js';
import { idOrNone } from '../domain/ids.js';
import { decideDelete, decideEdit, decideReact, redactPayload } from '../domain/messages.js';
import { decideMarkRead, readReceiptAudience } from '../domain/read-pointer.js';
import type { ConversationKind, MemberRole, Message, ServerRole, StoredEvent } from '../domain/types.js';
import { PostgresAccounts } from './postgres-accounts.js';
import { PgAppender } from './postgres-append.js';
import { type Db, type PgDb, all, exists, get } from './postgres-db.js';
import { hydrate } from './postgres-hydrate.js';
import { firstLink } from '../domain/search-text.js';
import { type MessageRow, stalePreview } from './message-rows.js';
import { releaseMessageFiles } from './postgres-files.js';
import { indexMessage, unindexMessage } from './postgres-search.js';
import { type Int, truthy } from './rows.js';
import { PG_SQL as SQL } from './sql.js';
import type { Store } from './store.js';

const facts = (r: MessageRow | undefined) =>
  r ? { senderId: String(r.sender_id), deleted: truthy(r.deleted), createdAt: r.created_at } : null;

/**
 * The messages part of PostgresStore: send (group commit, PgAppender), edit,
 * delete, react, read, history. Each write loads what its decision
 * (domain/messages.ts, read-pointer.ts) needs and writes with its event in
 * one transaction under the log lock.
 */
export abstract class PostgresMessages extends PostgresAccounts {
  private readonly appender: PgAppender;

  constructor(p: PgDb) {
    super(p);
    this.appender = new PgAppender(p);
  }

  private async one(db: Db, id: Int): Promise<Message> {
    return (await hydrate(db, [(await get<MessageRow>(db, SQL.messageById, [id]))!]))[0]!;
  }

  async membersByUsernames(conversationId: string, usernames: readonly string[]): Promise<Array<{ id: string; username: string }>> {
    if (usernames.length === 0) return [];
    const rows = await all<{ id: Int; username: string }>(
      this.p.pool,
      `SELECT u.id, u.username FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.conv_id = $1 AND m.left_seq IS NULL AND lower(u.username) = ANY($2::text[])`,
      [idOrNone(conversationId), [...usernames]],
    );
    return rows.map((r) => ({ id: String(r.id), username: r.username }));
  }

  appendMessage(input: Parameters<Store['appendMessage']>[0]): ReturnType<Store['appendMessage']> {
    return this.appender.append(input);
  }
  async getMessage(id: string): Promise<Message | null> {
    const r = await get<MessageRow>(this.p.pool, SQL.messageById, [idOrNone(id)]);
    return r ? (await hydrate(this.p.pool, [r]))[0]! : null;
  }
  async listMessages(conversationId: string, before: string | null, limit: number): Promise<Message[]> {
    const conv = idOrNone(conversationId);
    const rows =
      before == null
        ? await all<MessageRow>(this.p.pool, SQL.messagesLatest, [conv, limit])
        : await all<MessageRow>(this.p.pool, SQL.messagesBefore, [conv, idOrNone(before), limit]);
    return hydrate(this.p.pool, rows.reverse());
  }
  async listMessagesAround(conversationId: string, around: string, limit: number) {
    const [conv, id] = [idOrNone(conversationId), idOrNone(around)];
    if (!(await exists(this.p.pool, SQL.messageInConversation, [id, conv]))) throw new AppError('MESSAGE_NOT_FOUND');
    const half = Math.floor((limit - 1) / 2);
    const before = (await all<MessageRow>(this.p.pool, SQL.messagesBefore, [conv, id, half + 1])).reverse();
    const after = await all<MessageRow>(this.p.pool, SQL.messagesFrom, [conv, id, limit - half + 1]);
    const hasBefore = before.length > half;
    const hasAfter = after.length > limit - half;
    const rows = [...(hasBefore ? before.slice(1) : before), ...after.slice(0, limit - half)];
    return { messages: await hydrate(this.p.pool, rows), hasBefore, hasAfter };
  }
  async systemEvents(conversationId: string, range: { from: string | null; to: string | null }, limit: number) {
    const conv = idOrNone(conversationId);
    const before =
      range.from == null ? undefined : await get<{ seq: Int | null }>(this.p.pool, SQL.seqBefore, [conv, idOrNone(range.from)]);
    const to = range.to == null ? undefined : await get<{ seq: Int | null }>(this.p.pool, SQL.seqOf, [idOrNone(range.to)]);
    const rows = await all<{ seq: Int; type: StoredEvent['type']; payload: string; created_at: string }>(this.p.pool, SQL.systemEvents, [
      conv,
      Number(before?.seq ?? 0),
      to?.seq == null ? Number.MAX_SAFE_INTEGER : Number(to.seq),
      limit,
    ]);
    return rows
      .reverse()
      .map((r) => ({ seq: Number(r.seq), type: r.type, conversationId, targets: [], payload: r.payload, at: r.created_at }));
  }

  private async standing(db: Db, actorId: string, conv: Int) {
    const s = await get<{ server_role: ServerRole; kind: ConversationKind; owner_id: Int | null; member_role: MemberRole | null }>(
      db,
      SQL.standing,
      [idOrNone(actorId), conv],
    );
    return {
      serverRole: s?.server_role ?? 'member',
      memberRole: s?.member_role ?? null,
      conversation: { kind: s?.kind ?? 'direct', ownerId: s?.owner_id == null ? null : String(s.owner_id) },
    } as const;
  }

  async editMessage(input: Parameters<Store['editMessage']>[0]): ReturnType<Store['editMessage']> {
    return this.p.logTx(async (db) => {
      const r = await get<MessageRow>(db, SQL.messageById, [idOrNone(input.messageId)]);
      const outcome = decideEdit({
        message: facts(r),
        editorId: input.editorId,
        isMember: !!r && (await exists(db, SQL.currentMembership, [r.conv_id, idOrNone(input.editorId)])),
        sameBody: r?.body === input.body,
        now: new Date(input.now),
        windowSeconds: input.windowSeconds,
      });
      if (outcome === 'unchanged') return { message: await this.one(db, r!.id), events: [] as StoredEvent[], releasedBlobs: [] };
      const seq = await this.p.nextSeq(db);
      await db.query(SQL.insertEdit, [r!.id, r!.body, input.now, seq]);
      await db.query(SQL.applyEdit, [input.body, input.now, JSON.stringify(input.mentions), input.mentionsAll, r!.id]);
      const link = firstLink(input.body);
      // A preview of a link the body no longer starts with goes (its image is swept once unreferenced).
      const dropPreview = stalePreview(r!, link);
      await db.query(
        `UPDATE messages SET has_link = $1, link_preview = CASE WHEN $2 THEN NULL ELSE link_preview END,
           link_preview_image = CASE WHEN $2 THEN NULL ELSE link_preview_image END WHERE id = $3`,
        [link !== null, dropPreview, r!.id],
      );
      const message = await this.one(db, r!.id);
      await indexMessage(db, { ...message, hasFile: message.attachments.length > 0 });
      const event = await this.p.insertEvent(db, { type: 'message.updated', message }, message.conversationId, [], input.now, seq);
      return { message, events: [event] };
    });
  }

  async deleteMessage(input: Parameters<Store['deleteMessage']>[0]): ReturnType<Store['deleteMessage']> {
    return this.p.logTx(async (db) => {
      const id = idOrNone(input.messageId);
      const r = await get<MessageRow>(db, SQL.messageById, [id]);
      const outcome = decideDelete(facts(r), input.actorId, await this.standing(db, input.actorId, r?.conv_id ?? -1));
      if (outcome === 'unchanged') return { message: await this.one(db, r!.id), events: [] as StoredEvent[], releasedBlobs: [] };
      for (const { seq } of await all<{ seq: Int }>(db, SQL.redactionSeqs, [id, id, id, id])) {
        const e = await get<{ payload: string }>(db, SQL.eventPayload, [seq]);
        const redacted = e && redactPayload(e.payload, String(r!.id));
        if (redacted) await db.query(SQL.setEventPayload, [redacted, seq]);
      }
      await db.query(SQL.deleteEditsOf, [id]);
      await db.query(SQL.deleteReactionsOf, [id]);
      await db.query(SQL.tombstone, [id]);
      const releasedBlobs = await releaseMessageFiles(db, id);
      await unindexMessage(db, id);
      const message = await this.one(db, id);
      const conversationId = message.conversationId;
      const payload = { type: 'message.deleted', conversationId, messageId: message.id, by: input.actorId } as const;
      return { message, events: [await this.p.insertEvent(db, payload, conversationId, [], input.now)], releasedBlobs };
    });
  }

  async react(input: Parameters<Store['react']>[0]): ReturnType<Store['react']> {
    return this.p.logTx(async (db) => {
      const [id, uid] = [idOrNone(input.messageId), idOrNone(input.userId)];
      const r = await get<MessageRow>(db, SQL.messageById, [id]);
      const outcome = decideReact({
        message: facts(r),
        isMember: !!r && (await exists(db, SQL.currentMembership, [r.conv_id, uid])),
        on: input.on,
        emoji: input.emoji,
        has: await exists(db, SQL.reaction, [id, input.emoji, uid]),
        distinct: Number((await get<{ n: Int }>(db, SQL.distinctEmoji, [id]))!.n),
        known: await exists(db, SQL.reactionEmojiKnown, [id, input.emoji]),
        max: input.maxDistinct,
      });
      if (outcome === 'unchanged') return { message: await this.one(db, id), events: [] as StoredEvent[] };
      if (input.on) await db.query(SQL.insertReaction, [id, uid, input.emoji, input.now]);
      else await db.query(SQL.deleteReaction, [id, input.emoji, uid]);
      const message = await this.one(db, id);
      const { conversationId } = message;
      const payload = { conversationId, messageId: message.id, emoji: input.emoji, userId: input.userId };
      const type = input.on ? ('reaction.added' as const) : ('reaction.removed' as const);
      return { message, events: [await this.p.insertEvent(db, { type, ...payload }, conversationId, [], input.now)] };
    });
  }

  async messageEdits(messageId: string): Promise<Array<{ body: string; editedAt: string }>> {
    const rows = await all<{ body: string; edited_at: string }>(this.p.pool, SQL.editsOf, [idOrNone(messageId)]);
    return rows.map((e) => ({ body: e.body, editedAt: e.edited_at }));
  }

  async markRead(userId: string, conversationId: string, upTo: string): Promise<StoredEvent[]> {
    return this.p.logTx(async (db) => {
      const [uid, conv] = [idOrNone(userId), idOrNone(conversationId)];
      const m = await get<{ id: Int }>(db, SQL.messageInConversation, [idOrNone(upTo), conv]);
      const cur = await get<{ message_id: Int }>(db, SQL.readPointer, [uid, conv]);
      if (!decideMarkRead({ messageInConversation: !!m, current: cur ? Number(cur.message_id) : null, upTo: Number(upTo) })) return [];
      await db.query(SQL.setReadPointer, [uid, conv, m!.id]);
      const a = await get<{ kind: ConversationKind; hide_read_receipts: boolean }>(db, SQL.readAudience, [conv, uid]);
      const toAll = !!a && readReceiptAudience(a.kind, truthy(a.hide_read_receipts)) === 'conversation';
      const payload = { type: 'read.updated', conversationId, userId, upTo: String(m!.id) } as const;
      return [await this.p.insertEvent(db, payload, toAll ? conversationId : null, toAll ? [] : [userId], new Date().toISOString())];
    });
  }
}
