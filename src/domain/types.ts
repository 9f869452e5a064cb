/** Public shapes of the domain. Ids are strings on the wire; positions are numbers inside. */

export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
}

export type ConversationKind = 'direct' | 'group' | 'room';

export interface Member {
  id: string;
  username: string;
  displayName: string;
  role: 'owner' | 'member';
}

export interface Conversation {
  id: string;
  kind: ConversationKind;
  /** Group or room name; for a direct conversation, null (clients show the other member). */
  name: string | null;
  ownerId: string | null;
  createdAt: string;
}

export interface ConversationDetail extends Conversation {
  members: Member[];
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
}

export interface ConversationSummary extends Conversation {
  /** The other member, for a direct conversation. */
  peer?: { id: string; username: string; displayName: string };
  memberCount: number;
  unread: number;
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
  | { type: 'conversation.created'; conversation: ConversationDetail }
  | { type: 'conversation.updated'; conversation: Conversation }
  | { type: 'member.joined'; conversationId: string; member: Member; by: string | null }
  | { type: 'member.left'; conversationId: string; userId: string; by: string | null; newOwnerId?: string }
  | { type: 'friend.requested'; request: FriendRequest }
  | { type: 'friend.accepted'; requestId: string; users: [User, User] }
  | { type: 'friend.declined'; requestId: string; fromId: string; toId: string }
  | { type: 'friend.removed'; userIds: [string, string] }
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
