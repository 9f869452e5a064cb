import { AppError } from './errors.js';
import { checkAttachmentIds } from './rules.js';
import type { ConversationKind, MemberRole, Message, ReplyPreview, ServerRole } from './types.js';

/**
 * The life of a message after it is sent: who may edit, delete and react, and
 * what a deleted message leaves behind. Pure; the stores load the state inside
 * the write's transaction and apply the decision ('apply' writes and records an
 * event, 'unchanged' answers as things are — a retried request applies once).
 */

/** Characters of the original a reply quotes. */
export const PREVIEW_CHARS = 140;
/** Reactors named per emoji (the count is exact). */
export const MAX_REACTORS_SHOWN = 20;

export type Outcome = 'apply' | 'unchanged';

export interface MessageFacts {
  senderId: string;
  deleted: boolean;
  createdAt: string;
}

export interface EditState {
  message: MessageFacts | null;
  editorId: string;
  isMember: boolean;
  sameBody: boolean;
  now: Date;
  /** 0 = no limit. */
  windowSeconds: number;
}

export function decideEdit(s: EditState): Outcome {
  if (!s.message) throw new AppError('MESSAGE_NOT_FOUND');
  if (!s.isMember) throw new AppError('NOT_A_MEMBER');
  if (s.message.senderId !== s.editorId) throw new AppError('NOT_YOUR_MESSAGE');
  if (s.message.deleted) throw new AppError('MESSAGE_DELETED');
  // Before the window: a retry of an edit that went through is answered even once the window has passed.
  if (s.sameBody) return 'unchanged';
  if (s.windowSeconds > 0 && s.now.getTime() - Date.parse(s.message.createdAt) > s.windowSeconds * 1000)
    throw new AppError('EDIT_WINDOW_PASSED');
  return 'apply';
}

export interface Standing {
  /** The actor's server role. */
  serverRole: ServerRole;
  /** The actor's role in the conversation, or null when not a current member. */
  memberRole: MemberRole | null;
  conversation: { kind: ConversationKind; ownerId: string | null };
}

/**
 * A message is deleted by its sender; in a group by the group's owner; in a
 * room by its owner or a moderator; anywhere by a server admin.
 */
export function decideDelete(message: MessageFacts | null, actorId: string, s: Standing): Outcome {
  if (!message) throw new AppError('MESSAGE_NOT_FOUND');
  if (s.serverRole !== 'admin') {
    if (s.memberRole === null) throw new AppError('NOT_A_MEMBER');
    if (message.senderId !== actorId && !moderates(actorId, s)) throw new AppError('NOT_YOUR_MESSAGE');
  }
  return message.deleted ? 'unchanged' : 'apply';
}

/** Owns or moderates the conversation (a direct conversation has neither). */
function moderates(actorId: string, s: Standing): boolean {
  const { kind, ownerId } = s.conversation;
  if (kind === 'group') return ownerId === actorId;
  if (kind === 'room') return ownerId === actorId || s.memberRole === 'owner' || s.memberRole === 'moderator';
  return false;
}

/** `@room` / `@everyone` count only from a group's or room's owner, a room moderator or a server admin. */
export function mayMentionAll(actorId: string, s: Standing): boolean {
  if (s.conversation.kind === 'direct') return false;
  return s.serverRole === 'admin' || (s.memberRole !== null && moderates(actorId, s));
}

export interface ReactState {
  message: MessageFacts | null;
  isMember: boolean;
  on: boolean;
  emoji: string;
  /** The reactor already reacted with this emoji. */
  has: boolean;
  /** How many distinct emoji the message carries, and whether this one is among them. */
  distinct: number;
  known: boolean;
  max: number;
}

export function decideReact(s: ReactState): Outcome {
  if (!s.message) throw new AppError('MESSAGE_NOT_FOUND');
  if (!s.isMember) throw new AppError('NOT_A_MEMBER');
  if (s.message.deleted) throw new AppError('MESSAGE_DELETED');
  if (!s.on) return s.has ? 'apply' : 'unchanged';
  if (s.has) return 'unchanged';
  if (!s.known && s.distinct >= s.max) throw new AppError('TOO_MANY_REACTIONS');
  return 'apply';
}

export interface ModeratorState {
  conversation: { kind: ConversationKind; ownerId: string | null } | null;
  actorId: string;
  /** The target's current role, or null when not a member. */
  target: MemberRole | null;
  on: boolean;
}

/** Only a room's owner names moderators, among the room's members. */
export function decideModerator(s: ModeratorState): Outcome {
  if (!s.conversation) throw new AppError('CONVERSATION_NOT_FOUND');
  if (s.conversation.kind !== 'room') throw new AppError('INVALID_OPERATION', 'Moderators exist only in rooms.');
  if (s.conversation.ownerId !== s.actorId) throw new AppError('NOT_OWNER');
  if (s.target === null) throw new AppError('USER_NOT_FOUND', 'That user is not a member.');
  if (s.target === 'owner') throw new AppError('INVALID_OPERATION', 'The owner is not named a moderator.');
  return (s.target === 'moderator') === s.on ? 'unchanged' : 'apply';
}

/** What a reply shows of its original: the current body's start, or nothing once deleted or gone. */
export function previewOf(
  id: string,
  original: { senderId: string; senderName: string; body: string; deleted: boolean } | null,
): ReplyPreview {
  if (!original) return { id, senderId: '', senderName: '', preview: '', deleted: true };
  const deleted = original.deleted;
  return {
    id,
    senderId: original.senderId,
    senderName: original.senderName,
    preview: deleted ? '' : [...original.body].slice(0, PREVIEW_CHARS).join(''),
    deleted,
  };
}

/** What stays of a deleted message: its position, sender, time and the reply it was; no content, no files, no preview. */
export function tombstoneOf(m: Message): Message {
  return { ...m, body: '', deleted: true, reactions: [], mentions: [], mentionsAll: false, attachments: [], linkPreview: null };
}

/**
 * The payload of a stored `message.created` / `message.updated` event once
 * `messageId` is deleted: the message itself becomes its tombstone, a reply
 * to it loses its quote. Null when the event names neither. The store
 * rewrites its events and every node its memory with this one function, so
 * both serve the same bytes.
 */
export function redactPayload(payload: string, messageId: string): string | null {
  const p = JSON.parse(payload) as { type: string; message?: Message };
  if ((p.type !== 'message.created' && p.type !== 'message.updated') || !p.message) return null;
  if (p.message.id === messageId) {
    if (p.message.deleted) return null;
    return JSON.stringify({ ...p, message: tombstoneOf(p.message) });
  }
  const quoted = p.message.replyTo;
  if (quoted?.id === messageId && !(quoted.deleted && quoted.preview === '')) {
    return JSON.stringify({ ...p, message: { ...p.message, replyTo: { ...quoted, preview: '', deleted: true } } });
  }
  return null;
}

/** An uploaded file as the send decision sees it. */
export interface AttachmentFacts {
  id: string;
  conversationId: string;
  uploaderId: string;
  /** The message that carries it, or null while unsent. */
  messageId: string | null;
}

/**
 * Whether a message may carry these uploads (ids in the order given, `found`
 * the rows that exist among them): the shape of the list (checkAttachmentIds), each
 * uploaded by the sender to this conversation (else ATTACHMENT_NOT_FOUND: a
 * file of someone else's is not told apart from none) and not yet sent.
 */
export function decideAttachments(
  ids: readonly string[],
  found: readonly AttachmentFacts[],
  send: { conversationId: string; senderId: string },
): void {
  checkAttachmentIds(ids);
  const byId = new Map(found.map((a) => [a.id, a]));
  for (const id of ids) {
    const a = byId.get(id);
    if (!a || a.conversationId !== send.conversationId || a.uploaderId !== send.senderId) throw new AppError('ATTACHMENT_NOT_FOUND');
  }
  if (ids.some((id) => byId.get(id)!.messageId !== null)) throw new AppError('ATTACHMENT_ALREADY_SENT');
}

/** The message as answered to one viewer: `me` on each reaction. */
export function forViewer(m: Message, viewerId: string | null): Message {
  if (m.reactions.length === 0) return m;
  return { ...m, reactions: m.reactions.map((r) => ({ ...r, me: viewerId !== null && r.userIds.includes(viewerId) })) };
}
