import type { WebSocketCtor } from './transports/ws.js';
import type { FetchLike } from './rest-core.js';
import type {
  Message,
  MessageDeletedEvent,
  MemberUpdatedEvent,
  PresenceSignal,
  ReactionEvent,
  Status,
  StreamEvent,
  TransportName,
  TypingSignal,
} from './types.js';

export interface HubbubClientOptions {
  /** The server's origin, e.g. "https://chat.example.org"; a function is asked again on every (re)connect. Default: the page's origin. */
  baseUrl?: string | (() => string);
  /** A bearer token (bots, Node); without one the session cookie is used (`api.login`). */
  token?: string;
  /**
   * Transports to try, in order. Default ['ws', 'sse', 'longpoll']. 'ws' is
   * skipped when no WebSocket constructor is available, and with a `token`
   * unless `WebSocket` is passed (a browser's WebSocket cannot send headers).
   */
  transports?: TransportName[];
  /** Resume from this cursor; without one `connect()` takes the head. */
  cursor?: string;
  fetch?: FetchLike;
  /** The WebSocket constructor; in Node pass `ws`'s WebSocket (it accepts headers). Default: the global one. */
  WebSocket?: WebSocketCtor;
  /** Accepted for compatibility and ignored: SSE runs over fetch, with headers and in Node too. */
  EventSource?: unknown;
  /** Reconnect backoff (ms). Default 500 → 30 000. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** How long a request over the WebSocket waits for its ack before it is retried (ms). Default 10 000. */
  requestTimeoutMs?: number;
  /** Long-poll hold time asked of the server (s). Default 25. */
  longPollWait?: number;
  /** Client ping interval on a WebSocket (ms); two silent intervals drop the connection. Default 25 000. */
  pingMs?: number;
  /** A silent event stream is dropped after this long (ms); the server comments every 15 s. Default 45 000. */
  sseIdleMs?: number;
}

export interface ClientEvents {
  /** Every stored event, in order, never twice. */
  event: (ev: StreamEvent) => void;
  message: (m: Message, ev: StreamEvent) => void;
  /** A message was edited (or a reply's quote refreshed): the message as it is now. */
  messageUpdated: (m: Message, ev: StreamEvent) => void;
  /** A message was deleted for everyone: show its tombstone. */
  messageDeleted: (ev: MessageDeletedEvent) => void;
  /** `reaction.added` or `reaction.removed`. */
  reaction: (ev: ReactionEvent) => void;
  /** A room owner named or unnamed a moderator. */
  memberUpdated: (ev: MemberUpdatedEvent) => void;
  typing: (s: TypingSignal) => void;
  presence: (s: PresenceSignal) => void;
  /** The cursor could not be served: the client took a fresh head; reload your state. */
  reset: () => void;
  status: (s: Status) => void;
  /** The transport in use changed (fallback or reconnect). */
  transport: (t: TransportName) => void;
  error: (err: unknown) => void;
}
