import { idOrNone } from '../domain/ids.js';
import { decideDelete, decideEdit, decideReact, redactPayload } from '../domain/messages.js';
import { decidePost } from '../domain/posting.js';
import { decideMarkRead, readReceiptAudience } from '../domain/read-pointer.js';
import type { ConversationKind, MemberRole, Message, ServerRole, StoredEvent } from '../domain/types.js';
import { AppError } from '../domain/errors.js';
import { firstLink } from '../domain/search-text.js';
import { type AttachmentRow, type MessageRow, type ReactionRow, messagesOf, replyIdsOf, stalePreview } from './message-rows.js';
import { type ConversationRow, type Int, truthy } from './rows.js';
import { SQL } from './sql.js';
import { SqliteAccounts } from './sqlite-accounts.js';
import { bindAttachments, checkAttachments, releaseMessageFiles } from './sqlite-files.js';
import { indexMessage, unindexMessage } from './sqlite-search.js';
import type { Store } from './store.js';

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * The messages part of SqliteStore: send, edit, delete, react, read, history.
 * Each write loads what its decision (domain/messages.ts, posting.ts,
 * read-pointer.ts) needs, applies it and writes with its event, in one
 * synchronous transaction.
 */
export abstract class SqliteMessages extends SqliteAccounts {
  /** Rows with their reactions, their files and the current preview of what they reply to: a few queries for a whole page. */
  protected hydrate(rows: MessageRow[]): Message[] {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const reactions = this.d.all<ReactionRow>(
      `SELECT message_id, emoji, user_id FROM reactions WHERE message_id IN (${marks(ids.length)}) ORDER BY id`,
      ...ids,
    );
    const replyIds = replyIdsOf(rows);
    const originals =
      replyIds.length === 0 ? [] : this.d.all<MessageRow>(`SELECT * FROM messages WHERE id IN (${marks(replyIds.length)})`, ...replyIds);
    const files = this.d.all<AttachmentRow>(
      `SELECT * FROM attachments WHERE message_id IN (${marks(ids.length)}) ORDER BY message_id, position`,
      ...ids,
    );
    return messagesOf(rows, reactions, originals, files);
  }
  protected one(id: Int): Message {
    return this.hydrate([this.d.get<MessageRow>(SQL.messageById, id)!])[0]!;
  }

  async membersByUsernames(conversationId: string, usernames: readonly string[]): Promise<Array<{ id: string; username: string }>> {
    if (usernames.length === 0) return [];
    return this.d
      .all<{ id: Int; username: string }>(
        `SELECT u.id, u.username FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.conv_id = ? AND m.left_seq IS NULL AND u.username IN (${marks(usernames.length)})`,
        idOrNone(conversationId),
        ...usernames,
      )
      .map((r) => ({ id: String(r.id), username: r.username }));
  }

  async appendMessage(input: Parameters<Store['appendMessage']>[0]): ReturnType<Store['appendMessage']> {
    return this.d.tx(() => {
      const [conv, sender] = [idOrNone(input.conversationId), idOrNone(input.senderId)];
      if (input.clientMsgId != null) {
        const dup = this.d.get<MessageRow>(SQL.messageBySenderKey, sender, input.clientMsgId);
        if (dup) return { message: this.hydrate([dup])[0]!, events: [] as StoredEvent[], duplicate: true };
      }
      // Decided here, in the write's transaction: a leave or unfriend that committed before it is seen.
      const u = this.user(sender);
      const c = this.d.get<ConversationRow>(SQL.conversationById, conv);
      const peer = c?.kind === 'direct' ? this.d.get<{ user_id: Int }>(SQL.peer, conv, sender) : undefined;
      decidePost({
        senderExists: !!u,
        conversation: c ?? null,
        isMember: this.d.exists(SQL.currentMembership, conv, sender),
        friendsWithPeer: !!peer && this.friends(sender, String(peer.user_id)),
      });
      const files = input.attachmentIds ?? [];
      checkAttachments(this.d, files, { conversationId: input.conversationId, senderId: input.senderId });
      const seq = this.d.nextSeq();
      const row = this.d.get<MessageRow>(
        `INSERT INTO messages (conv_id, sender_id, sender_name, body, client_msg_id, created_at, reply_to_id, mentions, mentions_all, seq, has_link)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        conv,
        sender,
        u!.display_name,
        input.body,
        input.clientMsgId,
        input.now,
        input.replyTo == null ? null : idOrNone(input.replyTo),
        JSON.stringify(input.mentions ?? []),
        input.mentionsAll ? 1 : 0,
        seq,
        firstLink(input.body) === null ? 0 : 1,
      )!;
      bindAttachments(this.d, files, row.id);
      indexMessage(this.d, { ...input, id: row.id, hasFile: files.length > 0 });
      const message = this.hydrate([row])[0]!;
      // The sender has read what they wrote.
      this.d.run(SQL.setReadPointer, sender, conv, row.id);
      const event = this.d.insertEvent({ type: 'message.created', message }, input.conversationId, [], input.now);
      return { message, events: [event], duplicate: false };
    });
  }

  async getMessage(id: string): Promise<Message | null> {
    const r = this.d.get<MessageRow>(SQL.messageById, idOrNone(id));
    return r ? this.hydrate([r])[0]! : null;
  }
  async listMessages(conversationId: string, before: string | null, limit: number): Promise<Message[]> {
    const conv = idOrNone(conversationId);
    const rows =
      before == null
        ? this.d.all<MessageRow>(SQL.messagesLatest, conv, limit)
        : this.d.all<MessageRow>(SQL.messagesBefore, conv, idOrNone(before), limit);
    return this.hydrate(rows.reverse());
  }
  async listMessagesAround(conversationId: string, around: string, limit: number) {
    const [conv, id] = [idOrNone(conversationId), idOrNone(around)];
    if (!this.d.exists(SQL.messageInConversation, id, conv)) throw new AppError('MESSAGE_NOT_FOUND');
    const half = Math.floor((limit - 1) / 2);
    const before = this.d.all<MessageRow>(SQL.messagesBefore, conv, id, half + 1).reverse();
    const after = this.d.all<MessageRow>(SQL.messagesFrom, conv, id, limit - half + 1);
    const hasBefore = before.length > half;
    const hasAfter = after.length > limit - half;
    return { messages: this.hydrate([...(hasBefore ? before.slice(1) : before), ...after.slice(0, limit - half)]), hasBefore, hasAfter };
  }
  async systemEvents(conversationId: string, range: { from: string | null; to: string | null }, limit: number) {
    const conv = idOrNone(conversationId);
    const low = range.from == null ? 0 : Number(this.d.get<{ seq: Int | null }>(SQL.seqBefore, conv, idOrNone(range.from))?.seq ?? 0);
    const toSeq = range.to == null ? null : this.d.get<{ seq: Int | null }>(SQL.seqOf, idOrNone(range.to))?.seq;
    const high = toSeq == null ? Number.MAX_SAFE_INTEGER : Number(toSeq);
    const rows = this.d.all<{ seq: Int; type: StoredEvent['type']; conv_id: Int; payload: string; created_at: string }>(
      SQL.systemEvents,
      conv,
      low,
      high,
      limit,
    );
    return rows
      .reverse()
      .map((r) => ({ seq: Number(r.seq), type: r.type, conversationId, targets: [], payload: r.payload, at: r.created_at }));
  }

  private standing(actorId: string, conv: Int) {
    const s = this.d.get<{ server_role: ServerRole; kind: ConversationKind; owner_id: Int | null; member_role: MemberRole | null }>(
      SQL.standing,
      idOrNone(actorId),
      conv,
    );
    return {
      serverRole: s?.server_role ?? 'member',
      memberRole: s?.member_role ?? null,
      conversation: { kind: s?.kind ?? 'direct', ownerId: s?.owner_id == null ? null : String(s.owner_id) },
    } as const;
  }
  private facts(r: MessageRow | undefined) {
    return r ? { senderId: String(r.sender_id), deleted: truthy(r.deleted), createdAt: r.created_at } : null;
  }

  async editMessage(input: Parameters<Store['editMessage']>[0]): ReturnType<Store['editMessage']> {
    return this.d.tx(() => {
      const r = this.d.get<MessageRow>(SQL.messageById, idOrNone(input.messageId));
      const outcome = decideEdit({
        message: this.facts(r),
        editorId: input.editorId,
        isMember: !!r && this.d.exists(SQL.currentMembership, r.conv_id, idOrNone(input.editorId)),
        sameBody: r?.body === input.body,
        now: new Date(input.now),
        windowSeconds: input.windowSeconds,
      });
      if (outcome === 'unchanged') return { message: this.one(r!.id), events: [] as StoredEvent[], releasedBlobs: [] };
      const seq = this.d.nextSeq();
      this.d.run(SQL.insertEdit, r!.id, r!.body, input.now, seq);
      this.d.run(SQL.applyEdit, input.body, input.now, JSON.stringify(input.mentions), input.mentionsAll ? 1 : 0, r!.id);
      const link = firstLink(input.body);
      this.d.run('UPDATE messages SET has_link = ? WHERE id = ?', link === null ? 0 : 1, r!.id);
      // A preview of a link the body no longer starts with goes (its image is swept once unreferenced).
      if (stalePreview(r!, link)) this.d.run('UPDATE messages SET link_preview = NULL, link_preview_image = NULL WHERE id = ?', r!.id);
      const message = this.one(r!.id);
      indexMessage(this.d, { ...message, hasFile: message.attachments.length > 0 });
      return { message, events: [this.d.insertEvent({ type: 'message.updated', message }, message.conversationId, [], input.now)] };
    });
  }

  async deleteMessage(input: Parameters<Store['deleteMessage']>[0]): ReturnType<Store['deleteMessage']> {
    return this.d.tx(() => {
      const id = idOrNone(input.messageId);
      const r = this.d.get<MessageRow>(SQL.messageById, id);
      const outcome = decideDelete(this.facts(r), input.actorId, this.standing(input.actorId, r?.conv_id ?? -1));
      if (outcome === 'unchanged') return { message: this.one(r!.id), events: [] as StoredEvent[], releasedBlobs: [] };
      for (const { seq } of this.d.all<{ seq: Int }>(SQL.redactionSeqs, id, id, id, id)) {
        const e = this.d.get<{ payload: string }>(SQL.eventPayload, seq);
        const redacted = e && redactPayload(e.payload, String(r!.id));
        if (redacted) this.d.run(SQL.setEventPayload, redacted, seq);
      }
      this.d.run(SQL.deleteEditsOf, id);
      this.d.run(SQL.deleteReactionsOf, id);
      this.d.run(SQL.tombstone, id);
      const releasedBlobs = releaseMessageFiles(this.d, id);
      unindexMessage(this.d, id);
      const message = this.one(id);
      const conversationId = message.conversationId;
      const payload = { type: 'message.deleted', conversationId, messageId: message.id, by: input.actorId } as const;
      return { message, events: [this.d.insertEvent(payload, conversationId, [], input.now)], releasedBlobs };
    });
  }

  async react(input: Parameters<Store['react']>[0]): ReturnType<Store['react']> {
    return this.d.tx(() => {
      const [id, uid] = [idOrNone(input.messageId), idOrNone(input.userId)];
      const r = this.d.get<MessageRow>(SQL.messageById, id);
      const outcome = decideReact({
        message: this.facts(r),
        isMember: !!r && this.d.exists(SQL.currentMembership, r.conv_id, uid),
        on: input.on,
        emoji: input.emoji,
        has: this.d.exists(SQL.reaction, id, input.emoji, uid),
        distinct: Number(this.d.get<{ n: Int }>(SQL.distinctEmoji, id)!.n),
        known: this.d.exists(SQL.reactionEmojiKnown, id, input.emoji),
        max: input.maxDistinct,
      });
      if (outcome === 'unchanged') return { message: this.one(id), events: [] as StoredEvent[] };
      if (input.on) this.d.run(SQL.insertReaction, id, uid, input.emoji, input.now);
      else this.d.run(SQL.deleteReaction, id, input.emoji, uid);
      const message = this.one(id);
      const { conversationId } = message;
      const payload = { conversationId, messageId: message.id, emoji: input.emoji, userId: input.userId };
      const type = input.on ? ('reaction.added' as const) : ('reaction.removed' as const);
      return { message, events: [this.d.insertEvent({ type, ...payload }, conversationId, [], input.now)] };
    });
  }

  async messageEdits(messageId: string): Promise<Array<{ body: string; editedAt: string }>> {
    return this.d
      .all<{ body: string; edited_at: string }>(SQL.editsOf, idOrNone(messageId))
      .map((e) => ({ body: e.body, editedAt: e.edited_at }));
  }

  async markRead(userId: string, conversationId: string, upTo: string): Promise<StoredEvent[]> {
    return this.d.tx(() => {
      const [uid, conv, msg] = [idOrNone(userId), idOrNone(conversationId), idOrNone(upTo)];
      const m = this.d.get<{ id: Int }>(SQL.messageInConversation, msg, conv);
      const cur = this.d.get<{ message_id: Int }>(SQL.readPointer, uid, conv);
      if (!decideMarkRead({ messageInConversation: !!m, current: cur ? Number(cur.message_id) : null, upTo: Number(msg) })) return [];
      this.d.run(SQL.setReadPointer, uid, conv, m!.id);
      const a = this.d.get<{ kind: ConversationKind; hide_read_receipts: Int }>(SQL.readAudience, conv, uid);
      const toAll = !!a && readReceiptAudience(a.kind, truthy(a.hide_read_receipts)) === 'conversation';
      const payload = { type: 'read.updated', conversationId, userId, upTo: String(m!.id) } as const;
      return [this.d.insertEvent(payload, toAll ? conversationId : null, toAll ? [] : [userId], new Date().toISOString())];
    });
  }
}
