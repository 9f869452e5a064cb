/**
 * Wire types of the hubbub API. They are the server's own domain types
 * (type-only imports: nothing of the server is bundled), so the SDK and the
 * server cannot drift apart.
 */
export type {
  Conversation,
  ConversationDetail,
  ConversationKind,
  ConversationSummary,
  EventPayload,
  EventType,
  FriendRequest,
  Member,
  Message,
  Presence,
  Signal,
  StreamEvent,
  User,
} from '../src/domain/types.js';
import type { Signal } from '../src/domain/types.js';

export type TypingSignal = Extract<Signal, { type: 'typing' }>;
export type PresenceSignal = Extract<Signal, { type: 'presence' }>;

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
