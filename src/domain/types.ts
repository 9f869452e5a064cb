/** Public shapes of the domain. Ids are strings on the wire; positions are numbers inside. */

export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
  /** The server role: an admin may delete any message anywhere (set by the CLI: `hubbub user role`). */
  role: ServerRole;
}

export type ServerRole = 'admin' | 'member';

/** A user's own settings, never shown to others. */
export interface UserSettings {
  /** Read positions go to the reader alone instead of to the conversation (see read.updated). */
  hideReadReceipts: boolean;
}

export type ConversationKind = 'direct' | 'group' | 'room';

export interface Member {
  id: string;
  username: string;
  displayName: string;
  role: MemberRole;
}

/** A member as a conversation's detail lists them. */
export interface MemberDetail extends Member {
  /**
   * Direct conversations and groups: the last message this member has read
   * (null before any, or when they hide read receipts). Absent in rooms, which
   * publish no read positions.
   */
  readUpTo?: string | null;
}

/** A moderator exists only in rooms, named by the room's owner. */
export type MemberRole = 'owner' | 'moderator' | 'member';

export interface Conversation {
  id: string;
  kind: ConversationKind;
  /** Group or room name; for a direct conversation, null (clients show the other member). */
  name: string | null;
  ownerId: string | null;
  createdAt: string;
}

export interface ConversationDetail extends Conversation {
  members: MemberDetail[];
  memberCount: number;
}

export interface Message {
  id: string;
  conversationId: string;
  senderId: string;
  senderName: string;
  body: string;
  createdAt: string;
  clientMsgId?: string;
  /** When the body last changed; null for a message never edited. */
  editedAt: string | null;
  /** A tombstone: body '', mentions [], reactions []; the position and replyTo stay. */
  deleted: boolean;
  replyTo: ReplyPreview | null;
  /** By emoji, in the order first used; `me` only in REST answers (the viewer's own). */
  reactions: Reaction[];
  /** Ids of the current members named with `@username` when the message was stored or last edited. */
  mentions: string[];
  /** `@room` / `@everyone` from someone allowed to call everyone (owner, moderator, server admin). */
  mentionsAll: boolean;
  /** Files sent with the message, in the order given; [] once deleted. */
  attachments: Attachment[];
  /** The OpenGraph preview of the message's first link, fetched by the server after the send; null until then or when none. */
  linkPreview: LinkPreview | null;
}

/**
 * A file uploaded to a conversation. `url` and `thumbnailUrl` are paths on this
 * server, fetched with the same credentials as the API; images have been
 * re-encoded (no EXIF, no location) and carry their size and a thumbnail.
 */
export interface Attachment {
  id: string;
  /** The file name as given, without any path. */
  name: string;
  /** Bytes, of the stored (for an image, re-encoded) file. */
  size: number;
  /** The MIME type sniffed from the bytes; `application/octet-stream` when unknown. */
  type: string;
  url: string;
  width?: number;
  height?: number;
  thumbnailUrl?: string;
}

/** What the server read from a linked page; the image is served by this server, never hot-linked. */
export interface LinkPreview {
  url: string;
  title: string;
  description: string | null;
  siteName: string | null;
  /** A path on this server (a stored, re-encoded copy), or null. */
  imageUrl: string | null;
}

/** The quoted original of a reply, as it is NOW (clients refresh it on message.updated / message.deleted). */
export interface ReplyPreview {
  id: string;
  senderId: string;
  senderName: string;
  /** The first 140 characters of the original's current body; '' once deleted. */
  preview: string;
  deleted: boolean;
}

export interface Reaction {
  emoji: string;
  /** Exact. */
  count: number;
  /** The first reactors (at most 20, oldest first). */
  userIds: string[];
  /** REST answers only: whether the viewer is among the reactors. */
  me?: boolean;
}

/** A membership or conversation event inside a history page, for the timeline's system lines. */
export type HistoryEvent = Extract<EventPayload, { type: 'member.joined' | 'member.left' | 'member.updated' | 'conversation.updated' }> & {
  at: string;
  cursor: string;
};

export interface ConversationSummary extends Conversation {
  /** The other member, for a direct conversation. */
  peer?: { id: string; username: string; displayName: string };
  memberCount: number;
  unread: number;
  /** Unread messages (after my read pointer, not mine, not deleted) that mention me or everyone. */
  mentions: number;
  lastMessage: Message | null;
  lastReadMessageId: string | null;
}

export interface FriendRequest {
  id: string;
  from: User;
  to: User;
  createdAt: string;
}

export type Presence = 'online' | 'away' | 'offline';

/**
 * Every stored event, as it travels (without `cursor`, which is added from its
 * position). An exhaustive switch over `type` must handle each.
 */
export type EventPayload =
  | { type: 'message.created'; message: Message }
  /** After an edit: the message as it now is. */
  | { type: 'message.updated'; message: Message }
  /** The message became a tombstone; `by` deleted it (the sender, a moderator, an owner or an admin). */
  | { type: 'message.deleted'; conversationId: string; messageId: string; by: string }
  | { type: 'reaction.added'; conversationId: string; messageId: string; emoji: string; userId: string }
  | { type: 'reaction.removed'; conversationId: string; messageId: string; emoji: string; userId: string }
  | { type: 'conversation.created'; conversation: ConversationDetail }
  | { type: 'conversation.updated'; conversation: Conversation }
  | { type: 'member.joined'; conversationId: string; member: Member; by: string | null }
  | { type: 'member.left'; conversationId: string; userId: string; by: string | null; newOwnerId?: string }
  /** A room owner named (role 'moderator') or unnamed (role 'member') a moderator. */
  | { type: 'member.updated'; conversationId: string; userId: string; role: MemberRole; by: string }
  | { type: 'friend.requested'; request: FriendRequest }
  | { type: 'friend.accepted'; requestId: string; users: [User, User] }
  | { type: 'friend.declined'; requestId: string; fromId: string; toId: string }
  | { type: 'friend.removed'; userIds: [string, string] }
  /**
   * To the conversation in direct conversations and groups (everyone sees how far each member read),
   * unless the reader hides receipts; then, and always in rooms, to the reader alone.
   */
  | { type: 'read.updated'; conversationId: string; userId: string; upTo: string }
  // Internal events: no conversation and no targets, so they are in nobody's stream and
  // never reach a client. They ride the log so that every node (and a CLI process writing
  // to the same database) learns of them in order, within its head poll, with or without
  // the bus. The hub acts on them at ingest (see hub/control.ts).
  /** An account was deleted: drop it from audience indexes, close its connections, forget its messages. */
  | { type: 'user.deleted'; userId: string }
  /** Credentials were revoked: one token (`tokenHash`) or, with null, every token of the user. */
  | {
      type: 'auth.revoked';
      userId: string;
      tokenHash: string | null;
      reason: 'logout' | 'logout-all' | 'password' | 'expired' | 'suspended';
    };

export type EventType = EventPayload['type'];

export type StreamEvent = EventPayload & { cursor: string };

/** Live-only signals: never stored, carry no cursor. */
export type Signal =
  | { type: 'typing'; conversationId: string; userId: string; username: string; until: string }
  | { type: 'presence'; userId: string; status: Presence; lastSeen: string | null };

/**
 * A stored event as the store returns it: its position, whom it concerns, and
 * its payload serialized once. Audience = members of `conversationId` whose
 * membership span covers `seq`, plus every id in `targets`.
 */
export interface StoredEvent {
  seq: number;
  type: EventType;
  conversationId: string | null;
  targets: string[];
  /** JSON of the EventPayload (no cursor). */
  payload: string;
}

export interface MembershipChange {
  conversationId: string;
  userId: string;
  op: 'join' | 'leave';
}

/** A period during which a user belongs to a conversation: joinedSeq ≤ seq ≤ leftSeq. */
export interface MembershipSpan {
  userId: string;
  joinedSeq: number;
  leftSeq: number | null;
}
