/**
 * Wire types of the hubbub API. They are the server's own domain types
 * (type-only imports: nothing of the server is bundled), so the SDK and the
 * server cannot drift apart.
 */
export type {
  Attachment,
  Conversation,
  ConversationDetail,
  ConversationKind,
  ConversationSummary,
  EventPayload,
  EventType,
  FriendRequest,
  HistoryEvent,
  LinkPreview,
  Member,
  MemberRole,
  Message,
  Presence,
  Reaction,
  ReplyPreview,
  ServerRole,
  Signal,
  StreamEvent,
  User,
  UserSettings,
} from '../src/domain/types.js';
import type { HistoryEvent, Message, Signal, StreamEvent } from '../src/domain/types.js';

export type TypingSignal = Extract<Signal, { type: 'typing' }>;
export type PresenceSignal = Extract<Signal, { type: 'presence' }>;

export type MessageDeletedEvent = Extract<StreamEvent, { type: 'message.deleted' }>;
export type ReactionEvent = Extract<StreamEvent, { type: 'reaction.added' | 'reaction.removed' }>;
export type MemberUpdatedEvent = Extract<StreamEvent, { type: 'member.updated' }>;

/** One earlier version of an edited message (GET /api/v1/messages/:id/edits). */
export interface MessageEdit {
  body: string;
  editedAt: string;
}

/** A page of history: messages oldest first, and the system events whose positions fall among them. */
export interface HistoryPage {
  messages: Message[];
  events: HistoryEvent[];
  hasBefore: boolean;
  hasAfter: boolean;
}

/** GET /api/v1/search: every field optional, but a search needs query text or a filter. */
export interface SearchParams {
  /** The words to find (Chinese and Japanese match inside runs of text, English by word stem). */
  q?: string;
  /** Only this conversation. */
  in?: string;
  /** Only messages from this user (id or username). */
  from?: string;
  /** ISO dates or YYYY-MM-DD, exclusive. */
  before?: string;
  after?: string;
  has?: 'file' | 'link';
  /** 1–50, default 20. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One message found: `snippet` is plain text around the first hit; `highlights` are [start, end) UTF-16 offsets into it. */
export interface SearchResult {
  message: Message;
  snippet: string;
  highlights: Array<[number, number]>;
}

/** A page of results, newest first; `nextCursor` is null on the last page. */
export interface SearchPage {
  results: SearchResult[];
  nextCursor: string | null;
}

export type TransportName = 'ws' | 'sse' | 'longpoll';
export type Status = 'connecting' | 'online' | 'offline';

/**
 * An error from the server (its catalog `code` and HTTP `status`) or from the
 * client itself: NETWORK (no answer), DISCONNECTED (the socket closed before
 * the answer), TIMEOUT, CLOSED (the client was closed).
 */
export class HubbubError extends Error {
  /**
   * How long the server asked the client to wait before trying again
   * (`Retry-After` on 503 STORE_UNAVAILABLE, 429 LOGIN_THROTTLED …), in ms;
   * null when it did not say.
   */
  readonly retryAfterMs: number | null;

  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
    retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'HubbubError';
    this.retryAfterMs = retryAfterMs;
  }

  /** Worth trying again with the same request (and the same clientMsgId). */
  get retryable(): boolean {
    return this.status === 0 ? this.code !== 'CLOSED' : this.status >= 500 || this.status === 429 || this.status === 408;
  }
}
