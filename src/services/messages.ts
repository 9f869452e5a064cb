import { checkEmoji } from '../domain/emoji.js';
import { AppError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';
import { mentionTokens, resolveMentions } from '../domain/mentions.js';
import { forViewer, mayMentionAll } from '../domain/messages.js';
import { decidePost } from '../domain/posting.js';
import { checkAttachmentIds, MAX_CLIENT_MSG_ID, normalizeBody } from '../domain/rules.js';
import type { ConversationKind, EventPayload, HistoryEvent, Member, Message, User, UserSettings } from '../domain/types.js';
import { encodeCursor } from '../domain/cursor.js';
import { ConversationAccess } from './access.js';

export interface SendOptions {
  /** The message this one answers: of the same conversation (MESSAGE_NOT_FOUND otherwise), deleted or not. */
  replyTo?: string | null;
  /** Throws when the caller's connection was revoked meanwhile; runs last, right before the write. */
  live?: () => void;
  /** Ids of files uploaded to this conversation to send with the message (then the body may be empty); at most 10. */
  attachments?: readonly string[];
}

export interface HistoryQuery {
  before?: string | null;
  around?: string | null;
  limit: number;
}

export interface HistoryPage {
  messages: Message[];
  /** The membership and naming events inside the page's range, for system lines. */
  events: HistoryEvent[];
  hasBefore: boolean;
  hasAfter: boolean;
}

/** System lines one history page carries at most (a busy room's joins would otherwise be unbounded). */
const MAX_PAGE_EVENTS = 200;
const noop = () => undefined;

/**
 * A message's life: send, edit, delete, react, read, history. The rules are
 * the domain's (messages.ts, mentions.ts, emoji.ts, posting.ts); the store
 * decides again inside each write's transaction, so what is asked here only
 * refuses early and gathers what the write needs (mentions resolved against
 * the current members). Answers carry `me` on reactions for the caller.
 */
export class MessageService extends ConversationAccess {
  /** Told of every message stored or edited, after its commit (link previews start here); must not throw or block. */
  onSent: (message: Message) => void = noop;
  /**
   * Told of file bytes a delete left unreferenced (the store's releasedBlobs),
   * after the commit (AttachmentService.release removes them). Awaited, so a
   * delete's answer comes after the bytes are gone; must not throw (what it
   * misses, the sweep removes).
   */
  releaseBlobs: (keys: readonly string[]) => Promise<void> = async () => undefined;

  /**
   * Who may post is decided by the store, inside the append's own transaction
   * (decidePost): a leave or an unfriend committing at the same moment is seen
   * there, so a non-member's message is never stored
   * (test/integration/send-leave-race.test.ts). The same decision is asked here
   * first, on plain reads, only to refuse early without queueing a write.
   * `live` (or opts.live) throws when the caller's connection was revoked
   * meanwhile; it runs last, right before the write.
   */
  async send(
    me: User,
    conversationId: string,
    rawBody: string,
    clientMsgId: string | null,
    opts: SendOptions | (() => void) = {},
  ): Promise<{ message: Message; duplicate: boolean }> {
    const { replyTo = null, live = noop, attachments = [] } = typeof opts === 'function' ? { live: opts } : opts;
    const attachmentIds = checkAttachmentIds(attachments);
    const body = normalizeBody(rawBody, { allowEmpty: attachmentIds.length > 0 });
    if (clientMsgId !== null && (clientMsgId.length === 0 || clientMsgId.length > MAX_CLIENT_MSG_ID))
      throw new AppError('VALIDATION_FAILED', 'clientMsgId is 1–64 characters.');
    const { kind, member } = await this.mayPost(me, conversationId);
    if (replyTo !== null) {
      const original = isId(replyTo) ? await this.store.getMessage(replyTo) : null;
      if (!original || original.conversationId !== conversationId) throw new AppError('MESSAGE_NOT_FOUND');
    }
    const mentions = await this.mentionsOf(me, conversationId, kind, member, body);
    live();
    const r = await this.store.appendMessage({
      conversationId,
      senderId: me.id,
      body,
      clientMsgId,
      now: this.now(),
      replyTo,
      ...mentions,
      ...(attachmentIds.length > 0 ? { attachmentIds } : {}),
    });
    const sent = await this.commit(r.events, { message: forViewer(r.message, me.id), duplicate: r.duplicate });
    if (!r.duplicate) this.onSent(r.message);
    return sent;
  }

  /**
   * The early answer to "may `me` post here?" (decidePost on plain reads; the
   * store decides again in the write's transaction). Uploads ask it too: a
   * file goes where its sender may post.
   */
  async mayPost(me: User, conversationId: string): Promise<{ kind: ConversationKind; member: Member }> {
    const kind = await this.kindOf(conversationId);
    const member = await this.store.getMember(conversationId, me.id);
    decidePost({
      senderExists: true,
      conversation: { kind },
      isMember: !!member,
      friendsWithPeer: !!member && kind === 'direct' && (await this.friendsWithPeer(me, conversationId)),
    });
    return { kind, member: member! };
  }

  /**
   * readable()'s rule (rooms: anyone; otherwise current members) without
   * loading the member list: a page of thumbnails in a 5,000-member room
   * asks it once per image.
   */
  async readableKind(viewer: User | null, conversationId: string): Promise<ConversationKind> {
    const kind = await this.kindOf(conversationId);
    if (kind === 'room') return kind;
    if (!viewer) throw new AppError('AUTH_REQUIRED');
    if (!(await this.store.getMember(conversationId, viewer.id))) throw new AppError('NOT_A_MEMBER');
    return kind;
  }

  /** A direct conversation has two members: loading them is cheap. */
  private async friendsWithPeer(me: User, conversationId: string): Promise<boolean> {
    const conv = await this.store.getConversation(conversationId);
    const other = conv?.members.find((m) => m.id !== me.id);
    return !!other && (await this.store.areFriends(me.id, other.id));
  }

  /**
   * Mentions against the current members: only the named usernames are looked
   * up, and the conversation's owner only when @room/@everyone is used, so a
   * plain send in a large room loads no member list.
   */
  private async mentionsOf(me: User, conversationId: string, kind: ConversationKind, member: Member, body: string) {
    const tokens = mentionTokens(body);
    if (kind === 'direct' || (tokens.names.length === 0 && !tokens.all)) return { mentions: [], mentionsAll: false };
    const members = tokens.names.length > 0 ? await this.store.membersByUsernames(conversationId, tokens.names) : [];
    let mayAll = false;
    if (tokens.all) {
      const conv = await this.store.getConversation(conversationId);
      const fresh = await this.store.getUser(me.id);
      mayAll = !!conv && mayMentionAll(me.id, { serverRole: fresh?.role ?? 'member', memberRole: member.role, conversation: conv });
    }
    return resolveMentions(tokens, members, mayAll);
  }

  async editMessage(me: User, messageId: string, rawBody: string, live: () => void = noop): Promise<Message> {
    const body = normalizeBody(rawBody);
    const current = await this.existing(messageId);
    const member = await this.store.getMember(current.conversationId, me.id);
    if (!member) throw new AppError('NOT_A_MEMBER');
    const kind = await this.kindOf(current.conversationId);
    const mentions = await this.mentionsOf(me, current.conversationId, kind, member, body);
    live();
    const r = await this.store.editMessage({
      messageId,
      editorId: me.id,
      body,
      ...mentions,
      now: this.now(),
      windowSeconds: this.limits.editWindowSeconds,
    });
    const edited = await this.commit(r.events, forViewer(r.message, me.id));
    if (r.events.length > 0) this.onSent(r.message);
    return edited;
  }

  async deleteMessage(me: User, messageId: string, live: () => void = noop): Promise<Message> {
    if (!isId(messageId)) throw new AppError('MESSAGE_NOT_FOUND');
    live();
    const r = await this.store.deleteMessage({ messageId, actorId: me.id, now: this.now() });
    const deleted = await this.commit(r.events, forViewer(r.message, me.id));
    if (r.releasedBlobs.length > 0) await this.releaseBlobs(r.releasedBlobs);
    return deleted;
  }

  async react(me: User, messageId: string, rawEmoji: string, on: boolean, live: () => void = noop): Promise<Message> {
    const emoji = checkEmoji(rawEmoji);
    if (!isId(messageId)) throw new AppError('MESSAGE_NOT_FOUND');
    live();
    const r = await this.store.react({
      messageId,
      userId: me.id,
      emoji,
      on,
      maxDistinct: this.limits.maxReactionsPerMessage,
      now: this.now(),
    });
    return this.commit(r.events, forViewer(r.message, me.id));
  }

  /** Members only (of a room too: what was said before is shown, not what it said before). */
  async messageEdits(me: User, messageId: string): Promise<Array<{ body: string; editedAt: string }>> {
    const m = await this.existing(messageId);
    if (!(await this.store.getMember(m.conversationId, me.id))) throw new AppError('NOT_A_MEMBER');
    return m.deleted ? [] : this.store.messageEdits(messageId);
  }

  private async existing(messageId: string): Promise<Message> {
    const m = isId(messageId) ? await this.store.getMessage(messageId) : null;
    if (!m) throw new AppError('MESSAGE_NOT_FOUND');
    return m;
  }

  /** A page of history (newest last), `before` a message or `around` one, with its system lines. */
  async history(viewer: User | null, conversationId: string, q: HistoryQuery): Promise<HistoryPage> {
    await this.readable(viewer, conversationId);
    let page: { messages: Message[]; hasBefore: boolean; hasAfter: boolean };
    if (q.around != null) {
      const target = isId(q.around) ? await this.store.getMessage(q.around) : null;
      if (!target || target.conversationId !== conversationId) throw new AppError('MESSAGE_NOT_FOUND');
      page = await this.store.listMessagesAround(conversationId, q.around, q.limit);
    } else {
      const rows = await this.store.listMessages(conversationId, q.before ?? null, q.limit + 1);
      const hasBefore = rows.length > q.limit;
      page = { messages: hasBefore ? rows.slice(1) : rows, hasBefore, hasAfter: q.before != null };
    }
    const first = page.messages[0];
    const last = page.messages.at(-1);
    const range = { from: page.hasBefore && first ? first.id : null, to: page.hasAfter && last ? last.id : null };
    const events = (await this.store.systemEvents(conversationId, range, MAX_PAGE_EVENTS)).map(
      (e) => ({ ...(JSON.parse(e.payload) as EventPayload), at: e.at, cursor: encodeCursor(e.seq) }) as HistoryEvent,
    );
    const viewerId = viewer?.id ?? null;
    return { ...page, messages: page.messages.map((m) => forViewer(m, viewerId)), events };
  }

  async markRead(me: User, conversationId: string, upTo: string, live: () => void = noop): Promise<void> {
    const conv = await this.readable(me, conversationId);
    if (!conv.members.some((m) => m.id === me.id)) throw new AppError('NOT_A_MEMBER');
    if (!isId(upTo)) throw new AppError('MESSAGE_NOT_FOUND');
    live();
    await this.commit(await this.store.markRead(me.id, conversationId, upTo), undefined);
  }

  async settings(me: User): Promise<UserSettings> {
    const s = await this.store.getSettings(me.id);
    if (!s) throw new AppError('USER_NOT_FOUND');
    return s;
  }

  async updateSettings(me: User, patch: Partial<UserSettings>): Promise<UserSettings> {
    const s = await this.store.setSettings(me.id, patch);
    if (!s) throw new AppError('USER_NOT_FOUND');
    return s;
  }
}
