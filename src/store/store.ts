import type {
  Conversation,
  ConversationDetail,
  ConversationKind,
  ConversationSummary,
  FriendRequest,
  EventPayload,
  Member,
  MembershipSpan,
  Message,
  ServerRole,
  StoredEvent,
  User,
  UserSettings,
} from '../domain/types.js';
import type { FileRecords, SearchIndex } from './store-files.js';

export type { SearchQuery, StoredAttachment } from './store-files.js';

export type RevokeReason = Extract<EventPayload, { type: 'auth.revoked' }>['reason'];

export interface AuthTokenInfo {
  tokenHash: string;
  kind: 'session' | 'bearer';
  /** ms since the epoch (wall clock: shown to people); null for credentials made before this was recorded. */
  createdAt: number | null;
  lastUsedAt: number | null;
  userAgent: string | null;
  ip: string | null;
  expiresAt: number;
}

/**
 * The persistence boundary. The database is the log: every state change that
 * others must learn about is written in the same transaction as its event, and
 * the event's `seq` comes from one strictly increasing sequence.
 *
 * Invariants every implementation keeps (test/contract/store.contract.ts):
 * - A write method that returns events has committed them; their seqs are
 *   strictly increasing in the order they are returned.
 * - `readEvents(after)` never returns an event while a smaller seq can still
 *   commit: an event is visible only once every smaller position is settled
 *   (committed or never to appear). So a reader may move past what it read.
 * - Domain rules that need a consistent view (owner hand-over, idempotent
 *   send, friendship state, who may post) are decided inside the write's
 *   transaction, by the pure decisions of src/domain/ on state loaded there.
 * - Failed writes change nothing.
 */
export interface Store extends FileRecords, SearchIndex {
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;

  // ── users and credentials ──────────────────────────────────────────────
  createUser(input: { username: string; displayName: string; passwordHash: string }): Promise<User>;
  getUser(id: string): Promise<User | null>;
  getUserByUsername(username: string): Promise<(User & { passwordHash: string }) | null>;
  searchUsers(prefix: string, limit: number): Promise<User[]>;
  listUsers(limit: number, offset: number): Promise<User[]>;
  setPassword(userId: string, passwordHash: string): Promise<boolean>;
  /** The user as changed, or null when there is no such user. Messages keep the name they were sent under. */
  setDisplayName(userId: string, displayName: string): Promise<User | null>;
  /**
   * Deletes an account and what it owns: credentials, friendships, requests,
   * memberships, read pointers, its messages and their events, and writes an
   * internal `user.deleted` event in the same transaction (so every node drops
   * the user from its audience index and live sessions). The caller first
   * removes the user from groups and rooms (so ownership is handed over and
   * others see them leave). Returns that event, or nothing when there was no
   * such user. Ids are never reused, so nothing of the deleted account can
   * reach a later sign-up under the same id.
   */
  deleteUser(userId: string): Promise<StoredEvent[]>;
  /** The server role (CLI: `hubbub user role`). No event: permissions are decided on the role read inside each write. */
  setUserRole(userId: string, role: ServerRole): Promise<User | null>;
  /** A user's own settings; null when there is no such user. */
  getSettings(userId: string): Promise<UserSettings | null>;
  setSettings(userId: string, patch: Partial<UserSettings>): Promise<UserSettings | null>;

  /** `createdAt` (ms, wall clock, default now) also starts `lastUsedAt`. */
  createAuthToken(input: {
    tokenHash: string;
    userId: string;
    kind: 'session' | 'bearer';
    csrfToken: string | null;
    expiresAt: number;
    createdAt?: number;
    userAgent?: string | null;
    ip?: string | null;
  }): Promise<void>;
  getAuthToken(
    tokenHash: string,
  ): Promise<{ userId: string; kind: 'session' | 'bearer'; csrfToken: string | null; expiresAt: number; lastUsedAt: number | null } | null>;
  /** Records use for the session list; callers write it at most once a minute per token, never per request. */
  touchAuthToken(tokenHash: string, at: number): Promise<void>;
  /** Every credential of a user, expired ones included, oldest first (the session list filters). */
  listAuthTokens(userId: string): Promise<AuthTokenInfo[]>;
  /**
   * Revokes one credential and writes `auth.revoked` for it in the same
   * transaction; nothing (no event) when it did not exist.
   */
  deleteAuthToken(tokenHash: string, reason: RevokeReason): Promise<StoredEvent[]>;
  /**
   * Revokes every credential of a user but `exceptTokenHash`, with `auth.revoked`
   * in the same transaction: one event naming all (`tokenHash: null`), or, when a
   * session is kept, one per revoked token so the kept one is never named.
   * Nothing (no event) when no credential went.
   */
  deleteAuthTokensOfUser(userId: string, reason: RevokeReason, exceptTokenHash?: string): Promise<StoredEvent[]>;
  /** A cheap real write outside the log (readiness: can this node write?). */
  probeWrite(): Promise<void>;

  // ── friends ────────────────────────────────────────────────────────────
  /** Asks `toId` for friendship. If `toId` already asked `fromId`, accepts that request instead. */
  requestFriendship(fromId: string, toId: string, now: string): Promise<StoredEvent[]>;
  /** `userId` must be the recipient of the pending request. */
  answerFriendRequest(requestId: string, userId: string, accept: boolean, now: string): Promise<StoredEvent[]>;
  removeFriendship(userId: string, friendId: string): Promise<StoredEvent[]>;
  areFriends(a: string, b: string): Promise<boolean>;
  listFriends(userId: string): Promise<User[]>;
  listFriendRequests(userId: string): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }>;

  // ── conversations and membership ───────────────────────────────────────
  /** The one direct conversation of two users, created (with its event) on first use. */
  getOrCreateDirect(a: string, b: string, now: string): Promise<{ conversation: Conversation; events: StoredEvent[] }>;
  createConversation(input: {
    kind: 'group' | 'room';
    name: string;
    ownerId: string | null;
    memberIds: string[];
    now: string;
  }): Promise<{ conversation: ConversationDetail; events: StoredEvent[] }>;
  getConversation(id: string): Promise<ConversationDetail | null>;
  getRoomByName(name: string): Promise<Conversation | null>;
  listRooms(): Promise<Array<Conversation & { memberCount: number; lastMessageAt: string | null }>>;
  renameConversation(id: string, name: string, by: string): Promise<StoredEvent[]>;
  getMember(conversationId: string, userId: string): Promise<Member | null>;
  /** Adds a member; fails with ALREADY_MEMBER. */
  addMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]>;
  /** Removes a member; a leaving owner hands the group to the longest-standing member. */
  removeMember(conversationId: string, userId: string, by: string | null): Promise<StoredEvent[]>;
  listConversationsOf(userId: string): Promise<ConversationSummary[]>;
  /**
   * Ids of the conversations the user currently belongs to, of the given kinds,
   * with nothing computed about them: the cheap question (presence, account
   * deletion), where listConversationsOf counts members and unread messages.
   */
  conversationIdsOf(userId: string, kinds: readonly ConversationKind[]): Promise<string[]>;
  /** Current members among these (lower-cased) usernames: how @mentions are resolved without loading a room. */
  membersByUsernames(conversationId: string, usernames: readonly string[]): Promise<Array<{ id: string; username: string }>>;
  /**
   * Names (`on`) or unnames a room moderator with `member.updated`, decided by
   * decideModerator in the write's transaction; nothing (no event) when the
   * role is already so.
   */
  setModerator(conversationId: string, userId: string, on: boolean, by: string): Promise<StoredEvent[]>;
  /** Every membership span of a conversation, past and present, for audience checks by position. */
  membershipSpans(conversationId: string): Promise<MembershipSpan[]>;

  // ── messages ───────────────────────────────────────────────────────────
  /**
   * Stores a message and its event. With a `clientMsgId` already used by the
   * same sender, stores nothing and returns the original with `duplicate`.
   * Refuses (decidePost, in this write's transaction) a sender who is not a
   * current member (NOT_A_MEMBER) or, in a direct conversation, no longer a
   * friend of the other (FRIENDSHIP_REQUIRED).
   */
  appendMessage(input: {
    conversationId: string;
    senderId: string;
    body: string;
    clientMsgId: string | null;
    now: string;
    /** A message of the same conversation (the caller checked); its preview is read in the write's transaction. */
    replyTo?: string | null;
    mentions?: string[];
    mentionsAll?: boolean;
    /**
     * Uploaded files this message carries, in order (at most 10). Each must be
     * of this conversation and uploaded by the sender (ATTACHMENT_NOT_FOUND) and
     * not yet sent (ATTACHMENT_ALREADY_SENT); checked and bound in the write's
     * transaction. With attachments the body may be ''.
     */
    attachmentIds?: string[];
  }): Promise<{ message: Message; events: StoredEvent[]; duplicate: boolean }>;
  /** One message with its reactions and the preview of the message it replies to. */
  getMessage(id: string): Promise<Message | null>;
  /** Newest last. `before` is a message id; at most `limit`. */
  listMessages(conversationId: string, before: string | null, limit: number): Promise<Message[]>;
  /** Up to `limit` messages centred on `around` (which must be of the conversation: MESSAGE_NOT_FOUND), newest last. */
  listMessagesAround(
    conversationId: string,
    around: string,
    limit: number,
  ): Promise<{ messages: Message[]; hasBefore: boolean; hasAfter: boolean }>;
  /**
   * The conversation's member.joined / member.left / member.updated /
   * conversation.updated events positioned after the message preceding `from`
   * (from the start when `from` is null) and not after `to` (up to the head
   * when null): the system lines of a history page. The newest `limit`.
   */
  systemEvents(
    conversationId: string,
    range: { from: string | null; to: string | null },
    limit: number,
  ): Promise<Array<StoredEvent & { at: string }>>;
  /**
   * Edits a message (decideEdit in the write's transaction): the previous body
   * goes to its edit history, `message.updated` carries the message as it now
   * is. The same body again is no edit: no event.
   */
  editMessage(input: {
    messageId: string;
    editorId: string;
    body: string;
    mentions: string[];
    mentionsAll: boolean;
    now: string;
    windowSeconds: number;
  }): Promise<{ message: Message; events: StoredEvent[] }>;
  /**
   * Makes a message its tombstone (decideDelete in the write's transaction):
   * its body, mentions, edit history and reactions leave the database, the
   * stored events that carried its body (its own message.created/updated and
   * the quotes of replies to it) are rewritten by redactPayload, and
   * `message.deleted` is written. Deleting it again: the tombstone, no event.
   * Its files (attachment rows), link preview and search-index row go in the
   * same transaction; `releasedBlobs` are the blob keys of those that no other
   * attachment or preview refers to, for the caller to delete after commit.
   */
  deleteMessage(input: {
    messageId: string;
    actorId: string;
    now: string;
  }): Promise<{ message: Message; events: StoredEvent[]; releasedBlobs: string[] }>;
  /** Adds (`on`) or removes one user's emoji reaction (decideReact); no event when nothing changes. */
  react(input: {
    messageId: string;
    userId: string;
    emoji: string;
    on: boolean;
    maxDistinct: number;
    now: string;
  }): Promise<{ message: Message; events: StoredEvent[] }>;
  /** Former versions, oldest first: each body and when it was replaced. Empty once deleted. */
  messageEdits(messageId: string): Promise<Array<{ body: string; editedAt: string }>>;
  /**
   * Moves the read pointer forward only; no event when it would not move.
   * `read.updated` goes to the conversation in direct conversations and groups
   * (others see receipts) unless the reader hides receipts; else to the reader.
   */
  markRead(userId: string, conversationId: string, upTo: string): Promise<StoredEvent[]>;

  // ── the log ────────────────────────────────────────────────────────────
  /** The highest visible position (0 when empty). */
  headSeq(): Promise<number>;
  /** The lowest position still retained, minus one: cursors below it are expired. */
  floorSeq(): Promise<number>;
  /** All visible events after `after`, in order, at most `limit`. */
  readEvents(after: number, limit: number): Promise<StoredEvent[]>;
  /** One user's stream after `after` and not beyond `upTo`, in order, at most `limit`. */
  readUserEvents(userId: string, after: number, upTo: number, limit: number): Promise<StoredEvent[]>;
  /** Drops events at or below `seq` (retention); messages stay as history. */
  pruneEvents(beforeSeq: number): Promise<number>;
}
